"""Parse stage: where citations, cross-references and notes are said to be in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.document import model as m
from reportgen.document.reader import parse_text, quotes_for

MD = Path("content/x.md")


def located(parsed_blocks: list[m.Block]) -> list[tuple[str, str]]:
    """Each located inline, in document order, as (what it is, `path:line:col`)."""
    found = []
    for block in m.walk_blocks(parsed_blocks):
        for inlines in m.inline_lists(block):
            for node in m.walk_inlines(inlines):
                if isinstance(node, m.Cite):
                    found.append((node.source, str(node.location)))
                elif isinstance(node, m.CrossRef):
                    found.append(("@" + node.target, str(node.location)))
                elif isinstance(node, m.FootnoteRef):
                    found.append(("note", str(node.location)))
    return found


def test_locations_in_a_multi_line_paragraph() -> None:
    text = (
        "# Title\n"
        "\n"
        "Intro [@a] text\n"
        "Ça été “dit” [@b; @c, 4] and\n"  # non-ASCII before the citation; columns count characters
        "then @d, with @fig-x\n"
        "   indented [see @e]\n"  # the content drops the indent; the column does not
        "ß ü[^n] and é [see @f; p. 4].\n"
        "\n"
        "[^n]: A note [@g].\n"
    )
    parsed = parse_text(text, MD, keep_errors=True)
    assert located(parsed.blocks) == [
        ("[@a]", "content/x.md:3:7"),
        ("[@b; @c, 4]", "content/x.md:4:14"),
        ("@d", "content/x.md:5:6"),
        ("@fig-x", "content/x.md:5:15"),
        ("[see @e]", "content/x.md:6:13"),
        ("note", "content/x.md:7:4"),
        ("@f", "content/x.md:7:20"),  # in-text, after the malformed citation's '['
    ]
    assert [str(e) for e in parsed.errors] == [
        "content/x.md:7:15: error: malformed citation '[see @f; p. 4]': every item between ';' needs an @key"]


def test_locations_stay_exact_in_a_long_paragraph() -> None:
    lines = [f"word é [@k{i}] and @fig-{i}" for i in range(3000)]
    long_line = " ".join(f"w{i:04} [@k{i:04}]" for i in range(3000))  # 15 characters apart
    text = "Start.\n\n" + "\n".join(lines) + "\n\n" + long_line + "\n"
    expected = []
    for i in range(3000):
        expected += [(f"[@k{i}]", f"content/x.md:{i + 3}:8"), (f"@fig-{i}", f"content/x.md:{i + 3}:{17 + len(str(i))}")]
    expected += [(f"[@k{i:04}]", f"content/x.md:3004:{15 * i + 7}") for i in range(3000)]
    assert located(parse_text(text, MD).blocks) == expected


@pytest.mark.parametrize(("language", "said"), [
    ("en-GB", "She called it ‘a “frozen” alliance’."),
    ("en-US", "She called it “a ‘frozen’ alliance”."),
    ("hy", "She called it “a ‘frozen’ alliance”."),
])
def test_quotation_marks_follow_the_language(language: str, said: str) -> None:
    # British usage nests double inside single, as the CSL locale does in the notes.
    parsed = parse_text("She called it \"a 'frozen' alliance\".\n", Path("content/x.md"), quotes=quotes_for(language))
    paragraph = parsed.blocks[0]
    assert isinstance(paragraph, m.Paragraph)
    assert m.plain_text(paragraph.children) == said


def test_quotation_marks_in_a_figure_caption() -> None:
    parsed = parse_text("![Armenia's \"turn\", 1992--2025.](figures/x.svg){#fig-x}\n", Path("content/x.md"),
                        quotes=quotes_for("en-GB"))
    (figure,) = parsed.blocks
    assert isinstance(figure, m.Figure)
    assert m.plain_text(figure.caption) == "Armenia’s ‘turn’, 1992–2025."


def test_citation_items_as_pandoc_reads_them() -> None:
    text = "One [*see* @a p. **32**; -@b, 4] and @c [p. 7] said.\n"
    (paragraph,) = parse_text(text, MD).blocks
    cites = [n for n in paragraph.children if isinstance(n, m.Cite)]  # type: ignore[union-attr]
    assert [[(i.key, i.prefix, i.suffix, i.suppress_author) for i in c.items] for c in cites] == [
        [("a", "*see*", " p.\u00a0**32**", False), ("b", "", ", 4", True)],  # Pandoc: "p." takes a no-break space
        [("c", "", " p.\u00a07", False)],
    ]
    assert [(c.source, c.in_text, str(c.location)) for c in cites] == [
        ("[*see* @a p. **32**; -@b, 4]", False, "content/x.md:1:5"), ("@c [p. 7]", True, "content/x.md:1:38")]


def test_front_matter_is_metadata_not_text() -> None:
    parsed = parse_text("---\ntitle: A paper\nauthor: [A. Writer]\n...\n\nBody [@a].\n", MD)
    (paragraph,) = parsed.blocks
    assert m.plain_text(paragraph.children).startswith("Body")
    cite = next(n for n in paragraph.children if isinstance(n, m.Cite))  # type: ignore[union-attr]
    assert str(cite.location) == "content/x.md:6:6"


def test_sections_read_apart_keep_their_ids_and_notes() -> None:
    from reportgen.document.reader import parse_texts

    one = "# Same {#reportgen-section-end}\n\nA[^1] and [back](#same).\n\n[^1]: First file's note.\n"
    two = "# Same\n\n::: {#reportgen-section-end}\nkept\n:::\n\nB[^1].\n\n[^1]: Second file's note.\n"
    first, second = parse_texts([(one, Path("one.md")), (two, Path("two.md"))])
    assert [b.id for b in first.blocks if isinstance(b, m.Heading)] == ["reportgen-section-end"]
    assert isinstance(second.blocks[1], m.Div) and second.blocks[1].id == "reportgen-section-end"
    assert [m.plain_text(v) for v in (*first.footnotes.values(), *second.footnotes.values())] == [
        "First file’s note.", "Second file’s note."]
    link = next(n for n in first.blocks[1].children if isinstance(n, m.Link))  # type: ignore[union-attr]
    assert link.url == "#same"


def test_an_in_text_name_then_a_bracket_is_two_citations() -> None:
    (paragraph,) = parse_text("See @sec-one [@doe2019] and @a [@b, 4].\n", MD).blocks
    found = [(type(n).__name__, getattr(n, "source", getattr(n, "target", "")), str(n.location))  # type: ignore[union-attr]
             for n in paragraph.children if isinstance(n, (m.Cite, m.CrossRef))]
    assert found == [("CrossRef", "sec-one", "content/x.md:1:5"), ("Cite", "[@doe2019]", "content/x.md:1:14"),
                     ("Cite", "@a", "content/x.md:1:29"), ("Cite", "[@b, 4]", "content/x.md:1:32")]
