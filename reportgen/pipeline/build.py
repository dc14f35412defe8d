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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from reportgen.document import model as m
from reportgen.document.model import Location
from reportgen.errors import Diagnostic, Diagnostics
from reportgen.outputs import registry
from reportgen.outputs.backend import IMAGE_FORMATS
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
    from reportgen.outputs.backend import Backend
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
    """Charts in child processes while the citations are formatted; then each output that is
    out of date, scheduled as its backend says (`Backend.in_child`)."""
    parallel = parallel_default()
    backends = {name: registry.get(name) for name in wanted}
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
    plan.update({name: _document_target(backend, project, doc, out_dir, digests) for name, backend in backends.items()})
    stale = {}
    for name, (target_name, target, path) in plan.items():
        # A redrawn chart is embedded in every output.
        reasons = ["--force"] if force else manifest.changes(target_name, target.inputs, digests)
        if reasons or stale_charts:
            stale[name] = path
            result.changed.extend(r for r in reasons if r not in result.changed)
        else:
            result.fresh.append(path)
    resolved = _cite_while_importing(project, doc, result, preload=[backends[name].preload for name in stale]) \
        if stale else None
    in_flight = _ChartsInFlight(charts, stale_charts, project.root / "figures", digests, manifest, result)
    with writing(out_dir, project.root):
        out_dir.mkdir(parents=True, exist_ok=True)
    # The outputs are written beside their targets and renamed together at the end, so a
    # failure or Ctrl-C never leaves a new output beside an old one.
    staged = {name: path.with_name(f".{path.name}.{os.getpid()}.staged") for name, path in stale.items()}
    try:
        renders = [_Render(backends[name], staged[name], stale[name]) for name in staged]
        _write_documents(project, resolved, renders, in_flight, parallel, running, result)
        # With the charts on disk, the documents' inputs are final.
        plan.update({name: _document_target(backends[name], project, doc, out_dir, digests) for name in stale})
        # Ctrl-C waits from here to the end of the build: every output is replaced, or
        # none, and the manifest and history record what was written.
        held.hold()
        for name, path in staged.items():
            with writing(stale[name], project.root):
                os.replace(path, stale[name])
        for name in staged:
            _record_output(name, plan, digests, manifest, result)
    finally:
        for path in staged.values():
            remove(path)


def _cite_while_importing(project: Project, doc: m.Document, result: BuildResult, *,
                          preload: list[Callable[[], None]]) -> m.ResolvedDocument:
    """Format the citations in a thread while this one imports the renderers (`preload`;
    WeasyPrint takes ~0.6 s): the thread mostly waits for Pandoc, a subprocess, so the two
    overlap (and both overlap the charts, drawn in child processes meanwhile). Returns the
    document the backends take."""
    from concurrent.futures import ThreadPoolExecutor

    from reportgen.citations.cite import cite_document

    log.info("Formatting citations ...")
    with ThreadPoolExecutor(1, thread_name_prefix="reportgen-cite") as pool:
        cited = pool.submit(_thread_timed, cite_document, project, doc)
        for load in preload:
            load()
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


@dataclass
class _Render:
    """One output to write: its backend, the staged file it writes, the output it becomes."""

    backend: Backend
    staged: Path
    final: Path  # for messages

    @property
    def what(self) -> str:
        return f"{self.backend.action} the {self.backend.label}"


def _write_documents(project: Project, doc: m.ResolvedDocument | None, renders: list[_Render], charts: _ChartsInFlight,
                     parallel: bool, running: list[Stage], result: BuildResult) -> None:
    """The outputs rendered here first, started while the charts are still drawn (they wait
    for a chart as they reach it); those rendered in a child process started once the charts
    are all in (when a render here first waits for one, or at once if none is drawn), beside
    the rest of the renders here."""
    children: list[tuple[str, Stage]] = []
    limit = stage_timeout()
    if doc is None:
        assert not renders, "the documents to write are cited first"
        charts.wait()
        return

    def start_children() -> None:
        for render in renders:
            if render.backend.in_child:
                log.info("%s %s ...", render.backend.action.capitalize(), render.backend.label)
                write = limited(_render, render.what, limit, m.Location(project.root))
                child = Stage(render.backend.name, write, render, doc, project, _no_wait, parallel=parallel)
                children.append((render.backend.name, child))
                running.append(child)

    charts.then = start_children
    if not charts.files:
        charts.wait()  # none in flight: the children start now, beside the whole of the renders here
    for render in renders:
        if render.backend.in_child:
            continue
        name, waited = render.backend.name, charts.waited
        with stage(name, f"{render.backend.action.capitalize()} {render.backend.label}", result.stages), \
                time_limit(render.what, limit, m.Location(project.root)):
            result.warnings.extend(_render(render, doc, project, charts.wait_for))
        # The stage is the renderer's work, not the time it sat waiting for a chart.
        spent = result.stages[name]
        result.stages[name] = StageStats(spent.wall - (charts.waited - waited), spent.cpu, spent.peak_mib)
    charts.wait()  # no render here, or none that showed a chart
    for name, child in children:
        warnings, result.stages[name] = child.result()
        result.warnings.extend(warnings)


def _render(render: _Render, doc: m.ResolvedDocument, project: Project, wait_for: Callable[[Path], None]) -> list[Diagnostic]:
    """`render.backend` writes its output; a failure to write is a message naming the output."""
    with writing(render.final, project.root):
        return render.backend.render(doc, render.staged, project, wait_for)


def _no_wait(path: Path) -> None:
    """A child process starts once every chart is in: nothing to wait for."""


class _ChartsInFlight:
    """Charts still being drawn in child processes while the first output renders here.

    The renderer asks for an image late (WeasyPrint once it has parsed and styled the whole
    document, a fifth of its time or so) and waits here for the first chart; then every chart
    is in and recorded, and `then` runs (starting the outputs rendered in child processes).
    """

    def __init__(self, charts: list[Stage], stale_charts: list[tuple[ChartSpec, str, dict[str, str]]],
                 figures: Path, digests: Digests, manifest: Manifest, result: BuildResult) -> None:
        self._collect = (charts, stale_charts, digests, manifest, result)
        self.files = {(figures / f"{chart.id}.{fmt}").resolve() for chart, _, _ in stale_charts
                      for fmt in IMAGE_FORMATS}
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
        # Every chart is drawn in each format an output may embed: its files do not depend on
        # which outputs this build wants.
        figures[chart.id].images = {fmt: out_dir / f"{chart.id}.{fmt}" for fmt in IMAGE_FORMATS}
    for figure in figures.values():
        if not figure.images:  # a plain image file placed by the author, embedded as it is
            figure.images = dict.fromkeys(IMAGE_FORMATS, (project.root / figure.src).resolve())
    return stale


def _output_digests(paths: list[Path], digests: Digests) -> dict[str, str]:
    keys = [digests.key(p) for p in paths]
    for key in keys:
        digests.forget(key)  # just written
    return {key: digests.of(key) for key in keys}


# -- documents -----------------------------------------------------------------------------


def _document_target(backend: Backend, project: Project, doc: m.Document, out_dir: Path,
                     digests: Digests) -> tuple[str, Target, Path]:
    """The target writing `backend`'s output: its name, its inputs now, and its output path."""
    config = project.config
    path = out_dir / f"{config.output_name}{backend.suffix}"
    files = [project.root / "reportgen.yml", *(project.root / s for s in config.sections),
             *(project.root / b for b in config.bibliography), *(project.root / c.data for c in config.charts),
             *project.source.metadata_files]
    if config.csl.endswith(".csl"):  # the project's style, and the parent it names, if one
        files.append(project.root / config.csl)
    if project.csl is not None:
        files.append(project.csl)
    # The charts' files as drawn, and the author's images, in the format the output embeds.
    files += [figure.images[backend.image_format] for figure in doc.figures()]
    params = ["@reportgen", "@env:SOURCE_DATE_EPOCH"]
    if config.date is None:  # the brief is dated the day it is built
        params.append("@today")
    own = backend.inputs(project, digests.key)
    inputs = digests.files(files + own.files) | {key: digests.of(key) for key in params + own.params}
    return f"{backend.name}:{digests.key(path)}", Target(inputs), path
