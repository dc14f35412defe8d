"""Every bibliography a writer has: CSL-JSON, CSL-YAML, BibTeX, BibLaTeX, several at once, and
`references:` in front matter; broken entries and duplicate keys named with their lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportgen.cli import main
from reportgen.document import model as m
from reportgen.errors import ReportgenError
from reportgen.project.bibliography import load_bibliographies, load_bibliography
from reportgen.stages import load_project, resolved_document
from tests.conftest import write_project

BIBLATEX = """\
% exported by a reference manager
@string{jex = {Journal of Examples}}

@article{smith2020,
  author = {Smith, Jane and Doe, John},
  title = {An Example Study of Water Use},
  journaltitle = jex,
  date = {2020-03},
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
"""

BIBTEX = """\
@techreport{roe2021,
  author = {Roe, Richard},
  title = {An Example Report},
  institution = {Example Institute},
  year = {2021}
}
"""

CSL_JSON = [{"id": "json2022", "type": "book", "title": "A Book from JSON", "author": [{"family": "Jay", "given": "Sun"}],
             "publisher": "Example Press", "issued": {"date-parts": [[2022]]}}]

CSL_YAML = """\
references:
- id: yaml2023
  type: webpage
  title: A Page from *YAML*
  author: [{family: Yam, given: Lee}]
  URL: https://example.org/yaml
  issued: 2023-05-01
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_biblatex_entries_are_read_by_pandoc_with_their_lines(tmp_path: Path) -> None:
    bib = load_bibliography(_write(tmp_path, "refs.bib", BIBLATEX), Path("refs.bib"))
    assert set(bib.items) == {"smith2020", "doe2019"}
    assert bib.items["smith2020"]["container-title"] == "Journal of Examples"  # the @string macro expanded
    assert bib.items["smith2020"]["issued"] == {"date-parts": [[2020, 3]]}
    assert str(bib.locations["smith2020"]) == "refs.bib:4:1"
    assert str(bib.locations["doe2019"]) == "refs.bib:13:1"
    assert bib.sources[0].path == (tmp_path / "refs.bib").resolve()  # Pandoc's citeproc reads the file itself


def test_bibtex_file(tmp_path: Path) -> None:
    bib = load_bibliography(_write(tmp_path, "refs.bibtex", BIBTEX), Path("refs.bibtex"))
    assert bib.items["roe2021"]["type"] == "report"
    assert bib.items["roe2021"]["publisher"] == "Example Institute"


@pytest.mark.parametrize(("text", "line", "key"), [
    # a brace left open: Pandoc stops at the next entry, the broken one is the one before it
    ("@book{good2020, title={Fine}, year={2020}}\n\n@article{broken2021,\n  title = {Open brace,\n  year = {2021}\n}\n"
     "@book{after2022, title={x}}\n", 3, "broken2021"),
    # a field without its `=`
    ("@book{good2020, title={Fine}}\n@book{nofield2021,\n  title {No equals}\n}\n", 2, "nofield2021"),
])
def test_a_broken_entry_is_named_at_its_line(tmp_path: Path, text: str, line: int, key: str) -> None:
    with pytest.raises(ReportgenError) as caught:
        load_bibliography(_write(tmp_path, "refs.bib", text), Path("content/refs.bib"))
    message = str(caught.value)
    assert message.startswith(f"content/refs.bib:{line}:1: error: entry '{key}' does not parse")
    assert "Pandoc's reader stopped at line" in message


def test_several_files_and_a_duplicate_key_across_them(tmp_path: Path) -> None:
    files = [(_write(tmp_path, "a.bib", BIBLATEX), Path("a.bib")),
             (_write(tmp_path, "b.json", json.dumps(CSL_JSON, indent=1)), Path("b.json")),
             (_write(tmp_path, "c.yaml", CSL_YAML), Path("c.yaml"))]
    bib = load_bibliographies(files)
    assert list(bib.items) == ["smith2020", "doe2019", "json2022", "yaml2023"]
    dup = _write(tmp_path, "d.yaml", "- id: doe2019\n  title: Again\n")
    with pytest.raises(ReportgenError) as caught:
        load_bibliographies([*files, (dup, Path("d.yaml"))])
    assert str(caught.value) == "d.yaml:1:3: error: duplicate bibliography key 'doe2019' (first at a.bib:13:1)"


FRONT = """\
---
title: Bibliographies
references:
- id: front2024
  type: book
  title: A Book in the *Front Matter*
  author: [{family: Front, given: Fay}]
  publisher: Example Press
  issued: 2024
---

# Sources

All at once [@smith2020; @roe2021; @json2022; @yaml2023; @front2024].
"""


def test_a_project_cites_from_every_kind_at_once(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "reportgen.yml": "date: 2026-11-22\nsections: [one.md]\ncsl: apa\n"
                         "bibliography: [refs.bib, more.bibtex, b.json, c.yaml]\n",
        "one.md": FRONT, "refs.bib": BIBLATEX, "more.bibtex": BIBTEX, "b.json": json.dumps(CSL_JSON), "c.yaml": CSL_YAML})
    doc = resolved_document(load_project(root))
    text = m.plain_text(doc.blocks[-1].children)
    assert text == "All at once (Front, 2024; Jay, 2022; Roe, 2021; Smith & Doe, 2020; Yam, 2023)."
    entries = {e.key: e for e in doc.bibliography}
    assert set(entries) == {"smith2020", "roe2021", "json2022", "yaml2023", "front2024"}
    # Markdown inside CSL-YAML and front matter fields is read, as Pandoc reads it
    assert any(isinstance(n, m.Emph) and m.plain_text(n.children) == "YAML"
               for n in m.walk_inlines(entries["yaml2023"].children))
    assert main(["--quiet", "build", str(root)]) == 0


def test_front_matter_references_clash_with_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    front = FRONT.replace("id: front2024", "id: doe2019")
    root = write_project(tmp_path / "p", {"reportgen.yml": "date: 2026-11-22\nsections: [one.md]\nbibliography: refs.bib\n",
                                          "one.md": front.replace("@front2024", "@doe2019"), "refs.bib": BIBLATEX})
    assert main(["check", str(root)]) == 1
    assert "one.md:4:3: error: duplicate bibliography key 'doe2019' (first at refs.bib:13:1)" in capsys.readouterr().out


def test_broken_bib_in_a_build_leaves_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_project(tmp_path / "p", {"reportgen.yml": "title: T\ndate: 2026-11-22\nsections: [one.md]\n"
                                          "bibliography: refs.bib\n", "one.md": "# One\n\nText [@doe2019].\n",
                                          "refs.bib": BIBLATEX.replace("title = {The Example Book},", "title = {The Ex")})
    assert main(["build", str(root)]) == 2
    err = capsys.readouterr().err
    assert "refs.bib:13:1: error: entry 'doe2019' does not parse" in err and "Traceback" not in err


def test_a_dependent_style_takes_its_packaged_parent(tmp_path: Path) -> None:
    dependent = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0" default-locale="en-US">
  <info>
    <title>Example Journal</title>
    <id>http://www.zotero.org/styles/example-journal</id>
    <link href="http://www.zotero.org/styles/apa" rel="independent-parent"/>
    <category citation-format="author-date"/>
  </info>
</style>
"""
    root = write_project(tmp_path / "p", {"reportgen.yml": "title: T\ndate: 2026-11-22\nsections: [one.md]\n"
                                          "bibliography: refs.bib\ncsl: example.csl\n",
                                          "one.md": "# One\n\nText [@doe2019].\n", "refs.bib": BIBLATEX,
                                          "example.csl": dependent})
    project = load_project(root)
    assert project.csl is not None and project.csl.name == "apa.csl"
    assert m.plain_text(resolved_document(project).blocks[-1].children) == "Text (Doe, 2019)."


def test_many_entries_keep_their_lines_and_a_huge_file_is_refused(tmp_path: Path) -> None:
    entry = "@book{{key{0},\n  author = {{Author{0}, Given}},\n  title = {{Title {0}}},\n  date = {{2020}}\n}}\n\n"
    bib = load_bibliography(_write(tmp_path, "many.bib", "".join(entry.format(i) for i in range(2000))))
    assert len(bib.items) == 2000 and bib.locations["key1999"].line == 1999 * 6 + 1
    huge = _write(tmp_path, "huge.bib", entry.format(0) * (4 * 2**20 // len(entry.format(0)) + 1))
    with pytest.raises(ReportgenError, match="larger than 4 MiB, the limit for a BibTeX or BibLaTeX file"):
        load_bibliography(huge, Path("huge.bib"))
