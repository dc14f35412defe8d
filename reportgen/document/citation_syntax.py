"""Citation mistakes Pandoc reads silently, found in the source text.

Pandoc reads `[see @a; p. 4]` (an item without a key) as text with an in-text citation, and
an unclosed `[@a` as text: a brief would ship with a broken note. These checks look at
the Markdown itself, with code, comments and front matter masked out (`mask_code`), and
name the `[` where the citation starts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from reportgen.document.model import Location
from reportgen.errors import ReportgenError

# Pandoc's key grammar: starts with a word character; internal punctuation is part of the
# key only when a word character follows, so "@key." ends before the period.
KEY = r"(?:\{(?P<braced>[^{}]+)\}|(?P<plain>\w(?:\w|[:.#$%&\-+?<>~/](?=\w))*))"
_KEY_RE = re.compile("@" + KEY)
_ITEM_RE = re.compile(r"^(?P<prefix>.*?)(?P<minus>-?)@" + KEY + r"(?P<suffix>.*)$", re.DOTALL)
_OPENS_CITE = re.compile(r"\[-?@\w")
_BRACKET = re.compile(r"\\.|[\[\]]", re.DOTALL)
MAX_CITATION_CHARS = 2000  # some 150 keys; far beyond any real `[see @a, 4; @b]`

# What is not prose: fenced code, code spans, HTML comments, YAML front matter.
_FENCED = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*(?P=fence)[`~]*[ \t]*$|\Z)",
                     re.MULTILINE | re.DOTALL)
_SPAN = re.compile(r"(?<!`)(?P<ticks>`+)(?!`).*?(?<!`)(?P=ticks)(?!`)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def mask_code(text: str) -> str:
    """`text` with code, comments and front matter blanked (newlines kept): offsets, lines
    and columns stay those of the source."""
    for pattern in (FRONT_MATTER, _FENCED, _COMMENT, _SPAN):
        text = pattern.sub(_blank, text)
    return text


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def split_items(body: str) -> list[dict[str, object]] | None:
    """Split the inside of `[...]` into cite items, or None if it is not a citation."""
    items = []
    for part in body.split(";"):
        match = _ITEM_RE.match(part.strip())
        if not match:
            return None
        items.append({"key": match.group("braced") or match.group("plain")})
    return items


def citation_errors(masked: str, path: Path, locate: Callable[[int], Location]) -> list[ReportgenError]:
    """Malformed and unclosed bracketed citations in `masked` (see `mask_code`)."""
    errors: list[ReportgenError] = []
    pairs = _bracket_pairs(masked)
    skip_until = -1
    for opening in re.finditer(r"\[", masked):
        start = opening.start()
        if start < skip_until or masked.startswith("[^", start) or masked[start - 1 : start] in ("!", "^"):
            continue
        end = pairs.get(start, -1)
        if end < 0:
            if _OPENS_CITE.match(masked, start):
                errors.append(ReportgenError("citation has no closing ']'", locate(start)))
            continue
        if masked[end + 1 : end + 2] in ("(", "[", ":", "{"):
            continue  # a link, a reference link, a definition, a span
        if end - start > MAX_CITATION_CHARS:
            if _OPENS_CITE.match(masked, start):
                errors.append(ReportgenError(
                    f"citation is longer than {MAX_CITATION_CHARS} characters (a ']' missing?)", locate(start)))
            continue
        body = masked[start + 1 : end]
        if "[" in body or not _KEY_RE.search(body) or split_items(body) is not None:
            continue
        if any(_ITEM_RE.match(part.strip()) for part in body.split(";")):
            errors.append(ReportgenError(
                f"malformed citation '{_shorten(masked[start : end + 1])}': every item between ';' needs an @key",
                locate(start)))
            skip_until = end
    return errors


def _bracket_pairs(src: str) -> dict[int, int]:
    """Each `[` in `src` mapped to its matching `]`, in one pass (scanning to the end at every
    `[` made `[[[[...` quadratic)."""
    pairs: dict[int, int] = {}
    opened: list[int] = []
    for found in _BRACKET.finditer(src):  # an escaped bracket neither opens nor closes
        char = found.group()
        if char == "[":
            opened.append(found.start())
        elif char == "]" and opened:
            pairs[opened.pop()] = found.start()
    return pairs


def _shorten(text: str, limit: int = 60) -> str:
    """A citation as quoted in a message: enough to find it, never a whole paragraph."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
