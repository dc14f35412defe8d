"""`watch`: real file-system events (watchfiles) and real builds of the small test project."""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from pathlib import Path

import docx
import pytest
from watchfiles import Change

from reportgen.errors import ReportgenError
from reportgen.pipeline.build import build
from reportgen.pipeline.watch import WatchEvent, project_filter, watch
from tests.conftest import TWO

TIMEOUT = 30  # seconds; a build of the test project takes about 3


def docx_text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_watch_rebuilds_on_change_reports_errors_and_ignores_its_own_writes(project: Path) -> None:
    events: queue.Queue[WatchEvent] = queue.Queue()
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(project, lambda: build(project, ["docx"])),
                              kwargs={"stop_event": stop, "on_event": events.put}, daemon=True)
    thread.start()
    try:
        first = events.get(timeout=TIMEOUT)
        assert first.initial and first.ok, first.error
        output = project / "build" / "test-brief.docx"
        good = output.read_bytes()

        # What builds and editors write: none of it may start a build.
        (project / "build" / "scratch.txt").write_text("x", encoding="utf-8")
        (project / "figures" / "fig-extra.svg").write_text("<svg/>", encoding="utf-8")
        (project / ".reportgen" / "note").write_text("x", encoding="utf-8")
        for name in (".two.md.swp", "two.md~", ".#two.md", "#two.md#", "4913"):
            (project / "content" / name).write_text("x", encoding="utf-8")
        time.sleep(0.5)  # far longer than a batch takes to form: these would get a build of their own

        two = project / "content" / "two.md"
        two.write_text(TWO + "\nA claim nobody made [@nope].\n", encoding="utf-8")
        broken = events.get(timeout=TIMEOUT)
        assert broken.changed == ("content/two.md",)  # the next build is this one, for this file alone
        assert not broken.ok and not broken.initial
        assert "content/two.md:11:" in str(broken.error)
        assert "unknown citation key 'nope'" in str(broken.error)
        assert output.read_bytes() == good

        two.write_text(TWO + "\nA claim Reuters made [@reuters2023].\n", encoding="utf-8")
        fixed = events.get(timeout=TIMEOUT)
        assert fixed.ok, fixed.error
        assert fixed.changed == ("content/two.md",)
        assert fixed.duration > 0
        assert output.read_bytes() != good
        assert "A claim Reuters made" in docx_text(output)
    finally:
        stop.set()
        thread.join(timeout=TIMEOUT)
    assert not thread.is_alive()
    assert events.empty()


def test_errors_are_printed_and_watching_goes_on(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "content" / "two.md").write_text(TWO + "\nA claim nobody made [@nope].\n", encoding="utf-8")
    stop = threading.Event()

    def rebuild() -> object:
        try:
            return build(project, ["docx"])
        finally:
            stop.set()

    watch(project, rebuild, stop_event=stop)  # returns only once stopped: the error did not end it
    assert "content/two.md:11:21: error: unknown citation key 'nope'" in capsys.readouterr().err
    assert not (project / "build" / "test-brief.docx").exists()


def test_ctrl_c_while_waiting_ends_watching(project: Path) -> None:
    def interrupt(event: WatchEvent) -> None:
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()

    assert watch(project, lambda: None, on_event=interrupt) is None


def test_ctrl_c_during_a_build_ends_watching(project: Path) -> None:
    def rebuild() -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(TIMEOUT)

    assert watch(project, rebuild) is None


@pytest.mark.parametrize(("relative", "kept"), [
    ("content/two.md", True),
    ("reportgen.yml", True),
    ("build-notes.md", True),
    ("templates/brief.css", True),
    ("build", False),
    ("build/test-brief.pdf", False),
    ("figures/fig-a.svg", False),
    ("out", False),
    ("out/test-brief.docx", False),
    (".reportgen/manifest.json", False),
    ("content/.reportgen/x", False),
    (".git/index", False),
    ("content/.two.md.swp", False),
    ("content/two.md~", False),
    ("content/.#two.md", False),
    ("content/#two.md#", False),
    ("content/4913", False),
    ("watch.log", False),
    ("logs/schedule.log", False),
])
def test_project_filter(tmp_path: Path, relative: str, kept: bool) -> None:
    keep = project_filter(tmp_path, [tmp_path / "build", tmp_path / "figures", tmp_path / "out"])
    assert keep(Change.modified, str(tmp_path / relative)) is kept


def test_missing_project_folder(tmp_path: Path) -> None:
    with pytest.raises(ReportgenError, match=r"project folder '.*/nowhere' not found"):
        watch(tmp_path / "nowhere", lambda: None)


@pytest.mark.parametrize("how", ["redirect", "tee"])
def test_watch_with_its_output_inside_the_project_does_not_rebuild_itself(project: Path, how: str) -> None:
    """`reportgen watch > watch.txt 2> watch.err`, or `reportgen watch | tee watch.out`, in the
    project: each build writes a line to a file in the watched folder. Redirected, the watcher
    knows the file as its own output; through `tee` it is no input of the project."""
    import subprocess
    import sys

    log = project / ("watch.txt" if how == "redirect" else "watch.out")
    command = [sys.executable, "-m", "reportgen", "watch", "--project", ".", "--format", "docx"]
    with log.open("w") as out, (project / "watch.err").open("w") as err:
        child = subprocess.Popen(command, cwd=project, stdout=out if how == "redirect" else subprocess.PIPE,
                                 stderr=err, text=True)

    def tee() -> None:  # what `| tee watch.out` does: each line into the file as it comes
        assert child.stdout is not None
        for line in child.stdout:
            with log.open("a") as file:
                file.write(line)

    if how == "tee":
        threading.Thread(target=tee, daemon=True).start()

    def lines() -> int:
        return log.read_text().count("\n")

    try:
        deadline = time.monotonic() + TIMEOUT
        while lines() < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert lines() == 1, (project / "watch.err").read_text()
        time.sleep(2)  # several batches' time: a build of its own output would have come and written again
        assert lines() == 1, log.read_text()
        (project / "content" / "two.md").write_text(TWO + "\nOne more line.\n", encoding="utf-8")
        while lines() < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)
        assert log.read_text().splitlines()[1:] == [
            line for line in log.read_text().splitlines()[1:] if line.endswith("[content/two.md]")] and lines() == 2
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=TIMEOUT)


def test_only_the_inputs_of_the_project_count(project: Path) -> None:
    from reportgen.pipeline.watch import project_inputs

    inputs = project_inputs(project.resolve())
    assert inputs is not None
    root = project.resolve()
    for name in ("reportgen.yml", "content/one.md", "content/refs.yaml", "content/data/arrivals.csv",
                 "templates/brief.css", "templates/new-partial.html", "content/new-image.png"):
        assert root / name in inputs, name
    for name in ("watch.out", "notes.txt", "nohup.out", "README.md"):
        assert root / name not in inputs, name
    keep = project_filter(root, [root / "build", root / "figures"], frozenset(), lambda: inputs)
    assert keep(Change.modified, str(root / "content/two.md"))
    assert not keep(Change.modified, str(root / "watch.out"))

    (project / "reportgen.yml").write_text("title: [broken", encoding="utf-8")
    assert project_inputs(root) is None, "no config and no manifest: every change counts"
