"""The document's stages in order, as a library caller or a test runs them:

    load      project/load.py       reportgen.yml, bibliography, style, data -> Project
    read      document/reader.py    the sections -> Document (Cite, CrossRef, FootnoteRef)
    resolve   document/resolve.py   numbered, cross-references -> Ref
    check     check.py              citations, outputs, the editor's warnings (once)
    cite      citations/cite.py     notes and bibliography -> ResolvedDocument
    (draw and render: charts/, outputs/; `pipeline/build.py` runs every stage, timed)

Each stage is a function returning the value the next one takes. These forms raise every
error a stage collected, as one exception.
"""

from __future__ import annotations

from reportgen.check import check_references
from reportgen.citations.cite import cite_document
from reportgen.document import model as m
from reportgen.document.links import apply_link_policy
from reportgen.document.reader import read
from reportgen.document.resolve import resolve
from reportgen.errors import Diagnostics
from reportgen.project.load import Project, load_project

__all__ = ["load_project", "read_document", "resolved_document"]


def read_document(project: Project) -> m.Document:
    """Read, number and cross-reference; citations and note calls stay as written."""
    found = Diagnostics()
    doc = resolve(read(project, found), found)
    found.raise_errors()
    return doc


def resolved_document(project: Project) -> m.ResolvedDocument:
    """Read, resolve, check the citations, cite and apply the link policy: what both
    backends take."""
    found = Diagnostics()
    doc = resolve(read(project, found), found)
    check_references(project, doc, found)
    found.raise_errors()
    resolved, _ = apply_link_policy(cite_document(project, doc), project.bib.locations)
    return resolved
