"""Subprocess entry points for bench/run.py: each job runs in a fresh interpreter.

A fresh process per measurement keeps imports cold (WeasyPrint and matplotlib cost seconds
to import) and makes peak RSS per job meaningful. Each job writes one JSON object to the
path given last on the command line; stdout stays free for whatever reportgen logs.

    python bench/worker.py build PROJECT RESULT.json
    python bench/worker.py html PROJECT HTML_OUT RESULT.json
    python bench/worker.py weasy-reportgen PROJECT HTML PDF_OUT RESULT.json
    python bench/worker.py weasy-file HTML PDF_OUT RESULT.json

Only the standard library is imported at module level, so a job's import cost is its own.
"""

from __future__ import annotations

import importlib
import inspect
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

START = time.perf_counter()


def usage() -> dict[str, float]:
    """CPU seconds and peak RSS (MiB) of this process and of its waited-for children (pandoc)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu_self": own.ru_utime + own.ru_stime,
        "cpu_children": kids.ru_utime + kids.ru_stime,
        "peak_self_mib": own.ru_maxrss / 1024,  # KiB on Linux
        "peak_children_mib": kids.ru_maxrss / 1024,
    }


def api(name: str) -> Callable[..., Any] | None:
    """A public reportgen function by name: in the pipeline module, or where it may have moved."""
    for module in ("reportgen.pipeline.build", "reportgen.project.load", "reportgen.stages"):
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if callable(found):
            return found
    return None


def require(name: str) -> Callable[..., Any]:
    found = api(name)
    if found is None:
        raise ImportError(f"reportgen has no public {name}() in pipeline or project")
    return found


def stage_stats(stages: Any) -> dict[str, dict[str, float | None]]:
    """BuildResult.stages as plain data; the set of stage names is open."""
    items = stages.items() if hasattr(stages, "items") else enumerate(stages or [])
    return {
        str(name): {field: getattr(stats, field, None) for field in ("wall", "cpu", "peak_mib")}
        for name, stats in items
    }


def job_build(project: Path) -> dict[str, Any]:
    """One cold build (PDF + DOCX) into PROJECT/build, where `reportgen build` writes it."""
    t0 = time.perf_counter()
    from reportgen.pipeline.build import build

    imported = time.perf_counter()
    import reportgen  # which copy: bench/run.py puts a snapshot first on PYTHONPATH

    # A fresh copy is already cold; `force` (where it exists) also rules out any cache
    # that a later version might keep outside the project.
    kwargs = {"force": True} if "force" in inspect.signature(build).parameters else {}
    result = build(project, ["pdf", "docx"], project / "build", **kwargs)
    done = time.perf_counter()
    return {
        "import_wall": imported - t0,
        "build_wall": done - imported,
        "stages": stage_stats(getattr(result, "stages", {})),
        "notes": getattr(result, "notes", None),
        "outputs": [str(p) for p in getattr(result, "outputs", [])],
        "forced": bool(kwargs),
        "reportgen_file": reportgen.__file__,
    }


def job_html(project: Path, html_out: Path) -> dict[str, Any]:
    """reportgen's own HTML for the PDF, with figure files in place."""
    from reportgen.outputs.pdf.writer import render_html

    proj = require("load_project")(project)
    doc = require("resolved_document")(proj)
    draw = api("draw_charts")
    if draw is not None:
        draw(proj, doc)
        how = "draw_charts"
    else:  # not public in this version: the HTML falls back to figures/ID.svg, drawn by a prior build
        for figure in doc.figures():
            drawn = project / "figures" / f"{figure.src.removeprefix('chart:')}.svg"
            if figure.src.startswith("chart:") and "svg" not in figure.images and drawn.is_file():
                figure.images["svg"] = drawn  # a chart placed by its id: the file a prior build drew
        missing = [f.src for f in doc.figures() if not (f.images.get("svg") or project / f.src).is_file()]
        if missing:
            raise FileNotFoundError(f"no draw_charts() and figures not drawn yet: {missing[:3]}")
        how = "existing figures"
    html_out.write_text(render_html(doc, project, project / "templates"), encoding="utf-8")
    return {"html_bytes": html_out.stat().st_size, "figures": how}


def job_weasy_reportgen(project: Path, html: Path, pdf_out: Path) -> dict[str, Any]:
    """WeasyPrint alone on reportgen's HTML: only HTML(...).write_pdf() is timed as `render_wall`."""
    text = html.read_text(encoding="utf-8")
    templates = (project / "templates").resolve()
    t0 = time.perf_counter()
    import weasyprint

    imported = time.perf_counter()
    fetcher, fetcher_name = _reportgen_fetcher(weasyprint, project, templates)
    t1, c1 = time.perf_counter(), time.process_time()
    weasyprint.HTML(string=text, base_url=templates.as_uri() + "/", url_fetcher=fetcher).write_pdf(pdf_out)
    return {"import_wall": imported - t0, "render_wall": time.perf_counter() - t1,
            "render_cpu": time.process_time() - c1, "fetcher": fetcher_name}


def _reportgen_fetcher(weasyprint: Any, project: Path, templates: Path) -> tuple[Any, str]:
    """reportgen's restricted URL fetcher while its private helper exists, else WeasyPrint's."""
    try:
        from reportgen.fonts import font_dirs
        from reportgen.outputs.pdf.templating import TemplateFolders
        from reportgen.outputs.pdf.writer import _project_fetcher

        folders = TemplateFolders(project, templates)  # the project's overrides over the packaged files
        return _project_fetcher(weasyprint, [project, *folders.roots, *font_dirs()], None, folders), "reportgen"
    except (ImportError, AttributeError, TypeError):
        return None, "default"


def job_weasy_file(html: Path, pdf_out: Path) -> dict[str, Any]:
    """WeasyPrint on an HTML file, as `weasyprint in.html out.pdf` runs it."""
    t0 = time.perf_counter()
    import weasyprint

    imported, c1 = time.perf_counter(), time.process_time()
    weasyprint.HTML(filename=str(html)).write_pdf(pdf_out)
    return {"import_wall": imported - t0, "render_wall": time.perf_counter() - imported,
            "render_cpu": time.process_time() - c1}


JOBS: dict[str, Callable[..., dict[str, Any]]] = {
    "build": job_build,
    "html": job_html,
    "weasy-reportgen": job_weasy_reportgen,
    "weasy-file": job_weasy_file,
}


def main(argv: list[str]) -> int:
    name, *paths = argv
    *args, result_path = (Path(p) for p in paths)
    record = JOBS[name](*args)
    record.update(usage(), process_wall=time.perf_counter() - START)
    result_path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    try:  # end as the CLI ends, in the versions that have it
        from reportgen.cli import skip_final_collection
    except ImportError:
        return 0
    skip_final_collection()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
