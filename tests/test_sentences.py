"""The cited-sentence walker on small Markdown fixtures: sentences, their sources, their quotations."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reportgen.document import model as m
from reportgen.document.reader import parse_text
from reportgen.sources.quotations import closest, is_in
from reportgen.sources.sentences import cited_sentences, find_quotations, flatten, paragraphs, split_sentences
from reportgen.sources.textnorm import normalise


def sentences_of(text: str, tmp_path: Path, quotes: str = "“”‘’") -> list:
    path = tmp_path / "s.md"
    path.write_text(text, encoding="utf-8")
    section = parse_text(text, Path("s.md"), quotes=quotes)
    doc = m.Document(m.Meta("t"), section.blocks)
    return [s for p in paragraphs(doc, tmp_path) for s in split_sentences(p)]


def test_a_sentence_takes_its_own_citations_else_the_paragraphs_next(tmp_path: Path) -> None:
    found = sentences_of(
        "First claim. Second claim [@a]. Third claim, cited twice [@b; @c].\n"
        "Fourth, no note. Fifth [@d]! Sixth, after the last note.\n", tmp_path)
    assert [s.text for s in found] == [
        "First claim.", "Second claim .", "Third claim, cited twice .", "Fourth, no note.", "Fifth !",
        "Sixth, after the last note."]
    assert [s.keys for s in found] == [["a"], ["a"], ["b", "c"], ["d"], ["d"], []]
    assert [s.own_citation for s in found] == [False, True, True, False, True, False]


def test_abbreviations_initials_and_in_text_citations(tmp_path: Path) -> None:
    found = sentences_of("Daniel L. DePetris, e.g. in Sept. 2023, wrote so [@a]. @b says no. The U.S. agreed [@c].\n", tmp_path)
    assert [s.keys for s in found] == [["a"], ["b"], ["c"]]
    assert found[1].own_citation


def test_quotations_curly_straight_and_single_but_not_apostrophes(tmp_path: Path) -> None:
    text = "Russia's envoy called it \"a typical move\" and 'unfriendly' [@a]. They didn't say “never” [@b].\n"
    found = sentences_of(text, tmp_path, quotes="‘’“”")  # British: straight doubles become ‘…’
    assert [[q.text for q in s.quotations] for s in found] == [["a typical move", "unfriendly"], ["never"]]
    assert [q.text for q in find_quotations("the powers’ aims ‘held’, and the Armenians’ homes")] == ["held"]


def test_quotation_spanning_a_full_stop_stays_in_one_sentence(tmp_path: Path) -> None:
    found = sentences_of('He said "We left. We stayed." and went on [@a]. Next [@b].\n', tmp_path)
    assert [s.keys for s in found] == [["a"], ["b"]]
    assert found[0].quotations[0].text == "We left. We stayed."


def test_titles_in_citation_prefixes_are_not_quotations(tmp_path: Path) -> None:
    found = sentences_of('A claim [see "The Title", @a, 4].\n', tmp_path)
    assert found[0].keys == ["a"] and found[0].quotations == []


def test_locations_are_line_and_column_in_the_file(tmp_path: Path) -> None:
    text = "# H\n\nSome *emphasised* text\nand then \"a quoted passage\" here [@a].\n\n- In a list \"item quote\" [@b].\n"
    found = sentences_of(text, tmp_path)
    quote = found[0].quotations[0]
    assert str(found[0].paragraph.location(quote.start)) == "s.md:4:11"
    item = found[1].quotations[0]
    assert str(found[1].paragraph.location(item.start)) == "s.md:6:14"
    assert str(found[1].location) == "s.md:6:3"


@dataclass
class Quoted:
    """A reader's quotation node, as Pandoc's `smart` extension makes (Quoted DoubleQuote [...])."""

    quote_type: str
    children: list


def test_a_quoted_inline_is_a_quotation(tmp_path: Path) -> None:
    cite = m.Cite([m.CiteItem("a")], m.Location(Path("s.md"), 1, 30))
    para = m.Paragraph([m.Text("He called it "), Quoted("DoubleQuote", [m.Text("a "), m.Emph([m.Text("tough")]),
                                                                         m.Text(" talk")]),
                        m.Text(" "), cite, m.Text(".")], m.Location(Path("s.md"), 1, 1))
    flat = flatten(para)
    assert [q.text for q in flat.quotations] == ["a tough talk"]
    assert flat.text.startswith("He called it “a tough talk”")
    doc = m.Document(m.Meta("t"), [para])
    assert [s.keys for s in cited_sentences(doc)] == [["a"]]


def test_a_block_quote_is_a_quotation_up_to_its_citation(tmp_path: Path) -> None:
    found = sentences_of("Before [@a].\n\n> The CSTO failed. It did nothing [@b, 4].\n", tmp_path)
    assert [(s.keys, [q.text for q in s.quotations]) for s in found] == [
        (["a"], []), (["b"], ["The CSTO failed. It did nothing"])]


def test_a_recurring_phrase_is_located_where_it_occurs(tmp_path: Path) -> None:
    found = sentences_of("They said \"no\" [@a]. Later, much later, they said \"no\" [@b].\n", tmp_path)
    assert [str(s.paragraph.location(s.quotations[0].start)) for s in found] == ["s.md:1:12", "s.md:1:52"]


_PROSE = st.text(alphabet=st.sampled_from(list("ab 1,.…-—–'\"‘’“”«»[]*_\n\t\u00a0\u00adé")), max_size=80)


@given(_PROSE)
def test_normalised_text_maps_back_to_the_original(text: str) -> None:
    norm = normalise(text, markdown=True)
    assert len(norm.index) == len(norm.text)
    assert norm.index == sorted(norm.index) and all(0 <= i < len(text) for i in norm.index)


@given(_PROSE, _PROSE)
def test_matching_never_fails_on_any_text(quoted: str, source: str) -> None:
    text = normalise(source)
    if is_in(quoted, text):
        return
    near = closest(quoted, text)
    assert near is None or 0 <= near.differs_at <= len(quoted)


@given(_PROSE.map(lambda t: t.replace("\n\n", "\n")))
def test_any_paragraph_splits_into_sentences_covering_it(text: str) -> None:
    para = flatten(m.Paragraph([m.Text(text), m.Cite([m.CiteItem("a")], m.Location(Path("x.md"), 1, 1)), m.Text(".")]))
    sentences = split_sentences(para)
    assert sentences and sentences[-1].keys == ["a"]
    assert all(a.end <= b.start for a, b in pairwise(sentences))


def test_a_note_after_the_full_stop_belongs_to_the_sentence_before(tmp_path: Path) -> None:
    found = sentences_of("In its words, \"It weighs on all sides.\" [@a] Whether it did is taken up in @sec-x. "
                         "@fig-y shows it [@b].\n", tmp_path)
    assert [(s.text, s.keys) for s in found] == [
        ("In its words, “It weighs on all sides.”", ["a"]),
        ("Whether it did is taken up in .", ["b"]),
        ("shows it .", ["b"]),
    ]


def test_author_footnotes_are_read_like_paragraphs(tmp_path: Path) -> None:
    text = "Body text [@a].[^n]\n\n[^n]: An aside: he called it \"a bold move\" [@b].\n"
    path = tmp_path / "s.md"
    path.write_text(text, encoding="utf-8")
    section = parse_text(text, Path("s.md"))
    doc = m.Document(m.Meta("t"), section.blocks, footnote_defs=section.footnotes,
                     footnote_sources=section.footnote_sources)
    found = cited_sentences(doc, tmp_path)
    assert [s.keys for s in found] == [["a"], ["b"]]
    note = found[1]
    assert [q.text for q in note.quotations] == ["a bold move"]
    assert str(note.paragraph.location(note.quotations[0].start)) == "s.md:3:31"
