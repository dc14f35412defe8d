"""The build: load -> parse -> check -> draw -> cite -> render -> write, skipping what is fresh.

Each stage is a function of its own module; this one sequences them, times them, and asks
the manifest (`manifest.py`) which outputs are out of date. A build with nothing to do
answers from the manifest alone, before the project is even parsed: the heavy modules
(config validation, Markdown, WeasyPrint, python-docx, matplotlib) are imported only
once a stage needs them. Everything that can reject user input runs before anything is
written, so a failed build leaves the previous outputs untouched.
"""

from __future__ import annotations

import logging
import os
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from reportgen.document import model as m
from reportgen.document.model import Location
from reportgen.errors import Diagnostic, Diagnostics
from reportgen.pipeline.history import record_build
from reportgen.pipeline.interrupts import HeldInterrupts
from reportgen.pipeline.limits import limited, stage_timeout, time_limit
from reportgen.pipeline.locking import build_lock
from reportgen.pipeline.manifest import STATE_DIR, Digests, Manifest, Target, text_digest
from reportgen.pipeline.output_paths import (
    check_chart_files,
    check_state_and_figures,
    output_dir,
    remove,
    remove_stale_staged,
    writing,
)
from reportgen.pipeline.parallel import Stage, parallel_default
from reportgen.pipeline.results import BuildResult, StageStats

if TYPE_CHECKING:
    from reportgen.charts.spec import ChartSpec
    from reportgen.project.data import Dataset
    from reportgen.project.load import Project

log = logging.getLogger("reportgen")


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # pandoc runs as a child
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextmanager
def stage(name: str, message: str, stages: dict[str, StageStats]) -> Iterator[None]:
    """Log `message`, run the block, record its cost under `name`."""
    log.info("%s ...", message)
    start, cpu = time.perf_counter(), _cpu_seconds()
    yield
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    stages[name] = StageStats(time.perf_counter() - start, _cpu_seconds() - cpu, peak)
    log.debug("%s took %.2f s", name, stages[name].wall)


def build(root: Path, formats: list[str] | None = None, out: Path | None = None, *,
          force: bool = False, lock_timeout: float = 300.0, document: Path | None = None) -> BuildResult:
    """Bring the outputs of the project at `root` up to date; return what was done.

    With `document`, a Markdown file in `root`, that file is built alone from its front
    matter (no reportgen.yml). `force` rebuilds everything. Builds of one project never overlap: a second waits for
    the first up to `lock_timeout` seconds. Every build is appended to the history.
    """
    root = root.resolve()
    # Before anything is written (the lock is a file): no folder written to leads outside.
    out_dir = output_dir(root, out)
    check_state_and_figures(root)
    with build_lock(root, lock_timeout):
        start = time.perf_counter()
        result = BuildResult()
        held = HeldInterrupts()  # held from the first rename to the end of the build
        try:
            try:
                _build(root, formats, out_dir, force, result, held, document)
            except BaseException as exc:
                record_build(root, result, time.perf_counter() - start, error=exc)
                raise
            record_build(root, result, time.perf_counter() - start)
        finally:
            held.release()
        return result


def _build(root: Path, formats: list[str] | None, out_dir: Path, force: bool, result: BuildResult,
           held: HeldInterrupts, document: Path | None = None) -> None:
    digests, manifest = Digests(root), Manifest.load(root)
    out_key = digests.key(out_dir)
    if document is not None:  # documents built alone in one folder share its build/ and manifest
        out_key += f"#{document.name}"
    if not force:
        changed = manifest.quick_changes(out_key, formats, digests)
        if changed == []:
            names = manifest.formats[out_key]
            wanted = formats or manifest.default_formats
            result.fresh = [digests.path(next(iter(manifest.targets[names[f]].outputs))) for f in wanted]
            log.info("Nothing changed since the last build")
            return
    project, doc = _load_and_check(root, result, formats, document)
    if manifest.problem:
        where = Location(Path(STATE_DIR, "manifest.json"))
        result.warnings.insert(0, Diagnostic("warning", f"{manifest.problem}; rebuilding everything", where))
    config = project.config
    plan: dict[str, tuple[str, Target, Path]] = {}
    running: list[Stage] = []
    try:
        _plan_and_render(project, doc, list(formats or config.outputs), out_dir, manifest, digests, force, result,
                         plan, running, held)
    except BaseException:
        for child in running:
            child.cancel()
        raise
    finally:
        manifest.config_digest = digests.of("reportgen.yml")
        manifest.default_formats = list(config.outputs)
        recorded = manifest.formats.setdefault(out_key, {})
        recorded.update({fmt: name for fmt, (name, _, _) in plan.items() if name in manifest.targets})
        manifest.save()


def _plan_and_render(project: Project, doc: m.Document, wanted: list[str], out_dir: Path, manifest: Manifest,
                     digests: Digests, force: bool, result: BuildResult, plan: dict[str, tuple[str, Target, Path]],
                     running: list[Stage], held: HeldInterrupts) -> None:
    """Charts in a child process while the citations are formatted; then the DOCX in a child
    process while the PDF renders here. Each output only if it is out of date."""
    parallel = parallel_default()
    check_chart_files(project.root, [chart.id for chart in project.config.charts])
    for path in remove_stale_staged(out_dir, project.config.output_name):
        log.info("Removed %s, left by a build that was killed", path.name)
    stale_charts = _stale_charts(project, doc, manifest, digests, force, result)
    charts: list[Stage] = []
    if stale_charts:
        log.info("Drawing %d chart(s) ...", len(stale_charts))
        jobs = [(chart, project.datasets[chart.id]) for chart, _, _ in stale_charts]
        shares = _chart_processes(len(jobs), os.cpu_count() or 1) if parallel else 1
        draw = limited(_draw, "drawing the charts", stage_timeout(), m.Location(project.root))
        charts = [Stage("charts", draw, jobs[i::shares], project.root / "figures", project.config.language,
                        parallel=parallel) for i in range(shares)]
        running.extend(charts)
    plan.update({fmt: _document_target(fmt, project, doc, out_dir, digests) for fmt in wanted})
    stale = {}
    for fmt, (name, target, path) in plan.items():
        # A redrawn chart is embedded in both documents.
        reasons = ["--force"] if force else manifest.changes(name, target.inputs, digests)
        if reasons or stale_charts:
            stale[fmt] = path
            result.changed.extend(r for r in reasons if r not in result.changed)
        else:
            result.fresh.append(path)
    resolved = _cite_while_importing(project, doc, result, weasyprint="pdf" in stale) if stale else None
    in_flight = _ChartsInFlight(charts, stale_charts, project.root / "figures", digests, manifest, result)
    with writing(out_dir, project.root):
        out_dir.mkdir(parents=True, exist_ok=True)
    # Both documents are written beside their targets and renamed together at the end, so a
    # failure or Ctrl-C never leaves a new DOCX beside an old PDF.
    staged = {fmt: path.with_name(f".{path.name}.{os.getpid()}.staged") for fmt, path in stale.items()}
    try:
        _write_documents(project, resolved, staged, in_flight, parallel, running, result)
        # With the charts on disk, the documents' inputs are final.
        plan.update({fmt: _document_target(fmt, project, doc, out_dir, digests) for fmt in stale})
        # Ctrl-C waits from here to the end of the build: both documents are replaced, or
        # neither, and the manifest and history record what was written.
        held.hold()
        for fmt, path in staged.items():
            with writing(stale[fmt], project.root):
                os.replace(path, stale[fmt])
        for fmt in staged:
            _record_output(fmt, plan, digests, manifest, result)
    finally:
        for path in staged.values():
            remove(path)


def _cite_while_importing(project: Project, doc: m.Document, result: BuildResult, *,
                          weasyprint: bool) -> m.ResolvedDocument:
    """Format the citations in a thread while this one imports WeasyPrint (~0.6 s): the
    thread mostly waits for Pandoc, a subprocess, so the two overlap (and both overlap the
    charts, drawn in child processes meanwhile). Returns the document the backends take."""
    from concurrent.futures import ThreadPoolExecutor

    from reportgen.citations.cite import cite_document

    log.info("Formatting citations ...")
    with ThreadPoolExecutor(1, thread_name_prefix="reportgen-cite") as pool:
        cited = pool.submit(_thread_timed, cite_document, project, doc)
        if weasyprint:
            import weasyprint as _  # noqa: F401
        resolved, result.stages["cite"] = cited.result()
    result.notes = len(resolved.notes)
    # With every note and bibliography entry formatted, no link can come from anywhere else.
    from reportgen.document.links import apply_link_policy

    resolved, found = apply_link_policy(resolved, project.bib.locations)
    result.warnings.extend(w for w in found if w not in result.warnings)  # `check` gave the text's already
    return resolved


_T = TypeVar("_T")


def _thread_timed(fn: Callable[..., _T], *args: object) -> tuple[_T, StageStats]:
    """Run `fn`; its value and cost: wall, this thread's CPU and the child processes' (Pandoc)."""
    start = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_THREAD), resource.getrusage(resource.RUSAGE_CHILDREN)
    value = fn(*args)
    now = resource.getrusage(resource.RUSAGE_THREAD), resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = sum(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime for a, b in zip(cpu, now))
    return value, StageStats(time.perf_counter() - start, spent, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _write_documents(project: Project, doc: m.ResolvedDocument | None, staged: dict[str, Path], charts: _ChartsInFlight,
                     parallel: bool, running: list[Stage], result: BuildResult) -> None:
    """The PDF here, started while the charts are still drawn; the DOCX in a child process,
    started once they are all in (it embeds them), while the PDF renders on."""
    word: list[Stage] = []
    limit = stage_timeout()
    assert doc is not None or not staged, "the documents to write are cited first"

    def start_word() -> None:
        if "docx" in staged:
            log.info("Writing DOCX ...")
            reference = project.reference_doc()
            write = limited(_write_docx, "writing the DOCX", limit, m.Location(project.root))
            final = _final(project, staged["docx"], "docx")
            word.append(Stage("docx", write, doc, staged["docx"], reference, final, project.root, parallel=parallel))
            running.append(word[0])

    charts.then = start_word
    if not charts.files:
        charts.wait()  # none in flight: the DOCX starts now, beside the whole PDF
    if "pdf" in staged:
        assert doc is not None
        with stage("pdf", "Rendering PDF", result.stages):
            from reportgen.outputs.pdf.writer import write_pdf

            templates = project.template_folders().override
            with time_limit("rendering the PDF", limit, m.Location(project.root)), \
                    writing(_final(project, staged["pdf"], "pdf"), project.root):
                result.warnings.extend(write_pdf(doc, staged["pdf"], project=project.root, templates=templates,
                                                 before_fetch=charts.wait_for))
        # The stage is WeasyPrint's work, not the time it sat waiting for a chart.
        pdf = result.stages["pdf"]
        result.stages["pdf"] = StageStats(pdf.wall - charts.waited, pdf.cpu, pdf.peak_mib)
    charts.wait()  # no PDF, or one that showed no chart
    if word:
        _, stats = word[0].result()
        result.stages["docx"] = StageStats(stats.wall, stats.cpu, stats.peak_mib)


class _ChartsInFlight:
    """Charts still being drawn in child processes while the PDF starts.

    WeasyPrint asks for an image only once it has parsed and styled the whole document (a
    fifth of its time or so); its fetcher waits here for the first chart, then every chart
    is in and recorded, and `then` runs (starting the DOCX, which embeds them).
    """

    def __init__(self, charts: list[Stage], stale_charts: list[tuple[ChartSpec, str, dict[str, str]]],
                 figures: Path, digests: Digests, manifest: Manifest, result: BuildResult) -> None:
        self._collect = (charts, stale_charts, digests, manifest, result)
        self.files = {(figures / f"{chart.id}{suffix}").resolve() for chart, _, _ in stale_charts
                      for suffix in (".svg", ".png")}
        self.then: Callable[[], None] = lambda: None
        self.waited = 0.0
        self._done = False

    def wait_for(self, path: Path) -> None:
        if path in self.files:
            self.wait()

    def wait(self) -> None:
        if self._done:
            return
        self._done = True  # once: a failed chart stage is raised here, then by the PDF writer
        start = time.perf_counter()
        charts, stale_charts, digests, manifest, result = self._collect
        if charts:
            _collect_charts(charts, stale_charts, digests, manifest, result)
        self.waited = time.perf_counter() - start
        self.then()


# Measured (bench/README.md): each chart process imports matplotlib, then draws its charts.
CHART_PROCESS_S, CHART_S = 0.45, 0.15


def _chart_processes(charts: int, cores: int) -> int:
    """How many processes to draw `charts` in: the fewest that finish soonest. The parent
    formats citations and renders the PDF meanwhile, so the charts have the other cores; a
    process more saves drawing time but costs an import."""
    spare = max(1, cores - 1)

    def finish(n: int) -> float:
        return max(CHART_PROCESS_S + CHART_S * charts / n, (n * CHART_PROCESS_S + charts * CHART_S) / spare)

    return min(range(1, min(charts, spare) + 1), key=finish)


def _collect_charts(charts: list[Stage], stale_charts: list[tuple[ChartSpec, str, dict[str, str]]],
                    digests: Digests, manifest: Manifest, result: BuildResult) -> None:
    """Wait for the chart processes; record each chart; the stage costs the longest share."""
    shares = [share.result() for share in charts]
    drawn: list[tuple[Path, Path] | None] = [None] * len(stale_charts)
    for offset, (files, _) in enumerate(shares):
        drawn[offset :: len(shares)] = files
    result.stages["charts"] = StageStats(max(s.wall for _, s in shares), sum(s.cpu for _, s in shares),
                                         max(s.peak_mib for _, s in shares))
    for (_, name, inputs), pair in zip(stale_charts, drawn):
        assert pair is not None
        manifest.targets[name] = Target(inputs, _output_digests(list(pair), digests))
        result.rebuilt.append(name)


def _record_output(fmt: str, plan: dict[str, tuple[str, Target, Path]], digests: Digests, manifest: Manifest,
                   result: BuildResult) -> None:
    name, target, path = plan[fmt]
    target.outputs = _output_digests([path], digests)
    manifest.targets[name] = target
    result.outputs.append(path)
    result.rebuilt.append(fmt)


def _draw(jobs: list[tuple[ChartSpec, Dataset]], out_dir: Path, language: str = "en-GB") -> list[tuple[Path, Path]]:
    from reportgen.charts.draw import draw_chart

    return [draw_chart(chart, data, out_dir, language) for chart, data in jobs]


def _final(project: Project, staged: Path, fmt: str) -> Path:
    """The output a staged file becomes, for messages."""
    return staged.with_name(f"{project.config.output_name}.{fmt}")


def _write_docx(doc: m.ResolvedDocument, path: Path, reference: Path, final: Path, root: Path) -> None:
    """The DOCX from a checked copy of the reference document (no external template); a
    failure to write it is a message naming the output (`final`)."""
    from reportgen.outputs.docx.reference_doc import check_reference_doc
    from reportgen.outputs.docx.writer import write_docx

    copy = path.with_name(f"{path.name}.reference.tmp")
    remove(copy)
    try:
        with writing(final, root):
            shown = reference.relative_to(root) if reference.is_relative_to(root) else reference
            copy.write_bytes(check_reference_doc(reference, shown))
            write_docx(doc, path, reference_doc=copy)
    finally:
        remove(copy)


def _load_and_check(root: Path, result: BuildResult, formats: list[str] | None,
                    document: Path | None = None) -> tuple[Project, m.Document]:
    """Load, read, resolve and check (as `reportgen check` does); raise every error at once;
    keep the warnings."""
    from reportgen.check import check_document
    from reportgen.document.reader import read
    from reportgen.document.resolve import resolve
    from reportgen.project.load import load

    found = Diagnostics()
    with stage("load", "Loading config, bibliography and data", result.stages):
        project = load(root, found, document)
    if project is None:
        found.raise_errors()
    assert project is not None
    with stage("parse", "Reading, numbering and checking", result.stages):
        doc = resolve(read(project, found), found)
        check_document(project, doc, formats or project.config.outputs, found)
    found.raise_errors()
    result.warnings = found.warnings
    return project, doc


# -- charts --------------------------------------------------------------------------------


def _chart_inputs(project: Project, chart: ChartSpec, digests: Digests) -> dict[str, str]:
    from reportgen.fonts import SANS_DIR, fallback_fonts

    inputs = digests.files([project.root / chart.data, *sorted(SANS_DIR.glob("*.ttf")), *fallback_fonts()])
    # The language sets the numbers' separators and the months' names.
    inputs["@spec"] = text_digest(chart.model_dump_json() + project.config.language)
    for key in ("@reportgen", "@lib:matplotlib"):
        inputs[key] = digests.of(key)
    return inputs


def _stale_charts(project: Project, doc: m.Document, manifest: Manifest, digests: Digests, force: bool,
                  result: BuildResult) -> list[tuple[ChartSpec, str, dict[str, str]]]:
    """The charts whose data or spec changed; every figure pointed at its files."""
    figures = {f.id: f for f in doc.figures()}
    out_dir = project.root / "figures"
    stale = []
    for chart in project.config.charts:
        name, inputs = f"chart:{chart.id}", _chart_inputs(project, chart, digests)
        reasons = ["--force"] if force else manifest.changes(name, inputs, digests)
        if reasons:
            stale.append((chart, name, inputs))
            result.changed.extend(r for r in reasons if r not in result.changed)
        figure = figures[chart.id]
        figure.svg, figure.png = out_dir / f"{chart.id}.svg", out_dir / f"{chart.id}.png"
    for figure in figures.values():
        if figure.svg is None:  # a plain image file placed by the author
            figure.svg = figure.png = (project.root / figure.src).resolve()
    return stale


def _output_digests(paths: list[Path], digests: Digests) -> dict[str, str]:
    keys = [digests.key(p) for p in paths]
    for key in keys:
        digests.forget(key)  # just written
    return {key: digests.of(key) for key in keys}


# -- documents -----------------------------------------------------------------------------


def _document_target(fmt: str, project: Project, doc: m.Document, out_dir: Path,
                     digests: Digests) -> tuple[str, Target, Path]:
    """The target writing `fmt`: its name, its inputs now, and its output path."""
    from reportgen.fonts import faces
    from reportgen.outputs.pdf.templating import REFERENCE_DOC

    config = project.config
    path = out_dir / f"{config.output_name}.{fmt}"
    files = [project.root / "reportgen.yml", *(project.root / s for s in config.sections),
             *(project.root / b for b in config.bibliography), *(project.root / c.data for c in config.charts),
             *project.source.metadata_files]
    if config.csl.endswith(".csl"):  # the project's style, and the parent it names, if one
        files.append(project.root / config.csl)
    if project.csl is not None:
        files.append(project.csl)
    for figure in doc.figures():  # the charts' files as drawn, and the author's images
        files.append(figure.svg if fmt == "pdf" else figure.png)  # type: ignore[arg-type]  # set by the draw stage by now
    params = ["@reportgen", "@env:SOURCE_DATE_EPOCH"]
    if config.date is None:  # the brief is dated the day it is built
        params.append("@today")
    if fmt == "pdf":
        # The template files in use: the project's overrides and the packaged rest.
        folders = project.template_folders()
        files += [p for p in folders.files() if p.suffix != ".docx"]
        files += [face.path for face in faces()]
        params += ["@lib:weasyprint", f"@templates:{digests.key(folders.override)}"]
    else:
        # The override's digest is "missing" until a project adds one, which then counts.
        override = project.template_folders().override / REFERENCE_DOC
        files += dict.fromkeys([override, project.reference_doc()])
        params.append("@lib:python-docx")
    inputs = digests.files(files) | {key: digests.of(key) for key in params}
    return f"{fmt}:{digests.key(path)}", Target(inputs), path
