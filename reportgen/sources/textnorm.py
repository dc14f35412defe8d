"""Text normalised for comparison, with a map back to the original characters.

The brief and its sources write the same words differently: curly or straight quotes and
apostrophes, hyphens or dashes with or without spaces, `…` or `...`, non-breaking spaces.
`normalise` folds these to one form and keeps, for every character of the result, the index
of the original character it came from, so a match found in normalised text can be shown
and located in the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

QUOTE_CHARS = "\"'“”„‟«»‹›‘’‚‛′″`"
DASH_CHARS = "-‐‑‒–—―−"
_DROP = {"\u00ad", "\u200b", "\u200c", "\u200d", "\ufeff"}  # soft hyphen, zero-width characters
_MARKUP = set("*_\\")  # Markdown emphasis and escapes, dropped from a section's source


_SPACES = "\t\n\r\f\v \u00a0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
_TABLE = {
    **{ord(c): "'" for c in QUOTE_CHARS},
    **{ord(c): "-" for c in DASH_CHARS},
    **{ord(c): " " for c in _SPACES},
    **{ord(c): "\x00" for c in _DROP},
    ord("…"): "\x01",
}
_MARKDOWN_TABLE = _TABLE | {ord(c): "\x00" for c in _MARKUP}
# Runs folded to one character: an ellipsis, a dash with the spaces around it, spaces.
_RUNS = re.compile(r"\x01| *-[ -]*| {2,}")


@dataclass(frozen=True)
class Normalised:
    text: str
    index: list[int]  # index[i]: where text[i] came from in the original
    original: str

    @cached_property
    def folded(self) -> str:
        return fold_case(self.text)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of normalised text[start:end]."""
        if start >= len(self.index):
            return len(self.original), len(self.original)
        last = self.index[max(start, end - 1)] + 1 if end > start else self.index[start]
        return self.index[start], last

    def excerpt(self, start: int, end: int) -> str:
        a, b = self.span(start, end)
        return " ".join(self.original[a:b].split())


def normalise(text: str, *, markdown: bool = False) -> Normalised:
    """Fold quotes, apostrophes, dashes, ellipses and whitespace; with `markdown`, also drop
    emphasis markers and escapes. Every character maps one to one, then runs are folded,
    so the whole stays linear and quick on a long source."""
    mapped = text.translate(_MARKDOWN_TABLE if markdown else _TABLE)
    kept: list[int] | None = None
    if "\x00" in mapped:
        kept = [i for i, c in enumerate(mapped) if c != "\x00"]
        mapped = mapped.replace("\x00", "")
    out: list[str] = []
    index: list[int] = []
    pos = 0
    for match in _RUNS.finditer(mapped):
        out.append(mapped[pos : match.start()])
        index.extend(range(pos, match.start()))
        run = match.group()
        if run == "\x01":
            out.append("...")
            index.extend([match.start()] * 3)
        elif "-" in run:  # "a - b", "a – b" and "a—b" compare equal
            out.append("-")
            index.append(match.start() + run.index("-"))
        else:
            out.append(" ")
            index.append(match.start())
        pos = match.end()
    out.append(mapped[pos:])
    index.extend(range(pos, len(mapped)))
    result = "".join(out)
    lead = len(result) - len(result.lstrip(" "))
    result = result.strip(" ")
    index = index[lead : lead + len(result)]
    if kept is not None:
        index = [kept[i] for i in index]
    return Normalised(result, index, text)


def fold_case(text: str) -> str:
    """Lower case that keeps every character in place (so indexes stay valid)."""
    if text.isascii():
        return text.lower()
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
