"""Words taken from a source without quotation marks: runs of COPIED_WORDS or more words
that a cited sentence shares, word for word, with a cited source's text.

Words are compared lower-cased, without punctuation and with one kind of apostrophe, so
"the Collective Security Treaty Organization (CSTO)" matches "the collective security
treaty organization, CSTO". Quotations are left out first: quoted words are the quotation
check's. Twelve words in a row are rarely a coincidence and rarely a name or a title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COPIED_WORDS = 12
_WORD = re.compile(r"\S+")
_STRIP = re.compile(r"[^\w%]")


@dataclass(frozen=True)
class Run:
    start: int  # offsets in the text searched
    end: int
    words: int


def _words(text: str) -> list[tuple[int, int, str]]:
    out = []
    for match in _WORD.finditer(text):
        word = _STRIP.sub("", match.group().lower().replace("’", "'"))
        if word:
            out.append((match.start(), match.end(), word))
    return out


def shingles(text: str) -> set[int]:
    """Hashes of every run of COPIED_WORDS words of a source's text."""
    words = [w for _, _, w in _words(text)]
    return {hash(tuple(words[i : i + COPIED_WORDS])) for i in range(len(words) - COPIED_WORDS + 1)}


def copied_runs(text: str, source: set[int]) -> list[Run]:
    """The longest runs of `text` whose every COPIED_WORDS-word window is in `source`."""
    words = _words(text)
    covered: set[int] = set()
    for i in range(len(words) - COPIED_WORDS + 1):
        if hash(tuple(w for _, _, w in words[i : i + COPIED_WORDS])) in source:
            covered.update(range(i, i + COPIED_WORDS))
    runs: list[Run] = []
    for i in sorted(covered):
        if runs and i - 1 in covered:
            runs[-1] = Run(runs[-1].start, words[i][1], runs[-1].words + 1)
        else:
            runs.append(Run(words[i][0], words[i][1], 1))
    return runs
