"""Reading Pandoc's JSON output: one section's tree decoded at a time, cached per section."""

from __future__ import annotations

import json
import subprocess
import tracemalloc
from pathlib import Path

import pytest

from reportgen.document import model as m
from reportgen.document import reader
from reportgen.document.reader import parse_texts

WORDS = ["policy", "border", "refugees", "corridor", "ceasefire", "mission", "report", "statement", "agreement", "talks"]


def section(number: int, words: int) -> str:
    """A section of `words` words in paragraphs, with a heading, a note and a citation."""
    body = " ".join(WORDS[(number + i) % len(WORDS)] for i in range(words))
    paragraphs = "\n\n".join(body[i : i + 600] for i in range(0, len(body), 600))
    return f"# Section {number}\n\n{paragraphs}\n\nSee @doe2019[^1].\n\n[^1]: Note of section {number}.\n"


def texts(count: int, words: int) -> list[tuple[str, Path]]:
    return [(section(i, words), Path(f"content/{i:03}.md")) for i in range(count)]


def plain(parsed: list[reader.ParsedSection]) -> list[tuple[list[str], list[str]]]:
    return [([m.plain_text(b.children) if isinstance(b, (m.Paragraph, m.Heading)) else type(b).__name__
              for b in p.blocks],
             [m.plain_text(v) for v in p.footnotes.values()]) for p in parsed]


def test_blocks_are_decoded_one_by_one_as_json_reads_them() -> None:
    document = {"pandoc-api-version": [1, 23], "meta": {"title": {"t": "MetaString", "c": "]"}},
                "blocks": [{"t": "Para", "c": [{"t": "Str", "c": "a, [b]"}]}, {"t": "HorizontalRule"}]}
    for text in (json.dumps(document), json.dumps(document, indent=2),
                 json.dumps({"blocks": document["blocks"], "meta": {}})):
        assert list(reader._blocks(text)) == document["blocks"]
    assert list(reader._blocks(json.dumps({"meta": {}, "blocks": []}))) == []
    with pytest.raises(ValueError):
        list(reader._blocks('{"meta": {} "blocks": []}'))


def test_several_pandoc_runs_read_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    many = texts(9, 300)
    one_run = plain(parse_texts(many))
    monkeypatch.setattr(reader, "RUN_BYTES", 1)  # a run per core, up to MAX_RUNS
    monkeypatch.setattr("os.sched_getaffinity", lambda _: set(range(3)))
    assert len(reader._groups([len(t) for t, _ in many], reader._runs(10_000, len(many)))) == 3
    assert plain(parse_texts(many)) == one_run
    assert [p.path for p in parse_texts(many)] == [path for _, path in many]


def test_a_damaged_cache_entry_is_read_again(tmp_path: Path) -> None:
    many = texts(3, 100)
    first = plain(parse_texts(many, cache=tmp_path))
    entries = sorted(tmp_path.glob("parse-*.json"))
    assert len(entries) == 3
    entries[1].write_text('[{"t": "Para", "c": [', encoding="utf-8")
    entries[2].write_bytes(b"\xff\xfe\x00")
    assert plain(parse_texts(many, cache=tmp_path)) == first
    assert all(isinstance(json.loads(p.read_text(encoding="utf-8")), list) for p in entries)


def test_the_whole_tree_is_never_held_at_once() -> None:
    """Python keeps most of what a big transient tree took (its memory fragmented among the
    model's objects), and every process forked later inherits it: the reader's peak must stay
    well under what the decoded tree alone takes."""
    many = texts(40, 1500)
    joined = "\n\n".join(text for text, _ in many).encode()
    output = subprocess.run([reader._pandoc(), "--from=markdown", "--to=json"], input=joined, capture_output=True,
                            check=True).stdout
    tracemalloc.start()
    try:
        tree = json.loads(output)
        whole = tracemalloc.get_traced_memory()[0]
        del tree
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        parsed = parse_texts(many)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert len(parsed) == 40 and all(p.blocks for p in parsed)
    assert peak < whole / 2, (peak, whole)
