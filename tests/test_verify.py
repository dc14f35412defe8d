"""Quotations and figures checked against small source texts written for these tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import FILES, write_project

DEPETRIS = """\
Russia’s share of Armenia’s total trade is approximately 26%. The Russian peacekeepers, about
1,900 of them, didn't do their job very well, if at all. On September 19, 2023, Azerbaijan
launched what it called an "anti-terrorist" operation; by evening some 13 550 people had crossed.
"""

SECTION = """\
# Summary {#sec-summary}

DePetris puts Russia's share of trade at "approximately 26%" [@depetris2023].
The peacekeepers "didn't do their job ... if at all" [@depetris2023].
"[T]he Russian peacekeepers, about 1,900 of them, didn't do [their work]" well [@depetris2023].
They "didn't do their jobs very well" [@depetris2023].

By 19 September 2023, 13,550 people had crossed, at a trade share of 26 per cent [@depetris2023].
Some 2,000 peacekeepers stood by [@depetris2023].

In "Armenia and Russia—It’s Complicated", DePetris weighs an "anti-terrorist" label [@depetris2023].

Mondo says the West showed its "true face" [@mondo2024]. It calls Armenia "helpless" [@mondo2024].
"""


def brief(tmp_path: Path, sources: dict[str, str | bytes], section: str = SECTION, config: str = "") -> Path:
    root = write_project(tmp_path / "p", FILES | {"content/one.md": section, "reportgen.yml": FILES["reportgen.yml"] + config})
    for name, text in sources.items():
        path = root / "sources" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return root


def warnings(out: str) -> list[str]:
    """The warnings about the section and the source texts (not the test project's others)."""
    return [line for line in out.splitlines() if line.startswith(("content/one.md", "sources"))]


def test_quotation_rules(tmp_path: Path, run) -> None:
    root = brief(tmp_path, {"depetris2023.txt": DEPETRIS})
    status, out, _ = run("check", "--project", str(root))
    assert status == 0
    found = warnings(out)
    # An ellipsis, a bracketed insertion, a capital changed by brackets, curly vs straight
    # apostrophes, a title in quotation marks: all pass. A changed word fails at that word.
    quote_warnings = [w for w in found if "quotation" in w]
    assert quote_warnings[0] == (
        "content/one.md:6:23: warning: quotation “didn’t do their jobs very well” is not in the text of "
        "depetris2023 (sources/depetris2023.txt); closest passage: “didn't do their job very well,”")
    line6 = (root / "content/one.md").read_text().splitlines()[5]
    assert line6[22:].startswith("jobs")


def test_a_source_without_text_is_reported_once(tmp_path: Path, run) -> None:
    root = brief(tmp_path, {"depetris2023.txt": DEPETRIS})
    _, out, _ = run("check", "--project", str(root))
    about_mondo = [w for w in warnings(out) if "mondo2024" in w]
    assert about_mondo == [
        "sources: warning: 1 quoted source has no text in sources/, so 2 quotations cannot be checked: "
        "mondo2024 (2) (add sources/KEY.txt or run `reportgen sources archive`; `reportgen sources report` lists them)"]


def test_figures_in_other_formats_are_found_and_missing_ones_flagged(tmp_path: Path, run) -> None:
    root = brief(tmp_path, {"depetris2023.txt": DEPETRIS})
    _, out, _ = run("check", "--project", str(root))
    figure_warnings = [w for w in warnings(out) if "figure" in w]
    # 13,550 (13 550), 19 September 2023 (September 19, 2023), 26 per cent (26%) are found.
    assert figure_warnings == [
        "content/one.md:9:6: warning: figure '2,000' appears nowhere in the text of depetris2023 (sources/depetris2023.txt)"]


def test_no_sources_folder_no_warnings_and_switches(tmp_path: Path, run) -> None:
    root = brief(tmp_path, {})
    _, out, _ = run("check", "--project", str(root))
    assert warnings(out) == []
    root = brief(tmp_path / "off", {"depetris2023.txt": DEPETRIS}, config="checks:\n  quotations: false\n  figures: false\n")
    status, out, _ = run("check", "--project", str(root))
    assert (status, warnings(out)) == (0, [])
    root = brief(tmp_path / "figs", {"depetris2023.txt": DEPETRIS}, config="checks:\n  quotations: false\n")
    _, out, _ = run("check", "--project", str(root))
    assert [w.split(": warning: ")[1][:6] for w in warnings(out)] == ["figure"]


def test_a_sentence_without_its_own_note_takes_the_paragraphs_next(tmp_path: Path, run) -> None:
    section = "# S\n\nHe said they \"did their job well\". Later he added more [@depetris2023].\n"
    root = brief(tmp_path, {"depetris2023.txt": DEPETRIS}, section=section)
    _, out, _ = run("check", "--project", str(root))
    # At "did", the first word the source has otherwise ("didn't").
    assert [w.split(": warning: ")[0] for w in warnings(out)] == ["content/one.md:3:15"]


def test_html_and_pdf_sources_are_read_as_text(tmp_path: Path, run) -> None:
    html = ("<html><head><title>Mondo</title></head><body><nav>Home | World | Contact</nav><article>"
            "<h1>Armenia’s Helpless Choice</h1>"
            "<p>In the end the West showed its true face to Yerevan, and Armenia was left alone with its choices. "
            "The government in Yerevan had believed that its partners in Europe would stand by it.</p>"
            "<p>Armenia is helpless, the piece argues, and its vacillation among the great powers has a price "
            "that its people pay, as the loss of the region shows to anyone who looks.</p>"
            "</article><footer>Copyright 2024</footer></body></html>")
    section = ("# S\n\nMondo says the West showed its \"true face\" [@mondo2024]. Arrivals began with "
               "\"the first group of 377 forced migrants\" [@tass2023].\n")
    root = brief(tmp_path, {"mondo2024.html": html, "tass2023.pdf": pdf_with_text("The first group of 377 forced migrants")},
                 section=section)
    status, out, _ = run("check", "--project", str(root))
    assert status == 0
    assert warnings(out) == []


def test_bad_source_files_are_errors_not_hangs(tmp_path: Path, run) -> None:
    root = brief(tmp_path, {"depetris2023.txt": DEPETRIS})
    os.mkfifo(root / "sources/mondo2024.txt")
    outside = tmp_path / "secret.txt"
    outside.write_text("true face")
    (root / "sources/giragosian2023.md").symlink_to(outside)
    (root / "sources/tass2023.txt").write_bytes(b"\xff\xfe not text")
    (root / "sources/reuters2023.txt").write_bytes(b"x" * (2 * 2**20 + 1))
    status, out, err = run("check", "--project", str(root))
    assert status == 1
    assert "sources/reuters2023.txt: error: source text is larger than 2 MiB" in out.splitlines()
    assert "sources/mondo2024.txt: error: source text is not a regular file" in out.splitlines()
    assert "sources/giragosian2023.md: error: source text is outside the project (a symlink out?)" in out.splitlines()
    assert any(line.startswith("sources/tass2023.txt: error: source text is not UTF-8") for line in out.splitlines())
    assert "Traceback" not in out + err
    status, _, err = run("--quiet", "build", "--project", str(root), "--format", "docx")
    assert status == 2 and "sources/mondo2024.txt: error: source text is not a regular file" in err
    assert not (root / "build").exists()


def test_json_carries_the_rule(tmp_path: Path, run) -> None:
    root = brief(tmp_path, {"depetris2023.txt": DEPETRIS})
    _, out, _ = run("check", "--project", str(root), "--format", "json")
    rules = {d["rule"] for d in json.loads(out)["diagnostics"] if d["path"] == "content/one.md"}
    assert rules == {"quotations", "figures"}


def pdf_with_text(text: str) -> bytes:
    """A one-page PDF whose page says `text` in Helvetica, written out by hand."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.mark.parametrize(("quoted", "ok"), [
    ("approximately 26%", True),
    ("Approximately 26%", True),  # the first letter's case is free
    ("approximately 26 %", False),
    ("didn’t do their job […] if at all", True),
    ("the Russian peacekeepers, about 1,900 … didn't do their job", True),
    ("[Russia's] share of Armenia's total trade", True),
    ("share of Armenia's total trade is about 26%", False),
    ("an “anti-terrorist” operation", True),  # nested quote marks of another shape
    ("launched what it called an - anti-terrorist", False),
    ("peacekeepers", True),
    ("peacekeeper", False),  # fragments end on word boundaries
])
def test_matching(quoted: str, ok: bool) -> None:
    from reportgen.sources.quotations import is_in
    from reportgen.sources.textnorm import normalise

    assert is_in(quoted, normalise(DEPETRIS)) is ok


@pytest.mark.parametrize(("sentence", "source", "found"), [
    ("13,550 people", "some 13 550 had crossed", True),
    ("13 550 people", "some 13550 had crossed", True),
    ("13,550 people", "at least 13,500 had crossed", False),
    ("26% of trade", "26 per cent of its trade", True),
    ("26 percent of trade", "approximately 26%", True),
    ("26 percent of trade", "26 countries", False),  # a percentage must be one in the source too
    ("on 19 September 2023", "On September 19, 2023, it began", True),
    ("on 19 September 2023", "On 19 Sept. 2023 it began", True),
    ("on 19 September 2023", "On 2023-09-19 it began", True),
    ("on 19 September 2023", "On 20 September 2023 it began", False),
    ("on 19 September", "Tuesday, September 19, it began", True),
    ("in September 2023", "on 19 September 2023", True),
    ("in 1995", "the 1995 agreement", True),
    ("in 1995", "the 1996 agreement", False),
    ("2.8 million people", "2,800,000 inhabitants", True),
    ("a nine-month blockade", "blockaded for nine months", True),
    ("a nine-month blockade", "a ten-month blockade", False),
    ("a 44-day war", "forty-four days", False),  # compound number words are not read
])
def test_figures(sentence: str, source: str, found: bool) -> None:
    from reportgen.sources.figures import figures_in, is_stated, stated

    [figure] = figures_in(sentence)
    assert is_stated(figure, stated(source)) is found


def test_what_is_not_a_figure() -> None:
    from reportgen.sources.figures import figures_in

    text = "Su-30 jets, S-300 missiles, the 1990s, the 21st century, Reading 1 and Section 3, COVID-19, at 18:00"
    assert figures_in(text) == []


def test_the_closest_passage_keeps_the_quotations_number(tmp_path: Path, run) -> None:
    section = "# S\n\nDePetris puts it at \"roughly 26 percent\" and counts \"approximately 1,900\" [@depetris2023].\n"
    root = brief(tmp_path, {"depetris2023.txt": DEPETRIS}, section=section)
    _, out, _ = run("check", "--project", str(root))
    closest = [w.split("; closest passage: ")[1] for w in warnings(out)]
    assert closest[0].startswith("“approximately 26%") and closest[1] == "“about 1,900”"


def test_words_taken_without_quotation_marks(tmp_path: Path, run) -> None:
    section = ("# S\n\nThe two are allies. On September 19, 2023, Azerbaijan launched what it called an "
               "anti-terrorist operation [@depetris2023]. It launched what it called an operation [@depetris2023].\n")
    root = brief(tmp_path, {"depetris2023.txt": DEPETRIS}, section=section)
    _, out, _ = run("check", "--project", str(root))
    assert warnings(out) == [
        "content/one.md:3:21: warning: 12 words in a row are depetris2023's own (sources/depetris2023.txt), without quotation "
        "marks: “On September 19, 2023, Azerbaijan launched what it called an anti-terrorist operation”"]
    root = brief(tmp_path / "off", {"depetris2023.txt": DEPETRIS}, section=section, config="checks:\n  copied_text: false\n")
    _, out, _ = run("check", "--project", str(root))
    assert warnings(out) == []


def test_a_text_named_after_no_key_is_pointed_out(tmp_path: Path, run) -> None:
    root = brief(tmp_path, {"depetris2032.txt": DEPETRIS, "notes.pdf.bak": "x"})
    _, out, _ = run("check", "--project", str(root))
    assert "sources/depetris2032.txt: warning: no source with key 'depetris2032' (did you mean 'depetris2023'?); " \
           "this text is not used" in out.splitlines()


def test_build_gives_the_same_warnings(tmp_path: Path, run) -> None:
    root = brief(tmp_path, {"depetris2023.txt": DEPETRIS})
    status, _, err = run("--quiet", "build", "--project", str(root), "--format", "docx")
    assert status == 0
    assert "content/one.md:6:23: warning: quotation “didn’t do their jobs very well” is not in the text of depetris2023" in err
    assert (root / "build/test-brief.docx").is_file()
