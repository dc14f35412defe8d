"""`reportgen check`: every problem in one pass, compiler-style, without rendering anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FILES, write_project


def project_with(tmp_path: Path, changes: dict[str, str]) -> Path:
    """The test project with some files replaced."""
    return write_project(tmp_path / "p", FILES | changes)


def appended(name: str, text: str) -> str:
    return FILES[name] + text


def test_a_clean_project_passes_and_writes_nothing(project: Path, run) -> None:
    status, out, err = run("check", "--project", str(project))
    assert status == 0, out
    assert out == ""
    assert "0 error(s), 0 warning(s)" in err
    assert not (project / "build").exists()
    assert not list(project.glob("figures/*"))


def test_every_problem_is_reported_at_once_with_line_and_column(tmp_path: Path, run) -> None:
    root = project_with(tmp_path, {
        "content/one.md": FILES["content/one.md"].replace("[@giragosian2023, 4]", "[@giragosain2023, 4]"),
        "content/two.md": appended("content/two.md", "\nSee @fig-nowhere for more [@tass2023].\n"),
        "content/data/arrivals.csv": FILES["content/data/arrivals.csv"].replace("100417", "many"),
    })
    status, out, _ = run("check", "--project", str(root))
    assert status == 1
    lines = out.splitlines()
    assert "content/one.md:8:50: error: unknown citation key 'giragosain2023' (did you mean 'giragosian2023'?)" in lines
    assert "content/two.md:11:5: error: cross-reference to unknown 'fig-nowhere'" in lines
    assert "content/data/arrivals.csv:3: error: 'many' in column 'count' is not a number" in lines


def test_json_output_for_ci(tmp_path: Path, run) -> None:
    root = project_with(tmp_path, {"content/two.md": appended("content/two.md", "\nMore [@nope].\n")})
    status, out, _ = run("check", "--project", str(root), "--format", "json")
    assert status == 1
    report = json.loads(out)
    assert report["errors"] == 1
    [diagnostic] = [d for d in report["diagnostics"] if d["severity"] == "error"]
    assert diagnostic == {"path": "content/two.md", "line": 11, "col": 6, "severity": "error",
                          "message": "unknown citation key 'nope'", "rule": None}


@pytest.mark.parametrize(("text", "message"), [
    ("\nBroken [see @tass2023; p. 4].\n", "content/two.md:11:8: error: malformed citation '[see @tass2023; p. 4]'"),
    ("\nUnclosed [@tass2023, 4.\n", "content/two.md:11:10: error: citation has no closing ']'"),
    ("\n![A photo.](figures/missing.png)\n", "content/two.md:11:1: error: image 'figures/missing.png' not found"),
    ("\n![Remote.](https://example.org/x.png)\n", "content/two.md:11:1: error: image 'https://example.org/x.png': remote"),
    ("\n![Secret.](../../../../etc/passwd)\n", "content/two.md:11:1: error: image '../../../../etc/passwd' is outside"),
    ("\n![Secret.](/etc/passwd)\n", "content/two.md:11:1: error: image '/etc/passwd' is outside the project"),
])
def test_markdown_that_does_not_mean_what_it_says(tmp_path: Path, run, text: str, message: str) -> None:
    root = project_with(tmp_path, {"content/two.md": appended("content/two.md", text)})
    status, out, _ = run("check", "--project", str(root))
    assert status == 1
    assert any(line.startswith(message) for line in out.splitlines()), out


def test_unknown_style_and_duplicate_key(tmp_path: Path, run) -> None:
    refs = FILES["content/refs.yaml"] + "- id: tass2023\n  type: webpage\n  title: Again\n"
    config = FILES["reportgen.yml"] + "csl: chicago-notes-bibliografy\n"
    root = project_with(tmp_path, {"content/refs.yaml": refs, "reportgen.yml": config})
    status, out, _ = run("check", "--project", str(root))
    assert status == 1
    assert "reportgen.yml:30:6: error: unknown CSL style 'chicago-notes-bibliografy'" in out
    assert "content/refs.yaml:32:3: error: duplicate bibliography key 'tass2023' (first at line 22)" in out


def test_config_errors_are_all_reported(tmp_path: Path, run) -> None:
    config = FILES["reportgen.yml"].replace("keywords:", "keywrods:").replace("kind: line", "kind: pie")
    root = project_with(tmp_path, {"reportgen.yml": config})
    status, out, _ = run("check", "--project", str(root))
    assert status == 1
    assert "reportgen.yml:10:1: error: config key keywrods: unknown key (did you mean 'keywords'?)" in out
    assert ("reportgen.yml:18:11: error: config key charts.0.kind: unknown chart kind 'pie' "
            "(one of area, bar, line, range, scatter, table, timeline)") in out


UNCITED = "\nIn 2023 some 100,000 people crossed into Armenia within a week.\n"


def test_warnings_uncited_facts_unused_and_incomplete_sources(tmp_path: Path, run) -> None:
    refs = FILES["content/refs.yaml"] + "- id: lonely2024\n  type: article-newspaper\n  title: Never Cited\n"
    root = project_with(tmp_path, {"content/two.md": appended("content/two.md", UNCITED), "content/refs.yaml": refs})
    status, out, _ = run("check", "--project", str(root))
    assert status == 0, "warnings alone do not fail a check"
    lines = out.splitlines()
    assert "content/two.md:11:1: warning: paragraph states figures or dates but cites no source" in lines
    assert "content/refs.yaml:32:3: warning: source 'lonely2024' is never cited" in lines
    assert ("content/refs.yaml:32:3: warning: source 'lonely2024' (article-newspaper) has no container-title, "
            "issued, author; its note will show the gap") in lines


def test_each_warning_can_be_switched_off(tmp_path: Path, run) -> None:
    refs = FILES["content/refs.yaml"] + "- id: lonely2024\n  type: article-newspaper\n  title: Never Cited\n"
    config = FILES["reportgen.yml"] + "checks:\n  uncited_facts: false\n  unused_sources: false\n  incomplete_sources: false\n"
    root = project_with(tmp_path, {"content/two.md": appended("content/two.md", UNCITED), "content/refs.yaml": refs,
                                   "reportgen.yml": config})
    status, out, _ = run("check", "--project", str(root))
    assert (status, out) == (0, "")


def test_build_runs_the_same_checks_first(tmp_path: Path, run) -> None:
    root = project_with(tmp_path, {"content/two.md": appended("content/two.md", UNCITED)})
    status, _, err = run("--quiet", "build", "--project", str(root), "--format", "docx")
    assert status == 0
    assert "content/two.md:11:1: warning: paragraph states figures or dates but cites no source" in err
    (root / "content/two.md").write_text(appended("content/two.md", "\nSee [@nope].\n"))
    status, _, err = run("--quiet", "build", "--project", str(root), "--format", "docx")
    assert status == 2
    assert "content/two.md:11:5: error: unknown citation key 'nope'" in err


def test_the_shipped_brief_has_no_errors(run, shipped_brief: Path) -> None:
    status, out, _ = run("check", "--project", str(shipped_brief))
    assert status == 0, out
    assert "error:" not in out
