"""Pandoc's Markdown, read by Pandoc: each construct in both outputs, or named in a warning.

One small project with a section of every construct, built once to a real PDF and DOCX;
the PDF is read back with pypdf, the DOCX as its XML.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from reportgen.document import model as m
from reportgen.document.reader import parse_text
from tests.conftest import FILES, write_project

MD = Path("content/x.md")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"

CONSTRUCTS = """\
\ufeff# Constructs {#sec-constructs}

Setext heading below, and a link to [the tables](#tables-of-data).

Tables of data
--------------

| Country | Share | Note |
|:--------|------:|:----:|
| Armenia | 41.5  | up   |
| Georgia | 12.0  | flat [@depetris2023] |

: Trade shares by country {#tbl-shares}

  Right     Left     Center
-------     ------ ----------
     12     alpha     beta
    123     gamma     delta

Table: A simple table.

-------------------------------------------
Multiline   Second
header      column
----------- -------------------------------
first row   a cell that wraps onto a
            second source line

second row  short
-------------------------------------------

Table: A multiline table {#tbl:multi}

+---------------+---------------+
| Grid header   | Second column |
+===============+===============+
| grid cell one | grid cell two |
+---------------+---------------+

See @tbl-shares, @tbl:multi and @lst:total.

```{#lst:total .python caption="Summing a list"}
def total(xs):
    return sum(xs)
```

![A plot kept as PDF.](content/plot.pdf){width=50%}

An inline ![dot](content/dot.svg){height=12px} image and Inline `code span` here. Math inline $E = mc^2$ and display:

$$ \\int_0^1 x^2\\,dx = \\frac{1}{3} $$ {#eq-integral}

As @eq-integral shows, H~2~O and x^2^ and ~~struck words~~ and [small caps]{.smallcaps}.

Term one
:   Definition of the first term.

| Line one of a verse [@giragosian2023]
|     indented line two

1. First
2. Second
    a. nested alpha
    b. nested beta

(iv) roman four
(v) roman five

- [ ] open task
- [x] done task

# Unnumbered part {-}

<!-- a comment with hiddenword that vanishes -->

A note call.[^long]

[^long]: First paragraph of the note.

    Second paragraph of the note.

## Another part {.unnumbered}

See @sec-constructs.

```{r}
#| label: fig-chunk
#| fig-cap: "A chunk figure"
plot(1:10)
```

\\newpage

Text with {{< pagebreak >}} shortcode and `{r} 1 + 1` cell.
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from reportgen.cli import main

    files = dict(FILES)
    files["content/three.md"] = CONSTRUCTS
    files["content/dot.svg"] = ('<svg xmlns="http://www.w3.org/2000/svg" width="12" height="12">'
                                '<circle cx="6" cy="6" r="5"/></svg>\n')
    files["reportgen.yml"] = FILES["reportgen.yml"].replace("  - content/two.md\n", "  - content/two.md\n  - content/three.md\n")
    root = write_project(tmp_path_factory.mktemp("markdown") / "proj", files)
    _plot_pdf(root / "content" / "plot.pdf")
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["--quiet", "build", "--project", str(root)]) == 0, err.getvalue()
    return root, err.getvalue()


def _plot_pdf(path: Path) -> None:
    """A figure as LaTeX writers keep them: a one-page vector PDF."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(3, 2))
    figure.add_subplot().plot([1, 2, 3], [1, 4, 9])
    figure.savefig(path, format="pdf", metadata={"CreationDate": None})


@pytest.fixture(scope="module")
def pdf_text(built: tuple[Path, str]) -> str:
    reader = PdfReader(built[0] / "build" / "test-brief.pdf")
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def docx_xml(built: tuple[Path, str]) -> etree._Element:
    with zipfile.ZipFile(built[0] / "build" / "test-brief.docx") as package:
        return etree.fromstring(package.read("word/document.xml"))


def flat(text: str) -> str:
    return " ".join(text.split())


def paragraph_texts(element: etree._Element) -> list[str]:
    return ["".join(t.text or "" for t in p.iter(f"{W}t")) for p in element.iter(f"{W}p")]


# --- the PDF ---------------------------------------------------------------------------


def test_tables_in_the_pdf(pdf_text: str) -> None:
    text = flat(pdf_text)
    assert "Table 1. Trade shares by country" in text
    assert "Country Share Note" in text and "Armenia 41.5 up" in text
    assert re.search(r"Georgia 12\.0 flat ?\d+", text), text  # a note called from a cell
    assert "Right Left Center" in text and "123 gamma delta" in text
    assert "Table 3. A multiline table" in text and "a cell that wraps onto a second source line" in text
    assert "Grid header Second column" in text and "grid cell one grid cell two" in text
    assert "| Country |" not in text and "|---" not in text
    assert "See Table 1, Table 3 and Listing 1." in text


def test_code_keeps_its_line_breaks_in_the_pdf(pdf_text: str) -> None:
    assert "def total(xs):\n return sum(xs)" in pdf_text or "def total(xs):\n    return sum(xs)" in pdf_text
    assert "Listing 1. Summing a list" in flat(pdf_text)


def test_math_is_typeset_not_printed_raw(pdf_text: str) -> None:
    text = flat(pdf_text)
    assert "\\int" not in text and "\\frac" not in text and "$" not in text and "{#eq" not in text
    assert "(1)" in text and "As Equation 1 shows" in text


def test_inline_formatting_lists_and_blocks_in_the_pdf(pdf_text: str) -> None:
    text = flat(pdf_text)
    for said in ("H2O", "x2", "struck words", "Term one Definition of the first term.",
                 "Line one of a verse", "indented line two", "nested alpha", "roman four", "open task", "done task"):
        assert said in text, said
    assert "hiddenword" not in text
    assert "First paragraph of the note." in text and "Second paragraph of the note." in text


def test_headings_numbered_unnumbered_and_in_the_contents(pdf_text: str, built: tuple[Path, str]) -> None:
    reader = PdfReader(built[0] / "build" / "test-brief.pdf")
    outline = [item.title for item in _flatten(reader.outline)]
    assert "Unnumbered part" in outline and any("Tables of data" in t for t in outline)
    contents = flat(reader.pages[0].extract_text())
    assert "3 Constructs" in contents and "Unnumbered part" in contents
    assert "3.1 Tables of data" in flat(pdf_text)
    assert "Another part" in flat(pdf_text) and "3.2 Another part" not in flat(pdf_text)
    assert "See Section 3." in flat(pdf_text)


def _flatten(items: list) -> list:
    out = []
    for item in items:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def test_what_is_not_rendered_is_named_with_its_line(built: tuple[Path, str]) -> None:
    err = built[1]
    lines = CONSTRUCTS.splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, start=1) if text in line)

    assert f"content/three.md:{line_of('```{r}')}:1: warning: r code chunk is not run" in err
    assert f"content/three.md:{line_of('newpage')}:1: warning: raw tex block" in err
    assert f"content/three.md:{line_of('{{<')}:1: warning: Quarto shortcode is not run" in err
    assert re.search(rf"content/three\.md:{line_of('{r} 1')}:\d+: warning: inline code cell", err), err


# --- the DOCX --------------------------------------------------------------------------


def test_tables_are_word_tables(docx_xml: etree._Element) -> None:
    tables = docx_xml.findall(f".//{W}tbl")
    assert len(tables) == 4  # pipe, simple, multiline, grid
    first = tables[0]
    assert first.find(f"{W}tblPr/{W}tblStyle").get(f"{W}val") == "Table"
    rows = first.findall(f"{W}tr")
    assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
    assert paragraph_texts(rows[1]) == ["Armenia", "41.5", "up"]
    assert rows[2].find(f".//{W}footnoteReference") is not None  # a real Word footnote, from a cell
    share = rows[1].findall(f"{W}tc")[1].find(f"{W}p/{W}pPr/{W}jc")
    assert share is not None and share.get(f"{W}val") == "right"
    texts = paragraph_texts(docx_xml)
    assert "Table 1. Trade shares by country" in texts


def test_equations_are_word_math(docx_xml: etree._Element) -> None:
    maths = docx_xml.findall(f".//{M}oMath")
    assert len(maths) == 2
    assert not any("{#eq" in text for text in paragraph_texts(docx_xml))
    assert docx_xml.find(f".//{M}oMathPara/{M}oMath/{M}nary") is not None  # the integral, editable
    assert docx_xml.find(f".//{M}oMath/{M}sSup") is not None  # c², inline


def test_code_blocks_keep_lines_in_word(docx_xml: etree._Element) -> None:
    code = [p for p in docx_xml.iter(f"{W}p") if p.find(f"{W}pPr/{W}pStyle[@{W}val='SourceCode']") is not None]
    assert code, "no Source Code paragraph"
    assert len(code[0].findall(f".//{W}br")) == 1
    assert "".join(t.text for t in code[0].iter(f"{W}t")) == "def total(xs):    return sum(xs)"


def test_inline_formatting_in_word(docx_xml: etree._Element) -> None:
    def runs_with(tag: str) -> list[str]:
        return ["".join(t.text or "" for t in r.iter(f"{W}t")) for r in docx_xml.iter(f"{W}r")
                if r.find(f"{W}rPr/{W}{tag}") is not None]

    assert "struck words" in runs_with("strike")
    assert "small caps" in runs_with("smallCaps")
    assert "2" in runs_with("vertAlign")


def test_multi_paragraph_note_in_word(built: tuple[Path, str]) -> None:
    with zipfile.ZipFile(built[0] / "build" / "test-brief.docx") as package:
        notes = etree.fromstring(package.read("word/footnotes.xml"))
    for note in notes.findall(f"{W}footnote"):
        texts = [t.strip() for t in paragraph_texts(note)]
        if "First paragraph of the note." in texts:
            assert texts[texts.index("First paragraph of the note.") + 1] == "Second paragraph of the note."
            return
    pytest.fail("the note's paragraphs are not two Word paragraphs")


# --- the reader ------------------------------------------------------------------------


def test_every_heading_gets_pandocs_identifier() -> None:
    parsed = parse_text("# Armenia’s Turn\n\nText.\n\nSetext *two*\n-----\n\n# Gone {-}\n", MD)
    headings = [b for b in parsed.blocks if isinstance(b, m.Heading)]
    assert [(h.id, h.level, h.numbered) for h in headings] == [
        ("armenias-turn", 1, True), ("setext-two", 2, True), ("gone", 1, False)]
    assert [str(h.location) for h in headings] == ["content/x.md:1:1", "content/x.md:5:1", "content/x.md:8:1"]


def test_a_bom_is_not_text() -> None:
    parsed = parse_text("\ufeffOpening [@a] words.\n", MD)
    (paragraph,) = parsed.blocks
    assert isinstance(paragraph, m.Paragraph)
    assert m.plain_text(paragraph.children).startswith("Opening")
    cite = next(n for n in paragraph.children if isinstance(n, m.Cite))
    assert str(cite.location) == "content/x.md:1:9"


def test_images_without_ids_and_several_in_a_paragraph() -> None:
    parsed = parse_text("![A caption.](a.png){width=50%}\n\nTwo ![one](b.png) and ![two](c.png){height=2cm}.\n", MD)
    figure, paragraph = parsed.blocks
    assert isinstance(figure, m.Figure) and figure.id == "" and figure.width == "50%"
    assert isinstance(paragraph, m.Paragraph)
    images = [n for n in paragraph.children if isinstance(n, m.Image)]
    assert [(i.src, i.height, str(i.location)) for i in images] == [
        ("b.png", "", "content/x.md:3:5"), ("c.png", "2cm", "content/x.md:3:23")]


def test_both_cross_reference_families() -> None:
    text = "See @fig-a, @fig:b, @tbl-c, @tbl:d, @eq-e, @eq:f, @sec-g, @sec:h and @lst:i.\n"
    (paragraph,) = parse_text(text, MD).blocks
    refs = [n.target for n in paragraph.children if isinstance(n, m.CrossRef)]  # type: ignore[union-attr]
    assert refs == ["fig-a", "fig:b", "tbl-c", "tbl:d", "eq-e", "eq:f", "sec-g", "sec:h", "lst:i"]


def test_fancy_list_numbers_in_word(built: tuple[Path, str]) -> None:
    with zipfile.ZipFile(built[0] / "build" / "test-brief.docx") as package:
        numbering = etree.fromstring(package.read("word/numbering.xml"))
    levels = numbering.findall(f"{W}num/{W}lvlOverride/{W}lvl")
    formats = {(lvl.find(f"{W}numFmt").get(f"{W}val"), lvl.find(f"{W}lvlText").get(f"{W}val"),
                lvl.find(f"{W}start").get(f"{W}val")) for lvl in levels}
    assert ("lowerRoman", "(%1)", "4") in formats  # (iv) roman four
    assert ("lowerLetter", "%1.", "1") in formats  # a. nested alpha (its own list style and numbering)


def test_pdf_and_svg_images(built: tuple[Path, str], pdf_text: str) -> None:
    reader = PdfReader(built[0] / "build" / "test-brief.pdf")
    # The charts and the inline SVG are drawn as vectors; the PDF figure is its rasterised page.
    images = {(image.name, image.image.size) for page in reader.pages for image in page.images}
    assert [size for _, size in images] == [(600, 400)]  # 3 x 2 inches at 200 dpi
    assert "Figure 3. A plot kept as PDF." in flat(pdf_text)
    with zipfile.ZipFile(built[0] / "build" / "test-brief.docx") as package:
        media = [n for n in package.namelist() if n.startswith("word/media/")]
    assert len(media) == 4 and all(n.endswith(".png") for n in media)  # two charts, the PDF figure, the SVG dot


def test_sections_read_again_only_when_edited(built: tuple[Path, str]) -> None:
    from reportgen.stages import load_project, read_document

    root = built[0]
    cached = sorted((root / ".reportgen" / "cache").glob("parse-*.json"))
    assert len(cached) == 3  # one per section, by its text
    stamps = {p.name: p.stat().st_mtime_ns for p in cached}
    (root / "content" / "two.md").write_text((root / "content" / "two.md").read_text() + "\nOne more line.\n")
    read_document(load_project(root))
    after = {p.name: p.stat().st_mtime_ns for p in (root / ".reportgen" / "cache").glob("parse-*.json")}
    assert len(after) == 3 and len(set(after) & set(stamps)) == 2
    assert all(after[name] == stamps[name] for name in set(after) & set(stamps))


def test_a_text_of_level_two_headings_has_contents(tmp_path: Path) -> None:
    from reportgen.cli import main

    files = dict(FILES)
    for name in ("content/one.md", "content/two.md"):
        files[name] = re.sub(r"(?m)^# ", "## ", FILES[name])
    root = write_project(tmp_path / "proj", files)
    assert main(["--quiet", "build", "--project", str(root)]) == 0
    contents = flat(PdfReader(root / "build" / "test-brief.pdf").pages[0].extract_text())
    assert "Summary" in contents and "The exodus" in contents, contents
    with zipfile.ZipFile(root / "build" / "test-brief.docx") as package:
        document = package.read("word/document.xml").decode()
    assert 'TOC \\o "2-2"' in document


def test_a_table_of_figures_is_one_uncited_fact(built: tuple[Path, str]) -> None:
    err = built[1]
    line = CONSTRUCTS.splitlines().index("  Right     Left     Center") + 1
    assert f"content/three.md:{line}:3: warning: table states figures or dates but cites no source" in err
    assert "content/three.md:8:" not in err  # the first table cites a source in a cell
    assert err.count("table states figures") == 1, err


def test_definition_lists_line_blocks_and_inline_code_in_word(docx_xml: etree._Element) -> None:
    def styled(style_id: str) -> list[str]:
        return ["".join(t.text or "" for t in p.iter(f"{W}t")) for p in docx_xml.iter(f"{W}p")
                if p.find(f"{W}pPr/{W}pStyle[@{W}val='{style_id}']") is not None]

    assert styled("DefinitionTerm") == ["Term one"]
    assert styled("Definition") == ["Definition of the first term."]
    verse = next(p for p in docx_xml.iter(f"{W}p") if "Line one of a verse" in "".join(t.text or "" for t in p.iter(f"{W}t")))
    assert len(verse.findall(f".//{W}br")) == 1  # one paragraph, its lines broken, not joined
    code_runs = ["".join(t.text or "" for t in r.iter(f"{W}t")) for r in docx_xml.iter(f"{W}r")
                 if r.find(f"{W}rPr/{W}rStyle[@{W}val='VerbatimChar']") is not None]
    assert "code span" in code_runs
