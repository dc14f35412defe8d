"""Bounded work: no input makes a render stage run, read or wait without end.

A 6 KB word (WeasyPrint's line breaker with hyphenation is worse than quadratic in a word's
length), a FIFO named in the stylesheet, a reference document whose parts declare
gigabytes, and a render stage that outlives its wall-clock limit.
"""

from __future__ import annotations

import io
import os
import re
import resource
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from reportgen.outputs.pdf.templating import PACKAGE_TEMPLATES
from reportgen.outputs.pdf.writer import BREAK_EVERY, LONG_WORD, break_long_words
from tests.conftest import FILES, override_template, write_project


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.mark.timeout(180)  # without break opportunities, this word kept WeasyPrint busy past 180 s
def test_a_6_kb_word_renders_at_once(tmp_path: Path, run) -> None:
    word = "antidisestablishmentarianism" * 215  # 6,020 characters with many hyphenation points
    files = dict(FILES)
    files["reportgen.yml"] = FILES["reportgen.yml"].replace("language: en-US", "language: en-GB")
    files["content/two.md"] = FILES["content/two.md"] + f"\nA word {word} here [@tass2023].\n"
    project = write_project(tmp_path / "proj", files)
    before = cpu_seconds()
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "pdf")
    spent = cpu_seconds() - before
    assert status == 0, err
    assert spent < 30, f"{spent:.1f} s of CPU"  # the whole build takes some 3 s; the unbroken word, over 60
    text = "".join(page.extract_text() for page in PdfReader(project / "build" / "test-brief.pdf").pages)
    # The word is all there, give or take line-end hyphens, break opportunities and a running
    # header where it crosses a page (which splits one of its 215 parts).
    found = "".join(text.replace("\u200b", "").replace("-", "").split()).count("antidisestablishmentarianism")
    assert 215 - 3 <= found <= 215


def test_break_opportunities_go_into_text_only() -> None:
    long = "x" * (LONG_WORD + 5)
    html = (f'<style>p {{ background: url("file:///{long}") }}</style><p title="{long}">{long} &amp;{long}</p>'
            f'<a href="https://e.org/{long}">e</a>')
    out = break_long_words(html)
    assert out.count("\u200b") == 2 * ((LONG_WORD + 5) // BREAK_EVERY) + 0, out
    assert f'url("file:///{long}")' in out and f'title="{long}"' in out and f'href="https://e.org/{long}"' in out
    assert "&amp;" in out and "&am\u200b" not in out


@pytest.mark.timeout(60)  # a FIFO opened for reading waits for a writer for ever
def test_a_fifo_named_in_the_stylesheet_is_refused_without_blocking(tmp_path: Path, run) -> None:
    project = write_project(tmp_path / "proj", FILES)
    css = override_template(project, "brief.css")
    css.write_text('@import url("pipe.css");\n' + css.read_text() + "\nmain { background: url(/dev/zero); }\n")
    os.mkfifo(project / "templates" / "pipe.css")
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "pdf")
    assert status == 0, err
    assert "templates/brief.css:1:9: warning: could not load templates/pipe.css: not a regular file" in err, err
    assert "refused to load /dev/zero" in err, err


@pytest.mark.parametrize(("fmt", "stage"), [("pdf", "rendering the PDF"), ("docx", "writing the DOCX"),
                                           ("charts", "drawing the charts")])
def test_a_render_stage_past_its_wall_clock_limit_is_stopped_with_a_message(tmp_path: Path, run,
                                                                           monkeypatch: pytest.MonkeyPatch,
                                                                           fmt: str, stage: str) -> None:
    project = write_project(tmp_path / "proj", FILES)
    assert run("--quiet", "build", "--project", str(project))[0] == 0
    before = {p.name: p.read_bytes() for p in (project / "build").iterdir()}
    if fmt == "charts":  # new data: the charts are drawn again (matplotlib's import alone takes longer)
        data = project / "content" / "data" / "arrivals.csv"
        data.write_text(data.read_text().replace("100417", "100418"))
        fmt = "docx"  # the DOCX waits for the charts; the PDF would start its own clock beside them
    else:
        (project / "content" / "one.md").write_text((project / "content" / "one.md").read_text() + "\nMore.\n")
    monkeypatch.setenv("REPORTGEN_STAGE_TIMEOUT", "0.05")  # no render finishes in 50 ms
    status, out, err = run("--quiet", "build", "--project", str(project), "--format", fmt)
    assert status == 2, out + err
    assert err.splitlines() == [f"{project}: error: {stage} took longer than 0.05 s and was stopped "
                                "(the limit is REPORTGEN_STAGE_TIMEOUT)"], err
    assert {p.name: p.read_bytes() for p in (project / "build").iterdir()} == before
    monkeypatch.setenv("REPORTGEN_STAGE_TIMEOUT", "soon")
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", fmt)
    assert (status, err.splitlines()) == (2, ["REPORTGEN_STAGE_TIMEOUT: error: REPORTGEN_STAGE_TIMEOUT='soon': "
                                              "expected a number of seconds above 0"])


# -- the reference document -------------------------------------------------------------------


def reference_with(extra: dict[str, bytes], edit: dict[str, tuple[bytes, bytes]] | None = None) -> bytes:
    """The packaged reference document with parts added or edited (old -> new bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(PACKAGE_TEMPLATES / "reference.docx") as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if edit and info.filename in edit:
                old, new = edit[info.filename]
                assert old in data, info.filename
                data = data.replace(old, new)
            dst.writestr(info, data)
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


def declare_size(package: bytes, name: str, size: int) -> bytes:
    """`package` with the unpacked size of part `name` declared as `size` (its header lies)."""
    data = bytearray(package)
    encoded = name.encode()
    central = data.find(b"PK\x01\x02" + bytes(data[data.find(b"PK\x01\x02") + 4 : data.find(b"PK\x01\x02") + 4]))
    offset = central
    while True:
        offset = data.find(b"PK\x01\x02", offset)
        assert offset >= 0, name
        length = struct.unpack("<H", data[offset + 28 : offset + 30])[0]
        if bytes(data[offset + 46 : offset + 46 + length]) == encoded:
            data[offset + 24 : offset + 28] = struct.pack("<I", size)
            return bytes(data)
        offset += 4


def build_with_reference(tmp_path: Path, run, package: bytes, command: str = "build") -> tuple[Path, int, str]:
    project = write_project(tmp_path / "proj", FILES)
    (project / "templates").mkdir()
    (project / "templates" / "reference.docx").write_bytes(package)
    status, out, err = run("--quiet", command, "--project", str(project))
    return project, status, out + err


@pytest.mark.timeout(120)
def test_a_part_declaring_2_gb_is_refused_before_it_is_read(tmp_path: Path, run) -> None:
    package = declare_size(reference_with({"word/media/image1.png": b"\x89PNG" + b"\x00" * 1000}), "word/media/image1.png",
                           2_000_000_000)
    assert len(package) < 2 * 2**20
    for command, exit_status in (("check", 1), ("build", 2)):
        project, status, said = build_with_reference(tmp_path / command, run, package, command)
        assert status == exit_status, said
        errors = [line for line in said.splitlines() if ": error: " in line]
        assert errors == ["templates/reference.docx: error: part 'word/media/image1.png' is 2,000,000,000 bytes once "
                          "unpacked, more than the 20 MiB a part may have"], said
        assert not (project / "build").exists()


@pytest.mark.parametrize(("name", "config", "message"), [
    ("content/refs.yaml", "", "content/refs.yaml: error: is not a regular file, expected a file"),
    ("content/one.md", "", "content/one.md: error: is not a regular file, expected a file"),
    ("house.csl", "csl: house.csl\n", "reportgen.yml:30:6: error: CSL style file 'house.csl' not found"),  # not a file
    ("templates/reference.docx", "", "templates/reference.docx: error: reference document is not a regular file"),
    # named by the packaged template's <link>, which asks for it
    ("templates/brief.css", "", "brief.html.j2:17:26: warning: could not load templates/brief.css: not a regular file"),
], ids=["bibliography", "section", "csl", "reference-doc", "stylesheet"])
@pytest.mark.timeout(60)  # each would block on open() for ever
def test_a_fifo_is_refused_wherever_a_file_is_read(tmp_path: Path, run, name: str, config: str, message: str) -> None:
    files = dict(FILES)
    files["reportgen.yml"] = FILES["reportgen.yml"] + config
    project = write_project(tmp_path / "proj", files)
    (project / name).parent.mkdir(parents=True, exist_ok=True)
    (project / name).unlink(missing_ok=True)
    os.mkfifo(project / name)
    status, out, err = run("--quiet", "build", "--project", str(project))
    assert any(line.endswith(message) for line in err.splitlines()), out + err
    assert status == (0 if ": warning: " in message else 2), out + err


@given(st.lists(st.one_of(st.text(alphabet="ab&;<>\"= \n", max_size=300), st.sampled_from(["<p>", "</p>", "&amp;"])),
                max_size=20))
def test_break_opportunities_change_nothing_but_add_zero_width_spaces(parts: list[str]) -> None:
    html = "".join(parts)
    out = break_long_words(html)
    assert out.replace("\u200b", "") == html
    assert all(len(word) <= 3 * LONG_WORD for text in re.findall(r">([^<]*)", out) for word in re.split(r"[\s\u200b]", text))


def test_a_huge_file_named_in_the_stylesheet_is_not_loaded(tmp_path: Path, run) -> None:
    project = write_project(tmp_path / "proj", FILES)
    css = override_template(project, "brief.css")
    css.write_text(css.read_text() + '\nmain { background: url("huge.png"); }\n')
    with (project / "templates" / "huge.png").open("wb") as huge:
        huge.truncate(60 * 2**20)  # sparse: 60 MiB that take no disk
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "pdf")
    assert status == 0, err
    assert any(line.endswith("warning: refused to load templates/huge.png: larger than 50 MiB") for line in err.splitlines()), err
