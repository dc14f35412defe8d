"""State files under .reportgen/ that are damaged, hand-edited or of another shape: a warning
and a fresh start, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportgen.pipeline.history import read_entries

BROKEN_MANIFESTS = {
    "not-json": b"{not json",
    "not-utf8": b'{"version": 1}\xff',
    "a-list": b"[1, 2, 3]",
    "targets-a-list": b'{"version": 1, "config": "", "default_formats": [], "formats": {}, "targets": []}',
    "formats-wrong": b'{"version": 1, "config": "x", "default_formats": ["docx"], "formats": {"build": ["docx"]},'
                     b' "targets": {}}',
    "no-outputs": b'{"version": 1, "config": "x", "default_formats": ["docx"], "formats": {"build": {"docx": "docx"}},'
                  b' "targets": {"docx": {"inputs": {}, "outputs": {}}}}',
    "deep": b"[" * 100_000 + b"]" * 100_000,
}


def test_a_damaged_manifest_is_a_warning_and_rebuilt(project: Path, run) -> None:
    assert run("--quiet", "build", "--project", str(project), "--format", "docx")[0] == 0
    manifest = project / ".reportgen" / "manifest.json"
    for name, content in BROKEN_MANIFESTS.items():
        manifest.write_bytes(content)
        status, out, err = run("build", "--project", str(project), "--format", "docx", "--if-changed")
        assert status == 0, (name, err)
        [warning] = [line for line in err.splitlines() if "warning" in line]
        assert warning.startswith(".reportgen/manifest.json: warning: "), (name, warning)
        assert warning.endswith("; rebuilding everything"), (name, warning)
        assert out.splitlines()[-1].startswith("rebuilt chart:fig-arrivals, chart:fig-events, docx in "), (name, out)
        assert json.loads(manifest.read_text(encoding="utf-8"))["version"] == 1, "written afresh"
    status, out, err = run("build", "--project", str(project), "--format", "docx", "--if-changed")
    assert status == 0 and "warning" not in err and out.startswith("up to date"), out


def test_a_manifest_naming_a_fifo_or_device_does_not_block(project: Path, run) -> None:
    import os

    assert run("--quiet", "build", "--project", str(project), "--format", "docx")[0] == 0
    manifest = project / ".reportgen" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    os.mkfifo(project / "fifo")
    for target in data["targets"].values():
        target["inputs"].update({"fifo": "x", "/dev/zero": "y"})
    manifest.write_text(json.dumps(data), encoding="utf-8")
    status, out, err = run("build", "--project", str(project), "--format", "docx", "--if-changed")
    assert status == 0, err
    assert out.startswith("rebuilt"), out


def test_a_damaged_history_is_skipped_line_by_line(project: Path, run) -> None:
    history = project / ".reportgen" / "history.jsonl"
    history.parent.mkdir(parents=True)
    good = {"time": "2026-11-01T09:00:00+00:00", "kind": "build", "status": "rebuilt", "seconds": 1.5,
            "changed": ["a.md"], "rebuilt": ["pdf"]}
    lines = [
        json.dumps(good).encode(),
        b"\xff\xfe not utf-8",
        b'["a list"]',
        b'{"kind": "build"}',  # no time
        json.dumps({**good, "seconds": "slow"}).encode(),
        json.dumps({**good, "rebuilt": "pdf"}).encode(),
        json.dumps({**good, "changed": [1, 2]}).encode(),
        b"[" * 50_000,
        b'{"time": "2026-11-02T09:00:00+00:00", "kind": "bu',  # cut short by a crash, no newline
    ]
    history.write_bytes(b"\n".join(lines))
    assert run("--quiet", "build", "--project", str(project), "--format", "docx")[0] == 0
    entries, damaged = read_entries(project)
    assert damaged == [2, 3, 4, 5, 6, 7, 8, 9]
    assert [e["status"] for e in entries] == ["rebuilt", "rebuilt"], "the new entry is whole despite the cut line"
    status, out, err = run("history", "--project", str(project))
    assert status == 0
    assert err == ".reportgen/history.jsonl: warning: 8 damaged line(s) skipped (line 2, 3, 4, 5, 6 …)\n"
    assert len(out.splitlines()) == 2


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_history_that_cannot_be_written_does_not_stop_the_build(project: Path, run, kind: str) -> None:
    import os

    history = project / ".reportgen" / "history.jsonl"
    history.parent.mkdir(parents=True)
    history.mkdir() if kind == "folder" else os.mkfifo(history)
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "docx")
    assert status == 0, err
    assert read_entries(project) == ([], [])
    assert run("history", "--project", str(project))[0] == 0


def test_a_folder_in_place_of_the_build_lock_is_a_user_error(project: Path, run) -> None:
    (project / ".reportgen" / "build.lock").mkdir(parents=True)
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "docx")
    assert status == 2
    assert err == ".reportgen/build.lock: error: cannot take the build lock: Is a directory\n"


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_folder_or_fifo_in_place_of_the_lock_owner_does_not_stop_the_build(project: Path, run, kind: str) -> None:
    import os

    owner = project / ".reportgen" / "build.owner"
    owner.parent.mkdir(parents=True)
    owner.mkdir() if kind == "folder" else os.mkfifo(owner)  # writing to a FIFO would wait for a reader forever
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "docx")
    assert status == 0, err
    assert (project / "build" / "test-brief.docx").is_file()


@pytest.mark.parametrize("content", [b"[]", b"{}", b'{"blocks": [1, 2]}', b"{not json", b"\xff"])
def test_a_damaged_citation_cache_is_redone(project: Path, run, content: bytes) -> None:
    assert run("--quiet", "build", "--project", str(project), "--format", "docx")[0] == 0
    [entry] = (project / ".reportgen" / "cache").glob("citeproc-*.json")
    answer = entry.read_bytes()
    entry.write_bytes(content)
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "docx", "--force")
    assert status == 0, err
    assert "Traceback" not in err
    assert entry.read_bytes() == answer, "the processor's answer is written afresh"
