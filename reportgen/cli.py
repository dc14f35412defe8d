"""Command line: parses arguments and calls the pipeline. Nothing else lives here."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reportgen import __version__
from reportgen.errors import ReportgenError

if TYPE_CHECKING:
    from reportgen.pipeline import BuildResult


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


def _project_option(f):  # type: ignore[no-untyped-def]
    return click.option("-p", "--project", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                        show_default=True, help="The project folder (holding reportgen.yml).")(f)


@cli.command()
@_project_option
@click.option("-f", "--format", "fmt", type=click.Choice(["pdf", "docx", "all"]), default=None,
              help="What to build; default: the config's `outputs`.")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder; default: PROJECT/build.")
@click.option("--force", is_flag=True, help="Rebuild everything, even what is up to date.")
@click.option("--if-changed", is_flag=True,
              help="For schedulers: print one line saying whether it rebuilt and why; exit 0 either way.")
@click.option("--lock-timeout", type=float, default=300.0, show_default=True,
              help="Seconds to wait for another build of the same project to finish.")
def build(project: Path, fmt: str | None, out: Path | None, force: bool, if_changed: bool, lock_timeout: float) -> None:
    """Build the brief: PDF and/or DOCX, with charts, notes and bibliography.

    Only what changed since the last build is redone; with nothing changed it says so.
    """
    from reportgen.pipeline import build as run_build

    formats = None if fmt is None else (["pdf", "docx"] if fmt == "all" else [fmt])
    start = time.perf_counter()
    result = run_build(project, formats, out, force=force, lock_timeout=lock_timeout)
    elapsed = time.perf_counter() - start
    for warning in result.warnings:
        click.echo(str(warning), err=True)
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


def _one_line(result: BuildResult, elapsed: float) -> str:
    if result.up_to_date:
        return f"up to date: nothing changed ({elapsed:.2f} s)"
    changed = ", ".join(result.changed[:5]) + (f" and {len(result.changed) - 5} more" if len(result.changed) > 5 else "")
    return f"rebuilt {', '.join(result.rebuilt)} in {elapsed:.1f} s: changed {changed}"


@cli.command()
@_project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="`json` prints one object with every diagnostic, for CI.")
def check(project: Path, fmt: str) -> int:
    """Validate the project without rendering: config, Markdown, citations, data, charts.

    Prints `path:line:col: error|warning: message` for each problem; exit status 1 on errors.
    """
    from reportgen.check import check_project

    found = check_project(project).found
    if fmt == "json":
        summary = {"errors": len(found.errors), "warnings": len(found.warnings)}
        click.echo(json.dumps({"diagnostics": [d.to_json() for d in found.items], **summary}, indent=2))
    else:
        for diagnostic in found.items:
            click.echo(str(diagnostic))
        click.echo(f"{len(found.errors)} error(s), {len(found.warnings)} warning(s)", err=True)
    return 1 if found.errors else 0


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
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("aborted; previous outputs are untouched", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return status if isinstance(status, int) else 0



def main_exit() -> None:
    """Console-script entry: exit with main()'s status."""
    sys.exit(main())
