"""Content that used to pass silently or print nonsense: byte-order marks, duplicates, dates
that are not dates, a language that is a path. Each is a hostile project in a temp folder,
checked with `reportgen check` (and built where the outputs matter)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportgen.stages import load_project, read_document
from tests.conftest import FILES, write_project

BOM = "\ufeff"


def check(project: Path, run) -> tuple[int, list[str]]:
    status, out, _ = run("check", "--project", str(project))
    return status, [line for line in out.splitlines() if ": error: " in line or ": warning: " in line]


def test_byte_order_marks_are_encoding_marks(tmp_path: Path, run) -> None:
    files = {name: BOM + text for name, text in FILES.items()}  # Excel's "CSV UTF-8", Notepad's UTF-8
    project = write_project(tmp_path / "proj", files)
    for name in files:
        assert (project / name).read_bytes().startswith(b"\xef\xbb\xbf"), name
    status, lines = check(project, run)
    assert (status, lines) == (0, []), lines
    loaded = load_project(project)
    rows = loaded.datasets["fig-arrivals"].rows
    assert list(rows[0].values) == ["date", "count", "source"] and rows[0].location.line == 2
    doc = read_document(loaded)
    first = doc.blocks[0]
    assert type(first).__name__ == "Heading" and first.id == "sec-summary", first  # not literal text
    assert loaded.config.title == "Armenia’s Turn: A Test Brief"


def test_duplicate_section_ids_are_errors_naming_both(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/two.md"] = FILES["content/two.md"] + "\n# The summary again {#sec-summary}\n\nText.\n"
    project = write_project(tmp_path / "proj", files)
    line = files["content/two.md"].splitlines().index("# The summary again {#sec-summary}") + 1
    status, lines = check(project, run)
    assert status == 1
    assert lines == [f"content/two.md:{line}:1: error: duplicate id 'sec-summary' (first at content/one.md:1:1)"]


def test_ids_pandoc_makes_from_heading_text_may_repeat(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/one.md"] = FILES["content/one.md"] + "\n## Background\n\nText.\n"
    files["content/two.md"] = FILES["content/two.md"] + "\n## Background\n\nMore text.\n"
    project = write_project(tmp_path / "proj", files)
    status, lines = check(project, run)
    assert status == 0 and not [x for x in lines if "duplicate id" in x], lines


def test_a_figure_id_used_by_a_heading_too_is_an_error(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/one.md"] = FILES["content/one.md"] + "\n## Arrivals {#fig-arrivals}\n"
    project = write_project(tmp_path / "proj", files)
    line = files["content/one.md"].splitlines().index("## Arrivals {#fig-arrivals}") + 1
    status, lines = check(project, run)
    assert status == 1
    assert lines == [f"content/two.md:5:1: error: duplicate id 'fig-arrivals' (first at content/one.md:{line}:1)"]


@pytest.mark.parametrize("second", ["content/one.md", "./content/one.md", "content/../content/one.md"])
def test_a_section_listed_twice_is_an_error(tmp_path: Path, run, second: str) -> None:
    files = dict(FILES)
    files["reportgen.yml"] = FILES["reportgen.yml"].replace("  - content/two.md\n", f"  - content/two.md\n  - {second}\n")
    project = write_project(tmp_path / "proj", files)
    status, lines = check(project, run)
    assert status == 1
    assert lines == [f"reportgen.yml:15:5: error: config key sections.2: section '{Path(second)}' is listed twice "
                     "(first at line 13)"]


def test_duplicate_keys_anywhere_in_yaml_are_errors_naming_both_lines(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/refs.yaml"] = FILES["content/refs.yaml"].replace(
        "  container-title: TASS\n", "  container-title: TASS\n  title: Another title\n")
    files["reportgen.yml"] = FILES["reportgen.yml"] + "title: A second title\n"
    files["content/data/events.yaml"] = FILES["content/data/events.yaml"].replace(
        "{date: 2024, label:", "{date: 2024, kind: legal, label:")
    project = write_project(tmp_path / "proj", files)
    status, lines = check(project, run)
    assert status == 1
    config_line = len(files["reportgen.yml"].splitlines())
    refs = files["content/refs.yaml"].splitlines()
    assert lines == [f"reportgen.yml:{config_line}:1: error: invalid YAML: duplicate key 'title' (first at line 1)"], lines
    # The config stops the load; the others are found once it is fixed.
    (project / "reportgen.yml").write_text(FILES["reportgen.yml"], encoding="utf-8")
    status, lines = check(project, run)
    assert status == 1
    title = refs.index("  title: Another title") + 1
    first = refs.index('  title: "First Group of Forced Migrants from Karabakh Arrives in Armenia"') + 1
    assert lines == [f"content/refs.yaml:{title}:3: error: invalid YAML: duplicate key 'title' (first at line {first})"]
    (project / "content/refs.yaml").write_text(FILES["content/refs.yaml"], encoding="utf-8")
    status, lines = check(project, run)
    assert status == 1
    assert lines == ["content/data/events.yaml:3:59: error: invalid YAML: duplicate key 'kind' (first at line 3)"]


@pytest.mark.parametrize(("parts", "problem"), [
    ("[[99999999999999999999, 13, 45]]", "year 99999999999999999999 is out of range"),
    ("[[2023, 13, 45]]", "a season has no day"),
    ("[[2023, 0]]", "month 0 is not a month (1-12) or a season (13-16, 21-24)"),
    ("[[2023, 2, 30]]", "day 30 is not a day of month 2"),
    ("[[2023, x]]", "'x' is not a whole number"),
    ("[[2023, 1.5]]", "'1.5' is not a whole number"),
    ("[]", "expected one [year, month, day] list, or two for a range"),
    ("[2023]", "expected [year], [year, month] or [year, month, day]"),
    ("[[2023, 1, 2, 3]]", "expected [year], [year, month] or [year, month, day]"),
], ids=["huge-year", "season-day", "month-zero", "feb-30", "text", "fraction", "empty", "flat", "four-parts"])
def test_a_date_that_is_no_date_is_an_error_at_its_line(tmp_path: Path, run, parts: str, problem: str) -> None:
    files = dict(FILES)
    files["content/refs.yaml"] = FILES["content/refs.yaml"].replace(
        "issued: {date-parts: [[2023, 9, 24]]}", f"issued: {{date-parts: {parts}}}")
    project = write_project(tmp_path / "proj", files)
    line = files["content/refs.yaml"].splitlines().index(f"  issued: {{date-parts: {parts}}}") + 1
    status, lines = check(project, run)
    assert status == 1
    shown = re.escape(parts.replace("'", ""))
    assert len(lines) == 1 and re.fullmatch(
        rf"content/refs\.yaml:{line}:24: error: source 'tass2023': issued date-parts {shown}: {re.escape(problem)}",
        lines[0]), lines


def test_good_dates_pass(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/refs.yaml"] = (FILES["content/refs.yaml"]
                                  .replace("[[2023, 9, 24]]", "[[2024, 2, 29], [2024, 3, 1]]")  # a range, a leap day
                                  .replace("[[2023, 10, 1]]", "[['2023', '21']]")  # strings, a season
                                  .replace("[[2024, 1, 31]]", "[[-50]]"))  # 50 BC
    project = write_project(tmp_path / "proj", files)
    status, lines = check(project, run)
    assert status == 0 and not [x for x in lines if "error" in x], lines


@pytest.mark.parametrize("language", ["../../../../etc/passwd", "en_US", "en-GB\\nx", "<b>en</b>", "e" * 100])
def test_a_language_that_is_not_a_tag_is_refused(tmp_path: Path, run, language: str) -> None:
    files = dict(FILES)
    files["reportgen.yml"] = FILES["reportgen.yml"].replace("language: en-US", f'language: "{language}"')
    project = write_project(tmp_path / "proj", files)
    status, lines = check(project, run)
    assert status == 1
    assert len(lines) == 1 and lines[0].startswith("reportgen.yml:9:11: error: config key language: ") \
        and lines[0].endswith("is not a BCP 47 language tag (such as en-GB, fr, pt-BR, sr-Latn)"), lines


@pytest.mark.parametrize("language", ["hy", "hy-AM", "sr-Latn-RS", "de-CH-1996", "es-419", "en-GB-x-house"])
def test_language_tags_pass(tmp_path: Path, run, language: str) -> None:
    files = dict(FILES)
    files["reportgen.yml"] = FILES["reportgen.yml"].replace("language: en-US", f"language: {language}")
    project = write_project(tmp_path / "proj", files)
    status, lines = check(project, run)
    assert status == 0, lines
