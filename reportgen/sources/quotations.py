"""Is a quoted passage in its source's text?

Both are normalised first (`textnorm`: quote marks, apostrophes, dashes, ellipses, spaces).
In the quotation, `…`, `...` and `[…]` are gaps (words left out), and words in square
brackets are the writer's insertions (`[the CSTO]`, `[T]he`): each splits the passage into
fragments that must appear in the source in order, each starting and ending on a word
boundary, with a gap of at most MAX_ELLIPSIS characters after an ellipsis and at most
MAX_INSERTION after an insertion. The case of each fragment's first letter is free
("The" quoted mid-sentence as "the"); every other character must match. Punctuation
closing the quotation (a full stop inside the marks, American style) is not required.

When a passage is not found, `closest` finds the most similar stretch of the source
(rapidfuzz) and the first word where the two part.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from reportgen.sources.textnorm import Normalised, fold_case, normalise

MAX_ELLIPSIS = 3000
MAX_INSERTION = 80
WHOLE_SEARCH = 200_000  # characters: up to this, the closest passage is sought in the whole text
# A gap: […], [...], … / ..., or a bracketed insertion with the word it is glued to ([T]he).
_GAP = re.compile(r"\[\s*\.\.\.\s*\]|\.\.\.|[\w']*\[[^\]\n]{1,80}\][\w']*")
_EDGE = " ,;:"


@dataclass(frozen=True)
class Fragment:
    text: str
    offset: int  # in the normalised quotation
    gap_before: int  # the largest gap allowed before it (0 for the first)


@dataclass(frozen=True)
class Closest:
    passage: str  # the most similar stretch of the source, as the source has it
    score: float  # 0-100
    differs_at: int  # offset in the quotation (original) of the first word that differs


def fragments(quotation: str) -> tuple[Normalised, list[Fragment]]:
    norm = normalise(quotation)
    text = norm.text.rstrip(".,;:!? ")
    out: list[Fragment] = []
    pos, gap = 0, 0
    for match in _GAP.finditer(text):
        if _add(out, text, pos, match.start(), gap):
            gap = 0
        gap += MAX_ELLIPSIS if "..." in match.group(0) else MAX_INSERTION
        pos = match.end()
    _add(out, text, pos, len(text), gap)
    return norm, out


def _add(out: list[Fragment], text: str, start: int, end: int, gap: int) -> bool:
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    if end > start:
        out.append(Fragment(text[start:end], start, gap if out else 0))
    return end > start


def is_in(quotation: str, source: Normalised) -> bool:
    """True when the quotation, its gaps and insertions allowed for, is in the source."""
    _, parts = fragments(quotation)
    if not parts:
        return True
    folded = source.folded
    for first in _occurrences(parts[0].text, source.text, folded, 0, len(source.text)):
        end = first + len(parts[0].text)
        for part in parts[1:]:
            found = next(_occurrences(part.text, source.text, folded, end, end + part.gap_before + len(part.text)), None)
            if found is None:
                break
            end = found + len(part.text)
        else:
            return True
    return False


def _occurrences(fragment: str, text: str, folded: str, start: int, stop: int) -> Iterator[int]:
    """Where `fragment` starts in text[start:stop], on word boundaries, its first letter's
    case free."""
    head, tail = fragment[0].lower(), fragment[1:]
    pos = folded.find(head + fold_case(tail), start, stop)
    while pos >= 0:
        end = pos + len(fragment)
        if text[pos + 1 : end] == tail and _boundary(text, pos, end, fragment):
            yield pos
        pos = folded.find(head + fold_case(tail), pos + 1, stop)


def _boundary(text: str, start: int, end: int, fragment: str) -> bool:
    before_ok = start == 0 or not (fragment[0].isalnum() and text[start - 1].isalnum())
    after_ok = end >= len(text) or not (fragment[-1].isalnum() and text[end].isalnum())
    return before_ok and after_ok


def closest(quotation: str, source: Normalised) -> Closest | None:
    """The source's stretch most like the quotation, and where the quotation departs from it.

    Stretches of as many words as the quotation's longest fragment (one fewer, one more)
    are compared with it (rapidfuzz's ratio, case folded); a gapped quotation is compared by
    its longest fragment, which should be in the source whole."""
    from rapidfuzz import fuzz

    norm, parts = fragments(quotation)
    if not parts or not source.text:
        return None
    part = max(parts, key=lambda p: len(p.text))
    needle = fold_case(part.text)
    low, high = 0, len(source.text)
    if high > WHOLE_SEARCH:  # a long text: rapidfuzz finds the region, word windows the passage
        region = fuzz.partial_ratio_alignment(needle, source.folded)
        if region is None:
            return None
        low, high = max(0, region.dest_start - len(needle)), region.dest_end + len(needle)
    words = [(w.start() + low, w.end() + low, re.findall(r"\d+", w.group())) for w in re.finditer(r"\S+", source.text[low:high])]
    size = len(needle.split())
    # A misquoted figure usually keeps its number ("roughly 26 percent" for "approximately
    # 26%"): a stretch with the quotation's numbers is preferred.
    numbers = re.findall(r"\d+", needle)
    best = (-1.0, 0, 0)
    for n in sorted({max(1, size - 1) if size > 2 else size, size, size + 1}):
        for i in range(max(0, len(words) - n + 1)):
            start, end = words[i][0], words[i + n - 1][1]
            score = fuzz.ratio(needle, source.folded[start:end])
            if numbers and all(any(x in w[2] for w in words[i : i + n]) for x in numbers):
                score = min(100.0, score + 25)
            if score > best[0]:
                best = (score, start, end)
    score, start, end = best
    if score < 0:
        return None
    differs = _first_difference(part.text, source.text[start:end])
    return Closest(source.excerpt(start, end), score, norm.index[min(part.offset + differs, len(norm.index) - 1)])


def _first_difference(needle: str, passage: str) -> int:
    """Offset in `needle` of the first word not matched in `passage`."""
    words = list(re.finditer(r"\S+", needle))
    theirs = [w.lower() for w in passage.split()]
    matcher = difflib.SequenceMatcher(None, [w.group(0).lower() for w in words], theirs, autojunk=False)
    for tag, i1, _i2, _j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            return words[i1].start() if i1 < len(words) else len(needle)
    return 0
