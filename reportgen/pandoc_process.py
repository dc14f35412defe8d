"""Running the bundled Pandoc: sandboxed, bounded in time, its failures reported as user errors."""

from __future__ import annotations

import functools
import re
import subprocess

from reportgen.document.model import Location
from reportgen.errors import ReportgenError

# Pandoc formats a brief's citations in well under a second; a minute means something is wrong.
PANDOC_TIMEOUT_S = 60.0


@functools.lru_cache(maxsize=1)
def pandoc_path() -> str:
    """The bundled binary (pypandoc runs it once to check it, some 0.15 s: asked once)."""
    import pypandoc  # light import; only for the bundled binary's path

    path: str = pypandoc.get_pandoc_path()
    return path


class PandocError(ReportgenError):
    """Pandoc refused its input; `stderr` keeps its message as it printed it."""

    def __init__(self, message: str, location: Location, stderr: str) -> None:
        super().__init__(message, location)
        self.stderr = stderr


def run_pandoc(args: list[str], data: bytes, where: Location, what: str) -> bytes:
    """Pandoc with `args` on `data` (stdin) under `--sandbox`: it reads and writes no file it is
    not named on the command line, and fetches nothing. A failure is `where: error: what failed: …`."""
    command = [pandoc_path(), "--sandbox", *args]
    try:
        done = subprocess.run(command, input=data, capture_output=True, check=False, timeout=PANDOC_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ReportgenError(f"{what} took longer than {PANDOC_TIMEOUT_S:.0f} s", where) from None
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace")
        raise PandocError(f"{what} failed: {pandoc_message(done.stderr)}", where, stderr)
    return done.stdout


def pandoc_message(stderr: bytes, limit: int = 200) -> str:
    """Pandoc's error, its first line only and shortened: an XML error quotes the text it
    could not parse (a whole file, when a style's parent was one), which must not be echoed."""
    lines = stderr.decode(errors="replace").strip().splitlines() or ["no message"]
    first = re.sub(r"\s*\(?(ContentText|EventContent)\b.*", " (content not shown)", lines[0])
    first = " ".join(first.split())
    return first if len(first) <= limit else first[: limit - 1] + "…"
