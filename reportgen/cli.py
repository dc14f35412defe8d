"""Command line: parses arguments and calls the pipeline. Nothing else lives here."""

from __future__ import annotations

import gc
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reportgen import __version__
from reportgen.errors import InterruptedAfterWriting, ReportgenError
from reportgen.pipeline.manifest import NO_PREVIOUS_BUILD

if TYPE_CHECKING:
    from reportgen.pipeline.results import BuildResult
    from reportgen.sources.check import SourcesReport

_Command = TypeVar("_Command", bound=Callable[..., Any])


class _StageHandler(logging.Handler):
    """Prints pipeline steps as they start, so long builds show progress."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"  {record.getMessage()}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and the final summary.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool) -> None:
    """reportgen: sourced policy briefs in PDF and Word from one folder of content.

    A project is a folder with reportgen.yml, Markdown sections with Pandoc citations,
    a CSL bibliography and data files. Run `reportgen build` inside it.
    """
    logger = logging.getLogger("reportgen")
    logger.handlers[:] = [] if quiet else [_StageHandler()]
    logger.setLevel(logging.INFO)
    logger.propagate = False


_project_option = click.option(
    "-p", "--project", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
    help="The project folder (holding reportgen.yml).")


def _output_options(f: _Command) -> _Command:
    """--format and --out, shared by `build` and `watch`."""
    f = click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Output folder; default: PROJECT/build.")(f)
    return click.option("-f", "--format", "fmt", type=_OutputFormat(), default=None,
                        help="What to build; default: the config's `outputs`.")(f)


class _OutputFormat(click.Choice[str]):
    """A registered output's name, or "all": the list is read from the registry when the
    command line is parsed, so an output registered after this module was imported is one too."""

    def __init__(self) -> None:
        super().__init__(self._names())

    @staticmethod
    def _names() -> tuple[str, ...]:
        from reportgen.outputs import registry

        return (*registry.names(), registry.ALL)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        self.choices = self._names()
        return super().convert(value, param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        self.choices = self._names()
        return super().get_metavar(param, ctx)


_target_argument = click.argument("target", required=False, type=click.Path(path_type=Path))


def _root_and_document(project: Path, target: Path | None) -> tuple[Path, Path | None]:
    """TARGET is a project folder, or a Markdown file to build alone (no reportgen.yml)."""
    if target is None or target.is_dir():
        return (target or project), None
    if not target.is_file():
        raise click.BadParameter(f"'{target}' is neither a project folder nor a file", param_hint="TARGET")
    return target.resolve().parent, target.resolve()


@cli.command()
@_target_argument
@_project_option
@_output_options
@click.option("--force", is_flag=True, help="Rebuild everything, even what is up to date.")
@click.option("--if-changed", is_flag=True,
              help="For schedulers: print one line saying whether it rebuilt and why; exit 0 either way.")
@click.option("--lock-timeout", type=float, default=300.0, show_default=True,
              help="Seconds to wait for another build of the same project to finish.")
@click.option("--check-sources", is_flag=True,
              help="Then check the cited URLs (as `reportgen sources check`); flag changed ones in the history.")
def build(target: Path | None, project: Path, fmt: str | None, out: Path | None, force: bool, if_changed: bool,
          lock_timeout: float, check_sources: bool) -> None:
    """Build the brief: PDF and/or DOCX, with charts, notes and bibliography.

    TARGET is the project folder (default: --project), or one Markdown file to build alone
    from its front matter, into build/ beside it. Only what changed since the last build is
    redone; with nothing changed it says so.
    """
    from reportgen.pipeline.build import build as run_build

    start = time.perf_counter()
    project, document = _root_and_document(project, target)
    result = run_build(project, _formats(fmt), out, force=force, lock_timeout=lock_timeout, document=document)
    elapsed = time.perf_counter() - start
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    if check_sources:
        report = _check_sources(project, timeout=10.0)
        for line in report.warnings:
            click.echo(line, err=True)
        click.echo(report.summary() if if_changed else "\n".join(report.lines()))
    if if_changed:
        click.echo(_one_line(result, elapsed))
        return
    for path in result.outputs:
        click.echo(f"wrote {_display(path)} ({path.stat().st_size / 1024:.0f} KiB)")
    if result.up_to_date:
        click.echo(f"up to date: nothing changed since the last build ({elapsed:.2f} s)")
        return
    click.echo(f"built {len(result.outputs)} output(s), {result.notes} notes, in {elapsed:.1f} s"
               + (f"; {len(result.fresh)} already up to date" if result.fresh else ""))


def _formats(fmt: str | None) -> list[str] | None:
    from reportgen.outputs import registry

    return None if fmt is None else (registry.names() if fmt == registry.ALL else [fmt])


def _one_line(result: BuildResult, elapsed: float) -> str:
    if result.up_to_date:
        return f"up to date: nothing changed ({elapsed:.2f} s)"
    reasons = [r for r in result.changed if r in ("--force", NO_PREVIOUS_BUILD)]
    files = [r for r in result.changed if r not in reasons]
    if files:
        more = f" and {len(files) - 5} more" if len(files) > 5 else ""
        reasons.append("changed " + ", ".join(files[:5]) + more)
    return f"rebuilt {', '.join(result.rebuilt)} in {elapsed:.1f} s: {'; '.join(reasons)}"


@cli.command()
@_target_argument
@_project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="`json` prints one object with every diagnostic, for CI.")
def check(target: Path | None, project: Path, fmt: str) -> int:
    """Validate the project (or one Markdown file, TARGET) without rendering: config, Markdown,
    citations, data, charts.

    Prints `path:line:col: error|warning: message` for each problem; exit status 1 on errors.
    """
    from reportgen.check import check_project

    found = check_project(*_root_and_document(project, target)).found
    if fmt == "json":
        summary = {"errors": len(found.errors), "warnings": len(found.warnings)}
        click.echo(json.dumps({"diagnostics": [d.to_json() for d in found.items], **summary}, indent=2))
    else:
        for diagnostic in found.items:
            click.echo(str(diagnostic))
        click.echo(f"{len(found.errors)} error(s), {len(found.warnings)} warning(s)", err=True)
    return 1 if found.errors else 0


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path), default=Path("."))
def init(directory: Path) -> None:
    """Write a small working project into DIRECTORY (default: here) that builds at once.

    Two sections, a chart with its data, a bibliography of example sources and
    reportgen.yml. Existing files are never overwritten.
    """
    from reportgen.project.starter import write_starter

    for path in write_starter(directory):
        click.echo(f"wrote {_display(path)}")
    click.echo(f"now run: reportgen build {_display(directory.resolve())}" if directory != Path(".") else
               "now run: reportgen build")


@cli.command()
@_project_option
@_output_options
@click.option("--debounce", "debounce_ms", type=click.IntRange(0), default=300, show_default=True, metavar="MS",
              help="Collect a burst of changes for up to MS milliseconds before rebuilding.")
def watch(project: Path, fmt: str | None, out: Path | None, debounce_ms: int) -> None:
    """Build, then rebuild whenever a source file changes; Ctrl-C stops.

    A mistake in a file is reported and watching goes on; the last good outputs stay in place.
    """
    from reportgen.pipeline.build import build as run_build
    from reportgen.pipeline.watch import WatchEvent
    from reportgen.pipeline.watch import watch as run_watch

    def report(event: WatchEvent[BuildResult]) -> None:
        if not event.ok:
            click.echo(str(event.error), err=True)
            return
        assert event.result is not None  # a build that did not fail returned its result
        for warning in event.result.warnings:
            click.echo(str(warning), err=True)
        changed = f" [{', '.join(event.changed)}]" if event.changed else ""
        click.echo(_one_line(event.result, event.duration) + changed)

    click.echo(f"watching {project.resolve()} (Ctrl-C to stop)", err=True)
    run_watch(project, lambda: run_build(project, _formats(fmt), out), out=out, debounce_ms=debounce_ms, on_event=report)
    click.echo("stopped", err=True)


@cli.command()
@_project_option
@click.option("--every", default="hourly", show_default=True,
              help="hourly, daily, weekly; or a cron expression ('30 6 * * 1-5') for cron, an OnCalendar= "
                   "expression ('Mon..Fri 06:30') for systemd.")
@click.option("--cron", "scheduler", flag_value="cron", default=True, help="A crontab line (the default).")
@click.option("--systemd", "scheduler", flag_value="systemd", help="A systemd user service and timer.")
@click.option("--check-sources", is_flag=True, help="Also check the cited URLs on each run.")
@click.option("--install", is_flag=True,
              help="Install it: add the line to your crontab (replacing this project's earlier one), or write "
                   "the units to ~/.config/systemd/user. Without it, only print.")
@click.option("--log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="cron only: the file each run appends to; default PROJECT/.reportgen/schedule.log.")
def schedule(project: Path, every: str, scheduler: str, check_sources: bool, install: bool, log: Path | None) -> None:
    """Run `reportgen build --if-changed` for this project on a schedule (cron or systemd)."""
    from reportgen.pipeline import schedule as sched

    args = (*sched.BUILD_ARGS, "--check-sources") if check_sources else sched.BUILD_ARGS
    if scheduler == "cron":
        line = sched.cron_line(project, every=every, log=log, build_args=args)
        if install:
            sched.install_cron(line)
            click.echo(f"added to your crontab:\n{line}")
        else:
            click.echo(line)
        return
    units = sched.systemd_units(project, on_calendar=every, build_args=args)
    if not install:
        for name, text in units.items():
            click.echo(f"# {name}\n{text}")
        return
    for path in sched.install_systemd(units):
        click.echo(f"wrote {path}")
    click.echo(f"now run: {sched.enable_command(units)}")


@cli.group()
def sources() -> None:
    """The web sources the bibliography cites."""


@sources.command("check")
@_project_option
@click.option("--timeout", type=float, default=10.0, show_default=True,
              help="Seconds each URL may take in all: connection, redirects, headers and body.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--archive", "rearchive", is_flag=True,
              help="Re-archive changed sources and list the sentences their new texts no longer support.")
def sources_check(project: Path, timeout: float, fmt: str, rearchive: bool) -> int:
    """Fetch each cited URL (conditionally, by ETag and Last-Modified) and report changes.

    Records status and a content hash in PROJECT/sources.lock.json; lists sources that
    changed, moved or died with their citation keys. Exit status 1 when any needs review.
    """
    report = _check_sources(project, timeout=timeout)
    for warning in report.warnings:
        click.echo(warning, err=True)
    changed = [key for key in report.flagged if report.results[key].status in ("changed", "moved")]
    rechecked = None
    if rearchive and changed:
        from reportgen.sources.review import recheck_changed

        rechecked = recheck_changed(project.resolve(), changed, timeout=timeout)
    if fmt == "json":
        data = json.loads(report.to_json())
        if rechecked is not None:
            data["rechecked"] = rechecked.to_json()
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        lines = report.lines() + (rechecked.lines() if rechecked else [])
        if changed and not rearchive and (project / "sources").is_dir():
            lines.append(f"{len(changed)} changed: `reportgen sources check --archive` re-archives them and lists "
                         "the sentences their new texts no longer support")
        click.echo("\n".join(lines))
    return report.exit_status


@sources.command("archive")
@_project_option
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds to wait for each server.")
@click.option("--key", "keys", multiple=True, metavar="KEY", help="Archive only this source (repeatable).")
def sources_archive(project: Path, timeout: float, keys: tuple[str, ...]) -> int:
    """Save each cited web page under PROJECT/sources/: a WARC record and its main text.

    The texts (sources/KEY.txt) are what `reportgen check` compares quotations and figures
    with. A text written by hand is never replaced. With no network, nothing changes.
    """
    from reportgen.project.load import load_project
    from reportgen.sources.archive import archive_sources

    root = project.resolve()
    bib = load_project(root).bib
    unknown = [key for key in keys if key not in bib.items]
    if unknown:
        raise click.BadParameter(f"no source with key {', '.join(map(repr, unknown))}", param_hint="--key")
    report = archive_sources(root, bib, keys=list(keys) or None, timeout=timeout)
    click.echo("\n".join(report.lines()))
    return report.exit_status


@sources.command("report")
@_project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def sources_report(project: Path, fmt: str) -> None:
    """Per source: citing sentences, quotations and figures its text supports, when archived."""
    from reportgen.sources.review import report_lines, sources_report

    data = sources_report(project.resolve())
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if fmt == "json" else "\n".join(report_lines(data)))


def _check_sources(project: Path, *, timeout: float) -> SourcesReport:
    """Run the sources check and record its outcome in the build history."""
    from reportgen.pipeline.history import append
    from reportgen.project.load import load_project
    from reportgen.sources.check import check_sources

    root = project.resolve()
    report = check_sources(root, load_project(root).bib, timeout=timeout)
    append(root, {"kind": "sources", "status": "no-network" if report.no_network else "checked",
                  "counts": report.counts(), "flagged": report.flagged})
    return report


@cli.command()
@_project_option
@click.option("-n", "--last", type=int, default=10, show_default=True, help="How many entries to show (0: all).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def history(project: Path, last: int, fmt: str) -> None:
    """Show the recent builds: when, what changed, what was rebuilt, how long it took."""
    from reportgen.pipeline.history import HISTORY_NAME, read_entries

    entries, damaged = read_entries(project.resolve())
    if damaged:
        lines = ", ".join(map(str, damaged[:5])) + (" …" if len(damaged) > 5 else "")
        click.echo(f".reportgen/{HISTORY_NAME}: warning: {len(damaged)} damaged line(s) skipped (line {lines})", err=True)
    for entry in entries[-last:] if last else entries:
        click.echo(json.dumps(entry, ensure_ascii=False, sort_keys=True) if fmt == "json" else _history_line(entry))


def _history_line(entry: dict[str, Any]) -> str:
    what = ", ".join(entry.get("rebuilt") or []) or "-"
    line = f"{entry['time']}  {entry.get('kind', 'build'):7} {entry.get('status', ''):11} {what}"
    if entry.get("seconds") is not None:
        line += f"  ({entry['seconds']:.2f} s)"
    if entry.get("changed"):
        line += f"  changed: {', '.join(entry['changed'][:3])}" + (" …" if len(entry["changed"]) > 3 else "")
    if entry.get("flagged"):
        line += f"  review: {', '.join(entry['flagged'])}"
    if entry.get("error"):
        line += f"  error: {entry['error'].splitlines()[0]}"
    return line


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 user error) instead of exiting."""
    try:
        status = cli.main(args=argv, prog_name="reportgen", standalone_mode=False)
    except ReportgenError as exc:
        click.echo(str(exc), err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except BaseException as exc:
        interrupt = _interrupt_behind(exc)
        if interrupt is None:
            raise
        if isinstance(interrupt, InterruptedAfterWriting):
            click.echo("interrupted as the build finished; its new outputs are complete and in place", err=True)
        else:
            click.echo("aborted; previous outputs are untouched", err=True)
        return 130
    return status if isinstance(status, int) else 0


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C behind `exc`: click turns it into Abort, and a library may wrap it in an
    error of its own (matplotlib's class set-up does), which would otherwise print a traceback."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return KeyboardInterrupt() if isinstance(exc, click.exceptions.Abort) else None


def main_exit() -> None:
    """Console-script entry: exit with main()'s status."""
    status = main()
    skip_final_collection()
    sys.exit(status)


def skip_final_collection() -> None:
    """Spare the interpreter its garbage collections at exit: they walk every object a build
    left (WeasyPrint's laid-out pages among them), some 0.25 s for a 10-page brief, to free
    memory the operating system takes back anyway. Finalizers and atexit handlers still run."""
    gc.disable()
    gc.freeze()
