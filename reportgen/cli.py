"""Command line: parses arguments and calls the pipeline. Nothing else lives here."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from reportgen import __version__
from reportgen.errors import ReportgenError


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


@cli.command()
@click.option("-p", "--project", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The project folder (holding reportgen.yml).")
@click.option("-f", "--format", "fmt", type=click.Choice(["pdf", "docx", "all"]), default=None,
              help="What to build; default: the config's `outputs`.")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder; default: PROJECT/build.")
def build(project: Path, fmt: str | None, out: Path | None) -> None:
    """Build the brief: PDF and/or DOCX, with charts, notes and bibliography."""
    from reportgen.pipeline import build as run_build

    formats = None if fmt is None else (["pdf", "docx"] if fmt == "all" else [fmt])
    start = time.perf_counter()
    result = run_build(project, formats, out)
    elapsed = time.perf_counter() - start
    for path in result.outputs:
        click.echo(f"wrote {_display(path)} ({path.stat().st_size / 1024:.0f} KiB)")
    click.echo(f"built {len(result.outputs)} output(s), {result.notes} notes, in {elapsed:.1f} s")


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
