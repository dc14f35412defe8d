"""Every CSL style: citations as `pandoc --citeproc` formats them, in the PDF and the DOCX.

A note style (Chicago notes) puts each citation in a footnote; an author-date style (APA)
and a numeric style (IEEE) put them in the text, and only the writer's own note is a
footnote. For each style the same small project (a BibLaTeX file, every citation form, an
author's note that cites) is formatted by reportgen and by Pandoc on the same Markdown, and
the in-text citations, the notes and the bibliography are compared; then both documents
are built and read back.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from reportgen.citations.cite import citation_format, pandoc_path
from reportgen.cli import main
from reportgen.document import model as m
from reportgen.stages import load_project, resolved_document
from tests.conftest import write_project
from tests.pdftext import flat, page_texts

BIB = """\
@article{smith2020,
  author = {Smith, Jane and Doe, John},
  title = {An Example Study of Water Use},
  journaltitle = {Journal of Examples},
  date = {2020},
  volume = {3},
  pages = {1--10}
}

@book{doe2019,
  author = {Doe, John},
  title = {The Example Book},
  publisher = {Example Press},
  location = {Exampleville},
  date = {2019}
}

@online{roe2021,
  author = {Roe, Richard},
  title = {An Example Web Page},
  url = {https://example.org/roe},
  date = {2021-06-15},
  urldate = {2024-01-10}
}
"""

ONE = """\
# Introduction

Use fell by a fifth [@smith2020, 4]. @doe2019 disagrees, and others agree
[see @roe2021; @smith2020, 12-14].[^own]

[^own]: The author's own note, citing [@doe2019, 33].

A paragraph that cites nothing.
"""

TWO = """\
# Trends

Again [@roe2021]. Doe said so [-@doe2019].
"""

STYLES = {"note": "chicago-notes-bibliography", "author-date": "apa", "numeric": "ieee"}


def config(csl: str, extra: str = "") -> str:
    return f"""\
title: Citation styles
date: 2026-11-22
language: en-US
sections: [one.md, two.md]
bibliography: refs.bib
csl: {csl}
output_name: styles
{extra}"""


def style_project(root: Path, csl: str, extra: str = "", sections: tuple[str, str] = (ONE, TWO)) -> Path:
    files = {"reportgen.yml": config(csl, extra), "refs.bib": BIB, "one.md": sections[0], "two.md": sections[1]}
    return write_project(root, files)


# --- Pandoc's answer --------------------------------------------------------------------


def pandoc_parts(root: Path, front_matter: str = "") -> dict[str, list[str]]:
    """In-text citations, paragraphs (notes left out), notes and bibliography, as Pandoc has them."""
    project = load_project(root)
    text = "\n\n".join((root / s).read_text() for s in project.config.sections)
    if front_matter:
        text = f"---\n{front_matter}\n---\n\n{text}"
    command = [pandoc_path(), "--from=markdown", "--to=json", "--citeproc", f"--bibliography={root / 'refs.bib'}",
               f"--csl={project.csl}", f"--metadata=lang:{project.config.language}"]
    ast = json.loads(subprocess.run(command, input=text.encode(), capture_output=True, check=True).stdout)
    parts: dict[str, list[str]] = {"cites": [], "paragraphs": [], "notes": [], "bibliography": []}
    for block in ast["blocks"]:
        if block["t"] == "Para":
            parts["paragraphs"].append(_text(block["c"]).strip())
            _collect(block["c"], parts)
        elif block["t"] == "Div" and block["c"][0][0] == "refs":
            parts["bibliography"] = [_text(entry["c"][1]) for entry in block["c"][1]]
    return parts


def _collect(nodes: list[dict], parts: dict[str, list[str]]) -> None:
    for node in nodes:
        if node["t"] == "Note":
            parts["notes"].append(_text(node["c"]))
        elif node["t"] == "Cite":
            text = _text(node["c"][1])
            if text.strip():  # a note style leaves only the Note in the text
                parts["cites"].append(text)
            _collect(node["c"][1], parts)


def _text(node: object) -> str:
    """Plain text, notes left out; the number of a numeric entry followed by a space."""
    if isinstance(node, list):
        return "".join(_text(n) for n in node)
    if not isinstance(node, dict):
        return ""
    kind, content = node["t"], node.get("c")
    if kind == "Str":
        return content
    if kind in ("Space", "SoftBreak", "LineBreak"):
        return " "
    if kind == "Note":
        return ""
    if kind == "Quoted":
        left, right = ("“", "”") if content[0]["t"] == "DoubleQuote" else ("‘", "’")
        return left + _text(content[1]) + right
    if kind == "Span" and "csl-left-margin" in content[0][1]:
        return _text(content[1]) + " "
    if kind in ("Link", "Span", "Div", "Cite"):
        return _text(content[-2] if kind == "Link" else content[1])
    return _text(content)


# --- ours ---------------------------------------------------------------------------------


def our_parts(root: Path) -> dict[str, list[str]]:
    doc = resolved_document(load_project(root))
    paragraphs = [m.plain_text(b.children).strip() for b in m.walk_blocks(doc.blocks) if isinstance(b, m.Paragraph)]
    return {"paragraphs": paragraphs, "notes": [m.plain_text(n.children) for n in doc.notes],
            "bibliography": [m.plain_text(e.children) for e in doc.bibliography]}


@pytest.mark.parametrize("kind", STYLES)
def test_citations_notes_and_bibliography_match_pandoc(kind: str, tmp_path: Path) -> None:
    root = style_project(tmp_path / kind, STYLES[kind])
    ours, theirs = our_parts(root), pandoc_parts(root)
    assert ours["paragraphs"] == theirs["paragraphs"]
    assert ours["notes"] == theirs["notes"]
    assert ours["bibliography"] == theirs["bibliography"]
    assert len(theirs["bibliography"]) == 3
    if kind == "note":
        assert len(ours["notes"]) == 6 and theirs["cites"] == ["John Doe"]  # the in-text author, the rest notes
    else:
        assert ours["notes"] == theirs["notes"] and len(ours["notes"]) == 1  # the author's own note only
        assert len(theirs["cites"]) == 5  # the sixth is in the author's note
        assert "Doe" in ours["notes"][0] or "[" in ours["notes"][0]  # its citation stays inside it


def _docx_paragraphs(path: Path, part: str) -> list[str]:
    with zipfile.ZipFile(path) as package:
        root = etree.fromstring(package.read(part))
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    out = []
    for p in root.iter(f"{{{ns['w']}}}p"):
        out.append("".join(t.text or "" for t in p.iter(f"{{{ns['w']}}}t", f"{{{ns['w']}}}tab")))
    return [p for p in out if p.strip()]


@pytest.mark.parametrize("kind", STYLES)
def test_both_outputs_carry_them(kind: str, tmp_path: Path) -> None:
    root = style_project(tmp_path / kind, STYLES[kind])
    theirs = pandoc_parts(root)
    assert main(["--quiet", "build", str(root)]) == 0
    pdf = flat(" ".join(page_texts(root / "build/styles.pdf")))
    body = _docx_paragraphs(root / "build/styles.docx", "word/document.xml")
    footnotes = [re.sub(r"^\d*\s*", "", n) for n in _docx_paragraphs(root / "build/styles.docx", "word/footnotes.xml")]
    for cite in theirs["cites"]:
        assert flat(cite) in pdf
        assert any(cite in p for p in body)
    for note in theirs["notes"]:
        assert note.strip() in footnotes
        assert flat(note)[:40] in pdf
    for entry in theirs["bibliography"]:
        assert entry in body
        assert flat(entry)[:40] in pdf


def test_numeric_and_author_date_calls_are_not_notes(tmp_path: Path) -> None:
    """With IEEE, the PDF shows '[1]' in the sentence and one footnote only."""
    root = style_project(tmp_path / "ieee", "ieee")
    doc = resolved_document(load_project(root))
    first = m.plain_text(doc.blocks[1].children)
    assert first.startswith("Use fell by a fifth [1, p. 4]. [2] disagrees")
    assert sum(isinstance(n, m.NoteRef) for b in doc.blocks if isinstance(b, m.Paragraph) for n in b.children) == 1


# --- placement, nocite, suppress, links ------------------------------------------------


def test_bibliography_goes_into_the_refs_div(tmp_path: Path) -> None:
    two = TWO + "\n::: {#refs}\n:::\n\n# Appendix\n\nAfter the references.\n"
    root = style_project(tmp_path / "p", "apa", sections=(ONE, two))
    doc = resolved_document(load_project(root))
    refs = next(b for b in m.walk_blocks(doc.blocks) if isinstance(b, m.Div) and b.id == "refs")
    assert isinstance(refs.children[-1], m.BibliographyBlock)
    assert doc.bibliography_title == ""  # no section of reportgen's at the end
    assert main(["--quiet", "build", str(root)]) == 0
    pdf = flat(" ".join(page_texts(root / "build/styles.pdf")))
    assert pdf.index("Doe, J. (2019)") < pdf.index("After the references.")
    body = _docx_paragraphs(root / "build/styles.docx", "word/document.xml")
    entry = next(i for i, p in enumerate(body) if p.startswith("Doe, J. (2019)"))
    assert entry < body.index("After the references.")
    assert "References" not in body and "Bibliography" not in body


def test_bibliography_under_a_final_references_heading(tmp_path: Path) -> None:
    root = style_project(tmp_path / "p", "apa", sections=(ONE, TWO + "\n# References\n"))
    doc = resolved_document(load_project(root))
    assert isinstance(doc.blocks[-1], m.BibliographyBlock) and doc.bibliography_title == ""
    assert main(["--quiet", "build", str(root)]) == 0
    body = _docx_paragraphs(root / "build/styles.docx", "word/document.xml")
    heading = [p for p in body if p.endswith("References")]
    assert len(heading) == 2  # the writer's heading and its contents entry, nothing of reportgen's
    assert body[-3].startswith("Doe, J. (2019)")


def test_bibliography_at_the_end_under_the_style_s_word(tmp_path: Path) -> None:
    doc = resolved_document(load_project(style_project(tmp_path / "a", "apa")))
    assert doc.bibliography_title == "References" and not any(isinstance(b, m.BibliographyBlock) for b in doc.blocks)
    doc = resolved_document(load_project(style_project(tmp_path / "n", "chicago-notes-bibliography")))
    assert doc.bibliography_title == "Bibliography"


def test_nocite_lists_uncited_entries(tmp_path: Path) -> None:
    one = "# One\n\nOnly Doe is cited [@doe2019].\n"
    root = style_project(tmp_path / "p", "apa", 'nocite: "@roe2021"', sections=(one, "# Two\n\nNo citation.\n"))
    ours = our_parts(root)
    assert [e.split(",")[0] for e in ours["bibliography"]] == ["Doe", "Roe"]
    assert ours["bibliography"] == pandoc_parts(root, "nocite: '@roe2021'")["bibliography"]
    root = style_project(tmp_path / "all", "apa", "nocite: ['@*']", sections=(one, "# Two\n\nNo citation.\n"))
    assert len(our_parts(root)["bibliography"]) == 3
    status = main(["check", str(root)])
    assert status == 0  # and no "never cited" warnings for entries listed on purpose


def test_nocite_all_silences_unused_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = "# One\n\nOnly Doe is cited [@doe2019].\n"
    root = style_project(tmp_path / "p", "apa", sections=(one, "# Two\n\nNo citation.\n"))
    main(["check", str(root)])
    assert "never cited" in capsys.readouterr().out
    root = style_project(tmp_path / "q", "apa", "nocite: '@*'", sections=(one, "# Two\n\nNo citation.\n"))
    main(["check", str(root)])
    assert "never cited" not in capsys.readouterr().out


def test_suppress_bibliography(tmp_path: Path) -> None:
    root = style_project(tmp_path / "p", "apa", "suppress_bibliography: true")
    doc = resolved_document(load_project(root))
    assert doc.bibliography == [] and doc.bibliography_title == ""
    assert "(Smith & Doe, 2020, p. 4)" in m.plain_text(doc.blocks[1].children)
    assert main(["--quiet", "build", str(root)]) == 0
    pdf = flat(" ".join(page_texts(root / "build/styles.pdf")))
    assert "Example Press" not in pdf and "References" not in pdf


def test_link_citations(tmp_path: Path) -> None:
    root = style_project(tmp_path / "p", "apa", "link_citations: true")
    doc = resolved_document(load_project(root))
    links = [n for n in m.walk_inlines(doc.blocks[1].children) if isinstance(n, m.Link)]
    assert [link.url for link in links][:2] == ["#ref-smith2020", "#ref-doe2019"]
    assert main(["--quiet", "build", str(root)]) == 0
    with zipfile.ZipFile(root / "build/styles.docx") as package:
        xml = package.read("word/document.xml").decode()
    assert 'w:anchor="ref_smith2020"' in xml and 'w:name="ref_smith2020"' in xml  # Word's bookmark names


# --- unknown keys ------------------------------------------------------------------------


def test_unknown_key_is_an_error_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = style_project(tmp_path / "p", "apa", sections=(ONE + "\nMissing [@nosuch2020].\n", TWO))
    assert main(["build", str(root)]) == 2
    assert "one.md:10:9: error: unknown citation key 'nosuch2020'" in capsys.readouterr().err


@pytest.mark.parametrize("csl", ["apa", "chicago-notes-bibliography"])
def test_unknown_key_as_a_warning_prints_as_pandoc_does(csl: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    sections = (ONE + "\nMissing [@nosuch2020].\n", TWO)
    root = style_project(tmp_path / "p", csl, "checks: {unknown_citations: warning}", sections)
    assert main(["build", str(root)]) == 0
    assert "one.md:10:9: warning: unknown citation key 'nosuch2020'" in capsys.readouterr().err
    ours, theirs = our_parts(root), pandoc_parts(root)
    assert ours["paragraphs"] == theirs["paragraphs"] and ours["notes"] == theirs["notes"]
    doc = resolved_document(load_project(root))
    strong = [n for n in m.walk_inlines([i for b in doc.blocks if isinstance(b, m.Paragraph) for i in b.children]
                                        + [i for note in doc.notes for i in note.children]) if isinstance(n, m.Strong)]
    assert [m.plain_text(s.children) for s in strong] == ["nosuch2020?"]
    pdf = flat(" ".join(page_texts(root / "build/styles.pdf")))
    assert "nosuch2020?" in pdf


def test_nocite_names_an_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = style_project(tmp_path / "p", "apa", "nocite: '@roe2012'")
    assert main(["check", str(root)]) == 1
    assert "reportgen.yml:8:9: error: unknown citation key 'roe2012' in nocite (did you mean 'roe2021'?)" \
        in capsys.readouterr().out


@pytest.mark.parametrize(("style", "shape"), [
    ("chicago-notes-bibliography", "note"), ("apa", "author-date"), ("ieee", "numeric"),
    ("american-mathematical-society-label", "label"), ("chicago-in-text-full", "author")])
def test_each_family_is_recognised(style: str, shape: str, tmp_path: Path) -> None:
    root = style_project(tmp_path / "p", style)
    project = load_project(root)
    assert project.csl is not None and citation_format(project.csl) == shape
    doc = resolved_document(project)
    notes = [n for n in doc.notes if n.kind == "citation"]
    assert len(notes) == (5 if shape == "note" else 0)  # in-text families: only the author's note is a note
    assert m.plain_text(doc.blocks[1].children) == pandoc_parts(root)["paragraphs"][0]


def test_reference_section_title_from_front_matter(tmp_path: Path) -> None:
    one = "---\nreference-section-title: Works Cited\n---\n\n" + ONE
    doc = resolved_document(load_project(style_project(tmp_path / "p", "apa", sections=(one, TWO))))
    assert doc.bibliography_title == "Works Cited"
