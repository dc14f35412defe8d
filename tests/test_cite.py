"""Citation correctness: our notes and bibliography against `pandoc --citeproc` itself.

Pandoc reads the same Markdown sections, bibliography and CSL file. Our figure captions end
with a citation of the chart's data sources and our cross-references read "Figure 2", so
the Markdown given to Pandoc says exactly that; everything else is the user's file as is.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from reportgen.citations.cite import pandoc_path
from reportgen.document import model as m
from reportgen.stages import load_project, read_document, resolved_document
from tests.conftest import copy_shipped

# A figure placed by its file and id, or a chart placed by its id (`![…](chart:fig-x)`).
_FIGURE = re.compile(r"^!\[(?P<caption>.*)\]\((?:chart:(?P<chart>fig-[\w-]+)|(?P<src>[^)]*))\)"
                     r"(?:\{#(?P<id>fig-[\w-]+)\})?[ \t]*$", re.M)
_XREF = re.compile(r"@((?:fig|sec|tbl)-[\w-]+)")


def pandoc_input(root: Path) -> str:
    """The brief as one Markdown file, with what reportgen adds made explicit."""
    project = load_project(root)
    doc = read_document(project)
    labels = {f.id: f"Figure {f.number}" for f in doc.figures()}
    labels |= {h.id: f"Section {h.number}" for h in doc.headings(max_level=3) if h.id}
    sources = {c.id: project.datasets[c.id].sources(c.source) for c in project.config.charts}
    text = "\n\n".join((root / s).read_text() for s in project.config.sections)

    def figure(match: re.Match[str]) -> str:
        name = match["chart"] or match["id"]
        if not name:
            return match[0]
        keys = sources.get(name, [])
        cite = " [" + "; ".join(f"@{k}" for k in keys) + "]" if keys else ""
        return f"![{match['caption']}{cite}]({match['src'] or 'figures/' + name + '.svg'}){{#{name}}}"

    text = _FIGURE.sub(figure, text)
    return _XREF.sub(lambda x: labels[x.group(1)], text)


def pandoc_notes_and_bibliography(root: Path) -> tuple[list[str], list[str]]:
    project = load_project(root)
    command = [pandoc_path(), "--from=markdown", "--to=json", "--citeproc",
               *(f"--bibliography={root / b}" for b in project.config.bibliography), f"--csl={project.csl}",
               f"--metadata=lang:{project.config.language}"]
    done = subprocess.run(command, input=pandoc_input(root).encode(), capture_output=True, check=True)
    ast = json.loads(done.stdout)
    notes: list[str] = []
    bibliography: list[str] = []
    _collect(ast["blocks"], notes, bibliography)
    return notes, bibliography


def _collect(node: object, notes: list[str], bibliography: list[str]) -> None:
    """Walk Pandoc's AST in document order, stringifying notes and bibliography entries."""
    if isinstance(node, list):
        for child in node:
            _collect(child, notes, bibliography)
    elif isinstance(node, dict):
        if node.get("t") == "Image":  # a figure's caption is also its image's alt text
            return
        if node.get("t") == "Note":
            notes.append(_stringify(node["c"]))
            return
        if node.get("t") == "Div" and "csl-entry" in node["c"][0][1]:
            bibliography.append(_stringify(node["c"][1]))
            return
        _collect(node.get("c"), notes, bibliography)


def _stringify(node: object) -> str:
    if isinstance(node, list):
        return "".join(_stringify(n) for n in node)
    if not isinstance(node, dict):
        return ""
    kind, content = node.get("t"), node.get("c")
    if kind == "Str":
        return str(content)
    if kind in ("Space", "SoftBreak", "LineBreak"):
        return " "
    if kind == "Quoted":
        left, right = ("“", "”") if content[0]["t"] == "DoubleQuote" else ("‘", "’")
        return left + _stringify(content[1]) + right
    if kind == "Link":
        return _stringify(content[1])
    if kind == "Cite":
        return _stringify(content[1])
    if kind in ("Span", "Div"):
        return _stringify(content[1])
    if kind == "Para" or kind == "Plain":
        return _stringify(content)
    return _stringify(content)


def ours(root: Path) -> tuple[list[str], list[str]]:
    doc = resolved_document(load_project(root))
    return ([m.plain_text(n.children) for n in doc.notes], [m.plain_text(e.children) for e in doc.bibliography])


@pytest.mark.parametrize("which", ["test-project", "shipped-brief"])
def test_notes_and_bibliography_match_pandoc(which: str, project: Path, tmp_path: Path) -> None:
    root = project if which == "test-project" else copy_shipped(tmp_path / "brief")
    our_notes, our_bib = ours(root)
    their_notes, their_bib = pandoc_notes_and_bibliography(root)
    assert len(our_notes) == len(their_notes)
    for number, (a, b) in enumerate(zip(our_notes, their_notes), start=1):
        assert a == b, f"note {number} differs"
    assert our_bib == their_bib


def test_positions_first_full_then_short(project: Path) -> None:
    notes, _ = ours(project)
    assert notes[0].startswith("Daniel R. DePetris, “Armenia and Russia—It’s Complicated,” Newsweek")
    # Later citations of the same work are short notes.
    later = [n for n in notes[1:] if "DePetris" in n]
    assert later and all("Newsweek" not in n for n in later)


def test_in_text_citation_keeps_the_author_in_the_sentence(project: Path) -> None:
    doc = resolved_document(load_project(project))
    text = m.plain_text(doc.blocks[2].children)
    assert "Giragosian calls the alliance unreliable." in text
