"""Text normalised for comparison, with a map back to the original characters.

The brief and its sources write the same words differently: curly or straight quotes and
apostrophes, hyphens or dashes with or without spaces, `…` or `...`, non-breaking spaces.
`normalise` folds these to one form and keeps, for every character of the result, the index
of the original character it came from, so a match found in normalised text can be shown
and located in the original.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

QUOTE_CHARS = "\"'“”„‟«»‹›‘’‚‛′″`"
DASH_CHARS = "-‐‑‒–—―−"
_DROP = {"\u00ad", "\u200b", "\u200c", "\u200d", "\ufeff"}  # soft hyphen, zero-width characters
_MARKUP = set("*_\\")  # Markdown emphasis and escapes, dropped from a section's source


@dataclass(frozen=True)
class Normalised:
    text: str
    index: list[int]  # index[i]: where text[i] came from in the original
    original: str

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
    emphasis markers and escapes."""
    out: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        if char in _DROP or (markdown and char in _MARKUP):
            continue
        char = unicodedata.normalize("NFKC", char) if not char.isascii() else char
        if char in QUOTE_CHARS:
            char = "'"
        elif char in DASH_CHARS:
            # "a - b", "a – b" and "a—b" compare equal: a dash swallows the spaces around it.
            while out and out[-1] == " ":
                out.pop()
                index.pop()
            if out and out[-1] == "-":
                continue
            out.append("-")
            index.append(i)
            continue
        elif char.isspace():
            if not out or out[-1] in (" ", "-"):
                continue
            char = " "
        for c in char:
            out.append(c)
            index.append(i)
    while out and out[-1] == " ":
        out.pop()
        index.pop()
    return Normalised("".join(out), index, text)


def fold_case(text: str) -> str:
    """Lower case that keeps every character in place (so indexes stay valid)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
