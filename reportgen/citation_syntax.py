"""markdown-it plugins for the Pandoc/Quarto syntax that CommonMark lacks.

- citations: `[@key]`, `[see @a, p. 4; -@b]`, in-text `@key` and `@key [p. 4]`;
- cross-references: `@fig-x`, `@sec-x`, `@tbl-x` (Quarto's prefixes);
- heading attributes: `# Title {#sec-x .unnumbered}`;
- fenced divs: `::: {.key-findings}` (through mdit-py-plugins' container plugin).

The plugins only tokenise; `reportgen.parse` turns the tokens into the document model.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.container import container_plugin

# Pandoc's key grammar: starts with a word character; internal punctuation is part of the
# key only when a word character follows, so "@key." ends before the period.
KEY = r"(?:\{(?P<braced>[^{}]+)\}|(?P<plain>\w(?:\w|[:.#$%&\-+?<>~/](?=\w))*))"
_KEY_RE = re.compile("@" + KEY)
_ITEM_RE = re.compile(r"^(?P<prefix>.*?)(?P<minus>-?)@" + KEY + r"(?P<suffix>.*)$", re.DOTALL)
XREF_PREFIXES = ("fig-", "sec-", "tbl-")
MAX_CITATION_CHARS = 2000  # some 150 keys; far beyond any real `[see @a, 4; @b]`
_HEADING_ATTRS = re.compile(r"\s*\{(?P<attrs>[^{}]*)\}\s*$")


def citation_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "pandoc_cite_bracket", _bracket_rule)
    md.inline.ruler.before("text", "pandoc_cite_intext", _intext_rule)
    md.core.ruler.after("block", "heading_attrs", _heading_attrs_rule)
    container_plugin(md, "div", validate=_is_div_info)


def _key(match: re.Match[str]) -> str:
    return match.group("braced") or match.group("plain")


def split_items(body: str) -> list[dict[str, object]] | None:
    """Split the inside of `[...]` into cite items, or None if it is not a citation."""
    items = []
    for part in body.split(";"):
        match = _ITEM_RE.match(part.strip())
        if not match:
            return None
        items.append({
            "key": _key(match),
            "prefix": match.group("prefix").strip(),
            "suffix": match.group("suffix").rstrip(),
            "suppress_author": bool(match.group("minus")),
        })
    return items


def _closing_bracket(src: str, start: int) -> int:
    return _bracket_pairs(src).get(start, -1)


@lru_cache(maxsize=8)
def _bracket_pairs(src: str) -> dict[int, int]:
    """Each `[` in `src` mapped to its matching `]`, in one pass: the rule runs at every `[`,
    and scanning to the end each time made `[[[[...` quadratic (20,000 brackets took 27 s)."""
    pairs: dict[int, int] = {}
    opened: list[int] = []
    pos = 0
    while pos < len(src):
        char = src[pos]
        if char == "\\":
            pos += 2  # an escaped bracket neither opens nor closes
            continue
        if char == "[":
            opened.append(pos)
        elif char == "]" and opened:
            pairs[opened.pop()] = pos
        pos += 1
    return pairs


def _bracket_rule(state: StateInline, silent: bool) -> bool:
    src, start = state.src, state.pos
    if src[start] != "[" or src.startswith("[^", start):
        return False
    end = _closing_bracket(src, start)
    if end < 0:
        return _malformed(state, silent, "citation has no closing ']'") if _OPENS_CITE.match(src, start) else False
    # `[text](url)` and `[text][ref]` are links, whatever they contain.
    if src[end + 1 : end + 2] in ("(", "[", ":"):
        return False
    # Checking every `[` of nested brackets against its whole body made `[x;[x;...@a]]]`
    # quadratic; no real citation is this long.
    if end - start > MAX_CITATION_CHARS:
        if _OPENS_CITE.match(src, start):
            return _malformed(state, silent, f"citation is longer than {MAX_CITATION_CHARS} characters (a ']' missing?)")
        return False
    body = src[start + 1 : end]
    if not _KEY_RE.search(body):
        return False
    items = split_items(body)
    if items is None:
        if any(_ITEM_RE.match(part.strip()) for part in body.split(";")):
            cited = _shorten(src[start : end + 1])
            return _malformed(state, silent, f"malformed citation '{cited}': every item between ';' needs an @key")
        return False
    if not silent:
        _push(state, items, in_text=False, source=src[start : end + 1], offset=start)
    state.pos = end + 1
    return True


_OPENS_CITE = re.compile(r"\[-?@\w")


def _shorten(text: str, limit: int = 60) -> str:
    """A citation as quoted in a message: enough to find it, never a whole paragraph."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _malformed(state: StateInline, silent: bool, message: str) -> bool:
    """Flag a citation that did not parse; its text stays as written."""
    if not silent:
        token = state.push("cite_error", "", 0)
        token.meta = {"message": message, "offset": state.pos}
        state.push("text", "", 0).content = "["
    state.pos += 1
    return True


def _intext_rule(state: StateInline, silent: bool) -> bool:
    src, start = state.src, state.pos
    if src[start] != "@" or (start > 0 and (src[start - 1].isalnum() or src[start - 1] in "_.")):
        return False  # e-mail addresses and the like
    match = re.compile(KEY).match(src, start + 1)
    if not match:
        return False
    end = match.end()
    suffix = ""
    locator = re.compile(r" \[(?P<loc>[^\[\]@]*)\]").match(src, end)
    if locator and src[locator.end() : locator.end() + 1] != "(":
        suffix, end = locator.group("loc"), locator.end()
    if not silent:
        items = [{"key": _key(match), "prefix": "", "suffix": suffix, "suppress_author": False}]
        _push(state, items, in_text=True, source=src[start:end], offset=start)
    state.pos = end
    return True


def _push(state: StateInline, items: list[dict[str, object]], *, in_text: bool, source: str, offset: int) -> None:
    keys = [str(item["key"]) for item in items]
    if all(key.startswith(XREF_PREFIXES) for key in keys):
        for key in keys:
            token = state.push("xref", "", 0)
            token.meta = {"target": key, "offset": offset}
        return
    token = state.push("cite", "", 0)
    token.meta = {"items": items, "in_text": in_text, "source": source, "offset": offset}


def _heading_attrs_rule(state: StateCore) -> None:
    tokens = state.tokens
    for opening, inline in itertools.pairwise(tokens):
        if opening.type != "heading_open" or inline.type != "inline":
            continue
        match = _HEADING_ATTRS.search(inline.content)
        if not match:
            continue
        inline.content = inline.content[: match.start()]
        for word in match.group("attrs").split():
            if word.startswith("#"):
                opening.attrSet("id", word[1:])
            elif word.startswith("."):
                opening.attrJoin("class", word[1:])


def _is_div_info(params: str, *_: object) -> bool:
    return bool(div_attrs(params)[0] or div_attrs(params)[1])


def div_attrs(info: str) -> tuple[list[str], str]:
    """Classes and id of a fenced div's opening line: `{.a .b #id}` or a bare `a`."""
    info = info.strip()
    if info.startswith("{") and info.endswith("}"):
        words = info[1:-1].split()
        classes = [w[1:] for w in words if w.startswith(".")]
        ids = [w[1:] for w in words if w.startswith("#")]
        return classes, ids[-1] if ids else ""
    return ([info.split()[0]] if info else []), ""
