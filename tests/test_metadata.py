"""Metadata where Pandoc and Quarto writers keep it; one Markdown file built alone; `reportgen
init`; the brief's own words in its language."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.cli import main
from reportgen.project.config import load_config
from reportgen.project.starter import STARTER
from reportgen.stages import load_project, read_document
from tests.conftest import FILES, write_project
from tests.pdftext import flat, page_texts

BIB = """\
@book{doe2019,
  author = {Doe, John},
  title = {The Example Book},
  publisher = {Example Press},
  date = {2019}
}
"""

QUARTO_FRONT = """\
---
title: From the Front Matter
subtitle: A Quarto-shaped header
author:
  - name: Ada Example
    affiliations:
      - ref: inst
  - name: {given: Bo, family: Sample}
    affiliations:
      - name: Sample University
affiliations:
  - id: inst
    name: Example Institute
date: 2025-03-04
abstract: Read from the front matter.
keywords: [water, examples]
lang: de-DE
bibliography: refs.bib
csl: apa
link-citations: true
---

# Eins

Text [@doe2019].
"""


def test_quarto_front_matter_is_read(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"reportgen.yml": "sections: [paper.qmd]\n", "paper.qmd": QUARTO_FRONT,
                                          "refs.bib": BIB})
    config, source = load_config(root)
    assert config.title == "From the Front Matter" and config.subtitle == "A Quarto-shaped header"
    assert [(a.name, a.affiliation) for a in config.authors] == [("Ada Example", "Example Institute"),
                                                                ("Bo Sample", "Sample University")]
    assert config.date == dt.date(2025, 3, 4) and config.language == "de-DE"
    assert config.abstract == "Read from the front matter." and config.keywords == ["water", "examples"]
    assert [str(b) for b in config.bibliography] == ["refs.bib"] and config.csl == "apa" and config.link_citations
    assert source.notes == []
    # a value that came from the front matter is reported where it is written
    assert str(source.location(("csl",))) == "paper.qmd:19:6"


def test_pandoc_scholar_authors_and_institutes(tmp_path: Path) -> None:
    front = """\
---
title: Scholarly
author:
  - Jane Doe:
      institute: [fosg, fop]
  - Peder Ås:
      institute: fosg
institute:
  - fosg:
      name: Formatting Open Science Group
  - fop: Federation of Planets
...

Text.
"""
    root = write_project(tmp_path / "p", {"reportgen.yml": "sections: [a.md]\n", "a.md": front})
    config, _ = load_config(root)
    assert [(a.name, a.affiliation) for a in config.authors] == [
        ("Jane Doe", "Formatting Open Science Group; Federation of Planets"), ("Peder Ås", "Formatting Open Science Group")]


def test_reportgen_yml_wins_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_project(tmp_path / "p", {
        "reportgen.yml": "title: The Config's Title\nsubtitle: A Quarto-shaped header\nsections: [paper.qmd]\n"
                         "language: en-GB\n",
        "paper.qmd": QUARTO_FRONT, "refs.bib": BIB})
    project = load_project(root)
    assert project.config.title == "The Config's Title" and project.config.language == "en-GB"
    assert project.config.csl == "apa"  # what the config does not set still comes from the front matter
    assert main(["check", str(root)]) == 0
    out = capsys.readouterr().out
    assert "reportgen.yml:1:1: warning: config key title overrides the document's metadata at paper.qmd:2:8" in out
    assert "reportgen.yml:4:1: warning: config key language overrides the document's metadata at paper.qmd:17:7" in out
    assert "subtitle" not in out  # the same value: nothing to say


def test_quarto_project_file_and_a_non_iso_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_project(tmp_path / "p", {
        "reportgen.yml": "title: T\nsections: [doc/paper.md]\n",
        "doc/_quarto.yml": "project: {type: manuscript}\nbibliography: ../refs.bib\ncsl: apa\nlang: fr\n",
        "doc/paper.md": "---\ndate: March 2020\n---\n\n# Un\n\nTexte [@doe2019].\n", "refs.bib": BIB})
    project = load_project(root)
    assert [str(b) for b in project.config.bibliography] == ["refs.bib"]
    assert project.config.language == "fr" and project.config.date is None
    assert main(["check", str(root)]) == 0
    assert "doc/paper.md:2:7: warning: front matter 'date': 'March 2020' is not a date as YYYY-MM-DD" \
        in capsys.readouterr().out


PAPER = """\
---
title: "A Paper on Its Own"
author: Jane Roe
bibliography: refs.bib
csl: ieee
---

# Introduction

As shown before [@doe2019].
"""


def test_build_one_markdown_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_project(tmp_path / "p", {"paper.md": PAPER, "refs.bib": BIB})
    assert not (root / "reportgen.yml").exists()
    assert main(["check", str(root / "paper.md")]) == 0
    assert main(["--quiet", "build", str(root / "paper.md")]) == 0
    assert (root / "build/paper.pdf").is_file() and (root / "build/paper.docx").is_file()
    pdf = PdfReader(root / "build/paper.pdf")
    assert pdf.metadata.title == "A Paper on Its Own" and pdf.metadata.author == "Jane Roe"
    text = flat(" ".join(page_texts(root / "build/paper.pdf")))
    assert "As shown before [1]." in text and "[1] J. Doe, The example book." in text
    assert "bibliography:" not in text and "csl: ieee" not in text  # front matter is metadata, not text
    # no date: dated today, and the manifest records it as an input of both documents
    assert dt.date.today().strftime("%B") in text
    manifest = json.loads((root / ".reportgen/manifest.json").read_text())
    documents = [t for name, t in manifest["targets"].items() if name.startswith(("pdf:", "docx:"))]
    assert len(documents) == 2 and all("@today" in t["inputs"] for t in documents)
    capsys.readouterr()
    assert main(["build", str(root / "paper.md")]) == 0
    assert "up to date" in capsys.readouterr().out


def test_source_date_epoch_dates_an_undated_brief(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14
    root = write_project(tmp_path / "p", {"paper.md": PAPER, "refs.bib": BIB})
    doc = read_document(load_project(root, root / "paper.md"))
    assert doc.meta.date == "2023-11-14" and doc.meta.date_text == "November 14, 2023"
    assert doc.meta.language == "en-US"  # Pandoc's default


def test_one_file_without_a_title(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_project(tmp_path / "p", {"paper.md": "# Only a heading\n\nText.\n"})
    assert main(["build", str(root / "paper.md")]) == 2
    assert "paper.md: error: config key title: required" in capsys.readouterr().err


def test_init_then_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "brief"
    assert main(["init", str(target)]) == 0
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == sorted(STARTER)
    assert main(["--quiet", "build", str(target)]) == 0
    text = flat(" ".join(page_texts(target / "build/example-brief.pdf")))
    assert "Figure 1." in text and "Example Institute" in text and "Bibliography" in text
    capsys.readouterr()
    before = (target / "reportgen.yml").read_bytes()
    assert main(["init", str(target)]) == 2  # never over what is there
    assert "reportgen.yml: error: already exists" in capsys.readouterr().err
    assert (target / "reportgen.yml").read_bytes() == before


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        return package.read("word/document.xml").decode()


@pytest.mark.parametrize(("language", "words", "date"), [
    ("fr-FR", ["Table des matières", "Bibliographie", "Figure 1.", "Points clés"], "22 novembre 2026"),
    ("de-DE", ["Inhaltsverzeichnis", "Literaturverzeichnis", "Abbildung 1.", "Kernaussagen"], "22. November 2026"),
])
def test_words_follow_the_language(language: str, words: list[str], date: str, tmp_path: Path) -> None:
    config = FILES["reportgen.yml"].replace("language: en-US", f"language: {language}")
    root = write_project(tmp_path / "p", {**FILES, "reportgen.yml": config})
    assert main(["--quiet", "build", str(root)]) == 0
    pdf = flat(" ".join(page_texts(root / "build/test-brief.pdf")))
    docx = _docx_text(root / "build/test-brief.docx")
    for word in words:
        assert word in pdf or word.upper() in pdf.upper(), word
        assert word.split(" 1.")[0] in docx, word
    assert date in pdf and date in docx
    if language == "fr-FR":  # the cover's kind of document, in the PDF (letter-spaced capitals)
        assert "NOTED’ORIENTATION" in pdf.upper().replace(" ", "")


def test_labels_in_the_config_win(tmp_path: Path) -> None:
    config = FILES["reportgen.yml"] + "labels: {contents: In this brief, bibliography: Sources cited, figure: Chart}\n"
    root = write_project(tmp_path / "p", {**FILES, "reportgen.yml": config})
    doc = read_document(load_project(root))
    assert doc.meta.labels["contents"] == "In this brief" and doc.labels["fig-arrivals"] == "Chart 1"
    assert main(["--quiet", "build", str(root)]) == 0
    pdf = flat(" ".join(page_texts(root / "build/test-brief.pdf")))
    assert "Sources cited" in pdf and "Chart 1." in pdf


def test_metadata_file_and_number_sections(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "reportgen.yml": "sections: [a.md]\nmetadata_files: meta/metadata.yml\n",
        "meta/metadata.yml": "title: From the Metadata File\nauthor: Firstname Surname\nbibliography: ../refs.bib\n"
                             "abstract: The file's abstract.\n",
        "a.md": "---\nabstract: The document's abstract.\nnumber-sections: false\n---\n\n# One {#sec-one}\n\n"
                "See @sec-one, as shown [@doe2019].\n",
        "refs.bib": BIB})
    project = load_project(root)
    config = project.config
    assert config.title == "From the Metadata File" and config.authors[0].name == "Firstname Surname"
    assert config.abstract == "The document's abstract."  # the document wins over the metadata file
    assert [str(b) for b in config.bibliography] == ["refs.bib"] and config.number_sections is False
    doc = read_document(project)
    heading = next(b for b in doc.blocks if b.__class__.__name__ == "Heading")
    assert heading.number == "" and doc.labels["sec-one"] == "One"


def test_quarto_number_sections_under_format(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "reportgen.yml": "title: T\nsections: [a.qmd]\n",
        "_quarto.yml": "format:\n  html:\n    number-sections: false\n", "a.qmd": "# One\n\nText.\n"})
    config, source = load_config(root)
    assert config.number_sections is False and source.metadata_files == [(root / "_quarto.yml").resolve()]


def test_english_words_are_pandoc_s() -> None:
    """English skips asking Pandoc: its table must say what Pandoc's en.yaml says."""
    from reportgen.project.terms import _PANDOC_TERMS, ENGLISH, _pandoc_translations

    pandoc = _pandoc_translations("en")
    assert {label: pandoc[key] for label, key in _PANDOC_TERMS.items()} == {k: ENGLISH[k] for k in _PANDOC_TERMS}


def test_lines_after_front_matter_keep_their_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_project(tmp_path / "p", {"paper.md": PAPER.replace("[@doe2019]", "[@doe2091]"), "refs.bib": BIB})
    assert main(["check", str(root / "paper.md")]) == 1
    assert "paper.md:10:17: error: unknown citation key 'doe2091' (did you mean 'doe2019'?)" in capsys.readouterr().out


@pytest.mark.parametrize("front", [
    "author: 5", "author: [{name: {given: 3}}, [1, 2], null]", "title: [a, b]", "bibliography: {a: b}",
    "references: x", "references: [1, {id: [2]}]", "nocite: 5", "date: [1]", "lang: 5", "lang: 'fr; rm -rf'",
    "keywords: {a: 1}", "institute: 7\nauthor: [{A: {institute: [x]}}]", "affiliations: [{id: 1}, 2]\nauthor: [{name: A, "
    "affiliations: [{ref: 1}, 3]}]", "csl: [x]", "link-citations: maybe", "format: [html]", "number-sections: 1",
    "- a list", "'just text'", "title: T\n: bad", "title: &a [*a]",
])
def test_odd_front_matter_is_reported_never_a_traceback(front: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    root = write_project(tmp_path / "p", {"reportgen.yml": "title: T\nsections: [a.md]\n",
                                          "a.md": f"---\n{front}\n---\n\n# One\n\nText.\n"})
    status = main(["check", str(root)])
    out = capsys.readouterr()
    assert status in (0, 1)
    for line in (out.out + out.err).splitlines():
        assert line.startswith(("a.md:", "reportgen.yml:")) or "error(s)" in line, line
