"""One URL policy for every link in every output.

A link in a brief goes to a web page (`http`, `https`), an address (`mailto`), or a place in
the brief itself (`#id`). Anything else (`javascript:`, `file:`, `data:`, a path such as
`/etc/passwd` that a PDF viewer resolves to `file:///etc/passwd`, `//host/share`) is
reported and printed as its text, with no link; a link to a heading or figure of the brief
becomes the same internal reference as `@sec-x`, which both outputs link (Word by bookmark).
The policy runs once, on the resolved
document after the citations are formatted, so it covers links from every source alike:
the text, author notes, citation prefixes and suffixes, bibliography entries, and returns a
new document (`check` only reports, before citing). Both backends then only ever see allowed
links. The PDF backend applies `allowed` once more to the
laid-out pages, which also covers links written into a template.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from reportgen.document import model as m
from reportgen.errors import Diagnostic

# Ids the renderers give elements beyond those in the model.
_RENDERED_IDS = (m.BIBLIOGRAPHY_ID, "refs")
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")  # browsers drop or rewrite these before the scheme
_MAX_SHOWN = 80


def refusal(url: str, ids: set[str] | None = None) -> str | None:
    """Why `url` may not be a link, or None when it may. `ids`: the document's anchors (None:
    any `#id` passes, for a caller that cannot know them)."""
    if url.startswith("#"):
        if ids is None or url[1:] in ids:
            return None
        return "links to nothing in the document"
    if _UNSAFE_CHARACTERS.search(url):
        return "has spaces, control characters or backslashes"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return "is not a valid URL"
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return None if parts.hostname else "has no host"
    if scheme == "mailto":
        return None if parts.path else "has no address"
    if not scheme:
        return "is not a web address (a relative path or host would open a local file)"
    return f"is a {scheme}: link"


def allowed(url: str, ids: set[str] | None = None) -> bool:
    return refusal(url, ids) is None


def apply_link_policy(doc: m.ResolvedDocument, bib_locations: dict[str, m.Location] | None = None
                      ) -> tuple[m.ResolvedDocument, list[Diagnostic]]:
    """A new document with every link the policy refuses replaced by its text, `doc` left as
    it was; and one warning per link, located at its paragraph (a note's: the paragraph that
    calls it; a bibliography entry's: its source in the bibliography file) where known."""
    note_places = _note_places(doc)
    police = _Police(document_ids(doc), _places(doc), change=True)
    blocks = police.clean(doc.blocks, None)
    notes = [police.clean(note, note_places.get(note.number)) for note in doc.notes]
    locations = bib_locations or {}
    bibliography = [police.clean(entry, locations.get(entry.key)) for entry in doc.bibliography]
    warnings = list(dict.fromkeys(police.warnings))
    unchanged = blocks is doc.blocks and all(a is b for a, b in zip([*notes, *bibliography],
                                                                     [*doc.notes, *doc.bibliography]))
    if unchanged:
        return doc, warnings
    return replace(doc, blocks=blocks, notes=notes, bibliography=bibliography), warnings


def link_warnings(doc: m.Document) -> list[Diagnostic]:
    """The warnings `apply_link_policy` will give for the text and the author notes, before
    citing (`check`); nothing is changed."""
    note_places = _note_places(doc)
    police = _Police(document_ids(doc), _places(doc), change=False)
    police.clean(doc.blocks, None)
    for label, body in doc.footnote_defs.items():  # author notes as written
        if label in note_places:  # (an uncalled one is not printed)
            police.clean(body, note_places[label])
    return list(dict.fromkeys(police.warnings))


def _bibliography(doc: m.Document | m.ResolvedDocument) -> list[m.BibEntry]:
    return doc.bibliography if isinstance(doc, m.ResolvedDocument) else []


def _places(doc: m.Document | m.ResolvedDocument) -> set[str]:
    """The ids both outputs mark as places to link to: headings, figures, the bibliography."""
    ids = {b.id for b in m.walk_blocks(doc.blocks) if isinstance(b, (m.Heading, m.Figure)) and b.id}
    return ids | ({m.BIBLIOGRAPHY_ID} if _bibliography(doc) else set())


def document_ids(doc: m.Document | m.ResolvedDocument) -> set[str]:
    """Every anchor a `#id` link may go to in both outputs."""
    ids = set(_RENDERED_IDS)
    blocks = list(m.walk_blocks(doc.blocks))
    inlines = [node for block in blocks for run in m.inline_lists(block) for node in m.walk_inlines(run)]
    for node in [*blocks, *inlines]:  # headings, figures, tables, divs, code, equations
        value = getattr(node, "id", "")
        if isinstance(value, str) and value:
            ids.add(value)
    ids.update(f"ref-{entry.key}" for entry in _bibliography(doc))  # Pandoc's link-citations go there
    return ids


class _Police:
    """Walks any part of the model (whatever its node types); with `change`, returns it with
    refused links spliced out (copies of what changed, the rest shared), else as it was."""

    def __init__(self, ids: set[str], places: set[str], change: bool) -> None:
        self.ids, self.places, self.change = ids, places, change
        self.warnings: list[Diagnostic] = []

    def clean(self, value: Any, where: m.Location | None) -> Any:
        if isinstance(value, list):
            return self._list(value, where)
        if isinstance(value, dict):
            items = {key: self.clean(item, where) for key, item in value.items()}
            return items if any(items[k] is not value[k] for k in value) else value
        if is_dataclass(value) and not isinstance(value, type):
            located = getattr(value, "location", None)
            where = located if isinstance(located, m.Location) else where
            changes = {}
            for field in fields(value):
                child = getattr(value, field.name)
                if isinstance(child, (list, dict)) or is_dataclass(child):
                    cleaned = self.clean(child, where)
                    if cleaned is not child:
                        changes[field.name] = cleaned
            return replace(value, **changes) if changes else value
        return value

    def _list(self, nodes: list[Any], where: m.Location | None) -> list[Any]:
        pending, out, changed = list(nodes), [], False
        index = 0
        while index < len(pending):
            node = pending[index]
            reason = refusal(node.url, self.ids) if isinstance(node, m.Link) else None
            if reason is None and self.change and isinstance(node, m.Link) and node.url[1:] in self.places:
                # `[text](#sec-x)`: an internal reference, which both outputs link (Word by bookmark)
                out.append(m.Ref(node.url[1:], m.plain_text(node.children) or node.url))
                changed, index = True, index + 1
                continue
            if reason is not None:
                self.warnings.append(Diagnostic("warning", f"link '{shown(node.url)}' {reason}; printed as text, "
                                                "without the link (links go to http, https or mailto addresses, "
                                                "or to an #id in the brief)", where))
                if self.change:
                    pending[index : index + 1] = node.children or [m.Text(node.url)]
                    changed = True
                    continue  # the spliced children are walked next
            cleaned = self.clean(node, where)
            changed = changed or cleaned is not node
            out.append(cleaned)
            index += 1
        return out if changed else nodes


def _note_places(doc: m.Document | m.ResolvedDocument) -> dict[int | str, m.Location]:
    """Where each note is called: the location of the paragraph holding the call, by note
    number (formatted notes) and by footnote label (author notes not yet formatted)."""
    places: dict[int | str, m.Location] = {}

    def visit(value: Any, where: m.Location | None) -> None:
        if isinstance(value, list):
            for item in value:
                visit(item, where)
        elif is_dataclass(value) and not isinstance(value, type):
            located = getattr(value, "location", None)
            if isinstance(located, m.Location) and not isinstance(value, m.FootnoteRef):
                where = located  # the paragraph's, as for a formatted note's call
            if isinstance(value, m.NoteRef) and where is not None:
                places.setdefault(value.number, where)
            if isinstance(value, m.FootnoteRef) and where is not None:
                places.setdefault(value.label, where)
            for field in fields(value):
                visit(getattr(value, field.name), where)

    visit(doc.blocks, None)
    return places


def shown(url: str) -> str:
    url = _UNSAFE_CHARACTERS.sub(lambda c: f"\\x{ord(c.group()):02x}" if c.group() != " " else " ", url)
    return url if len(url) <= _MAX_SHOWN else url[: _MAX_SHOWN - 1] + "…"
