"""Incremental builds: only what changed is redone; nothing changed costs next to nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from filelock import FileLock
from pypdf import PdfReader

from reportgen.pipeline.build import build
from reportgen.pipeline.history import read as read_history
from tests.conftest import override_template

PDF, DOCX = "build/test-brief.pdf", "build/test-brief.docx"
CHARTS = ["figures/fig-arrivals.svg", "figures/fig-arrivals.png", "figures/fig-events.svg", "figures/fig-events.png"]


def stamps(root: Path) -> dict[str, int]:
    """Modification times of every output: a file rewritten gets a new one."""
    return {name: (root / name).stat().st_mtime_ns for name in [PDF, DOCX, *CHARTS]}


def rewritten(before: dict[str, int], root: Path) -> set[str]:
    return {name for name, stamp in stamps(root).items() if stamp != before[name]}


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def built(project: Path) -> Path:
    """The test project after one full build."""
    result = build(project)
    assert set(result.rebuilt) == {"chart:fig-arrivals", "chart:fig-events", "pdf", "docx"}
    return project


def test_a_build_with_nothing_changed_renders_nothing_and_imports_no_renderer(built: Path) -> None:
    before = stamps(built)
    probe = (
        "import json, sys\n"
        "from reportgen.cli import main\n"
        f"status = main(['build', '--project', {str(built)!r}])\n"
        "heavy = {'weasyprint', 'docx', 'matplotlib', 'pydantic', 'markdown_it'}\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & heavy)\n"
        "print(json.dumps({'status': status, 'heavy': heavy}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {"status": 0, "heavy": []}
    assert "up to date: nothing changed since the last build" in done.stdout
    assert rewritten(before, built) == set()
    assert read_history(built)[-1]["status"] == "up-to-date"


def test_one_data_file_redraws_one_chart(built: Path) -> None:
    before = stamps(built)
    edit(built, "content/data/events.yaml", "Summons of the ambassador", "Ambassador summoned")
    result = build(built)
    assert result.rebuilt == ["chart:fig-events", "pdf", "docx"]
    assert "content/data/events.yaml" in result.changed
    assert rewritten(before, built) == {"figures/fig-events.svg", "figures/fig-events.png", PDF, DOCX}


def test_a_paragraph_rerenders_the_documents_but_no_chart(built: Path, caplog: pytest.LogCaptureFixture) -> None:
    before = stamps(built)
    edit(built, "content/one.md", "One reading blames", "Another reading blames")
    with caplog.at_level("INFO", logger="reportgen"):
        result = build(built)
    # With no chart to wait for, the DOCX is written beside the whole PDF, not after it.
    started = [r.getMessage() for r in caplog.records if r.getMessage() in ("Writing DOCX ...", "Rendering PDF ...")]
    assert started == ["Writing DOCX ...", "Rendering PDF ..."]
    assert result.rebuilt == ["pdf", "docx"]
    assert result.changed == ["content/one.md"]
    assert rewritten(before, built) == {PDF, DOCX}
    assert any("Another reading blames" in p.text for p in docx.Document(str(built / DOCX)).paragraphs)


def test_a_template_rerenders_the_pdf_only_and_the_reference_doc_the_docx_only(built: Path) -> None:
    before = stamps(built)
    override_template(built, "brief.css")  # the packaged stylesheet's bytes, now the project's
    assert build(built).rebuilt == ["pdf"], "a new file in templates/ counts"
    before = stamps(built)
    with (built / "templates/brief.css").open("a") as css:
        css.write("\n/* house colour */\n")
    assert build(built).rebuilt == ["pdf"]
    assert rewritten(before, built) == {PDF}
    override_template(built, "reference.docx")
    assert build(built).rebuilt == ["docx"], "an overriding reference document counts"
    before = stamps(built)
    (built / "templates/reference.docx").write_bytes((built / "templates/reference.docx").read_bytes())
    assert build(built).rebuilt == [], "same bytes, same digest: nothing to do"
    document = docx.Document(str(built / "templates/reference.docx"))
    document.core_properties.comments = "restyled"
    document.save(str(built / "templates/reference.docx"))
    assert build(built).rebuilt == ["docx"]
    assert rewritten(before, built) == {DOCX}


def test_an_output_deleted_or_edited_by_hand_is_made_again(built: Path) -> None:
    (built / PDF).unlink()
    (built / "figures/fig-arrivals.png").write_bytes(b"not a png")
    result = build(built)
    assert result.rebuilt == ["chart:fig-arrivals", "pdf", "docx"]
    assert f"{PDF} (output missing)" in result.changed
    assert "figures/fig-arrivals.png (output edited)" in result.changed


def test_force_rebuilds_everything_and_builds_are_byte_identical(built: Path) -> None:
    first = {name: (built / name).read_bytes() for name in [PDF, DOCX, *CHARTS]}
    result = build(built, force=True)
    assert set(result.rebuilt) == {"chart:fig-arrivals", "chart:fig-events", "pdf", "docx"}
    assert {name: (built / name).read_bytes() for name in first} == first


def test_source_date_epoch_sets_the_timestamps(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    assert build(built).rebuilt == ["pdf", "docx"], "the timestamp is an input of both documents"
    assert PdfReader(built / PDF).metadata["/CreationDate"].startswith("D:20231114221320")
    assert docx.Document(str(built / DOCX)).core_properties.created.isoformat() == "2023-11-14T22:13:20+00:00"


def test_if_changed_says_in_one_line_what_it_did(built: Path, run) -> None:
    status, out, _ = run("--quiet", "build", "--project", str(built), "--if-changed")
    assert status == 0 and out.startswith("up to date: nothing changed") and out.count("\n") == 1
    edit(built, "content/two.md", "in a week", "within a week")
    status, out, _ = run("--quiet", "build", "--project", str(built), "--if-changed")
    assert status == 0 and out.count("\n") == 1
    assert out.startswith("rebuilt pdf, docx in ") and out.rstrip().endswith("changed content/two.md")


def test_a_failed_build_keeps_outputs_and_manifest_and_is_in_the_history(built: Path, run) -> None:
    before = stamps(built)
    edit(built, "content/two.md", "[@giragosian2023]", "[@nope]")
    status, _, err = run("--quiet", "build", "--project", str(built))
    assert status == 2 and "unknown citation key 'nope'" in err
    assert rewritten(before, built) == set()
    assert read_history(built)[-1]["status"] == "failed"
    edit(built, "content/two.md", "[@nope]", "[@giragosian2023]")
    assert build(built).rebuilt == [], "back to the inputs of the last good build"
    status, out, _ = run("history", "--project", str(built), "-n", "3")
    assert status == 0
    assert [line.split()[2] for line in out.splitlines()] == ["rebuilt", "failed", "up-to-date"]


def test_a_damaged_manifest_means_a_full_build(built: Path) -> None:
    (built / ".reportgen/manifest.json").write_text("{not json")
    assert set(build(built).rebuilt) == {"chart:fig-arrivals", "chart:fig-events", "pdf", "docx"}


def _build_process(root: Path, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "reportgen", "build", "--force", "--project", str(root), *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_overlapping_builds_wait_for_each_other_and_leave_valid_outputs(built: Path) -> None:
    first, second = _build_process(built), _build_process(built)
    results = [p.communicate(timeout=180) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], results
    assert any("Waiting for another build of this project" in err for _, err in results)
    assert len(PdfReader(built / PDF).pages) >= 2
    assert docx.Document(str(built / DOCX)).paragraphs
    assert [e["status"] for e in read_history(built)[-2:]] == ["rebuilt", "rebuilt"]
    assert not list((built / "build").glob(".*tmp")), "no temporary files left behind"


def test_a_build_that_cannot_get_the_lock_gives_up_with_a_message(built: Path, run) -> None:
    with FileLock(built / ".reportgen/build.lock"):
        status, _, err = run("--quiet", "build", "--project", str(built), "--lock-timeout", "0.2")
    assert status == 2
    assert "another build of this project is still running" in err and "gave up after 0.2 s" in err


def test_an_edit_to_prose_alone_reuses_the_formatted_citations(built: Path) -> None:
    [entry] = (built / ".reportgen/cache").glob("citeproc-*.json")
    stamp = entry.stat().st_mtime_ns
    edit(built, "content/one.md", "One reading blames", "Another reading blames")
    assert build(built).rebuilt == ["pdf", "docx"]
    assert [p.name for p in (built / ".reportgen/cache").glob("citeproc-*.json")] == [entry.name]
    assert entry.stat().st_mtime_ns == stamp, "the citation processor did not run again"
    edit(built, "content/one.md", "[@giragosian2023, 4]", "[@giragosian2023, 5]")
    build(built)
    [changed] = (built / ".reportgen/cache").glob("citeproc-*.json")
    assert changed.name != entry.name
