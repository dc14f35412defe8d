"""Ctrl-C during a build: exit status 130, one line saying so, the previous outputs intact.

A real `python -m reportgen build` in a subprocess, on a copy of a project built once, with
its content changed so that everything must be redone. The test waits for a stage's progress
line on stderr and sends SIGINT: to the build process alone (`kill -INT`), or to its whole
process group as a terminal's Ctrl-C does, which also reaches the chart and DOCX children
and Pandoc.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from reportgen.cli import main
from tests.conftest import FILES, write_project

# Pages of plain text: the PDF takes seconds to lay them out, the DOCX a fraction of that, so
# a signal lands mid-stage. No numbers (the linter would want sources) and no notes (slow DOCX).
FILLER = "\n".join(
    "The alliance frayed in steps, each one documented in the sources the brief cites, from the treaty's "
    "early years to the offensive, the exodus and the turn towards Brussels that followed it.\n"
    for _ in range(80)
)
ABORTED = "aborted"
LATE = "new outputs are complete and in place"
LATE_MESSAGE = f"interrupted as the build finished; its {LATE}"


@dataclass
class Interrupted:
    status: int
    stderr: str
    before: dict[str, str]
    project: Path


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("interrupt") / "proj", FILES)
    done = subprocess.run([sys.executable, "-m", "reportgen", "--quiet", "build", "--project", str(root)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def project(built_once: Path, tmp_path: Path) -> Path:
    """A copy of the built project whose sections and chart data have changed since."""
    root = tmp_path / "proj"
    shutil.copytree(built_once, root, symlinks=True)
    two = root / "content" / "two.md"
    two.write_text(two.read_text() + "\n" + FILLER)
    data = root / "content" / "data" / "arrivals.csv"
    data.write_text(data.read_text() + "2023-10-02,100514,reuters2023\n")
    return root


def outputs(project: Path) -> dict[str, str]:
    """Each output's SHA-256: byte-identity, with a readable diff when it fails."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((project / "build").iterdir())}


def leftovers(project: Path) -> list[str]:
    return [str(p.relative_to(project)) for folder in ("build", "figures") for p in (project / folder).iterdir()
            if ".tmp" in p.name or p.name.startswith(".")]


def interrupt(project: Path, stage: str, *, fmt: str = "all", group: bool = False,
              after_children: bool = False) -> Interrupted:
    """Build, and send SIGINT once `stage` shows on stderr (with `after_children`, once the
    stage processes running then have finished)."""
    before = outputs(project)
    proc = subprocess.Popen([sys.executable, "-m", "reportgen", "build", "--format", fmt, "--project", str(project)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    watchdog = threading.Timer(120, proc.kill)  # a hung build fails the test instead of the run
    watchdog.start()
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if stage in line:
                if after_children:
                    _wait_for_children(proc)
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGINT) if group else proc.send_signal(signal.SIGINT)
                break
        lines.append(proc.stderr.read())
        status = proc.wait(timeout=60)
        assert proc.stdout is not None
        finished = "built " in proc.stdout.read()  # the summary: the signal came too late
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
    stderr = "".join(lines)
    assert any(stage in line for line in lines), f"never reached {stage!r}:\n{stderr}"
    return Interrupted(0 if finished else status, stderr, before, project)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.update(int(child) for child in (task / "children").read_text().split())
    return found


def _wait_for_children(proc: subprocess.Popen) -> None:
    """Until the child processes running now (the DOCX stage) have exited, or the build has."""
    running = _children(proc.pid)
    while running & _children(proc.pid) and proc.poll() is None:
        time.sleep(0.01)


def assert_clean_abort(result: Interrupted) -> None:
    if result.status == 0:
        pytest.fail(f"the build finished before the signal arrived:\n{result.stderr}")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.status == 130, result.stderr
    # Progress lines are indented; lint warnings may precede the interrupt.
    said = [line for line in result.stderr.splitlines()
            if line.strip() and not line.startswith("  ") and ": warning: " not in line]
    assert len(said) == 1 and ABORTED in said[0], result.stderr
    assert outputs(result.project) == result.before, "the previous outputs must stay byte-identical"
    assert leftovers(result.project) == []


@pytest.mark.parametrize("group", [False, True], ids=["kill-pid", "ctrl-c-group"])
def test_ctrl_c_while_rendering_the_pdf(project: Path, group: bool) -> None:
    assert_clean_abort(interrupt(project, "Rendering PDF", group=group))


@pytest.mark.parametrize("group", [False, True], ids=["kill-pid", "ctrl-c-group"])
def test_ctrl_c_while_writing_the_docx(project: Path, group: bool) -> None:
    assert_clean_abort(interrupt(project, "Writing DOCX", fmt="docx", group=group))


@pytest.mark.parametrize("group", [False, True], ids=["kill-pid", "ctrl-c-group"])
def test_ctrl_c_while_drawing_the_charts(project: Path, group: bool) -> None:
    assert_clean_abort(interrupt(project, "Drawing", group=group))


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the DOCX process through /proc")
def test_ctrl_c_between_one_output_and_the_other(project: Path) -> None:
    # The DOCX is written in a child process while the PDF renders here, and both are put in
    # place at the end: an interrupt once the child has finished must not leave one new
    # output beside an old one. One that lands while they are renamed is held until both are.
    result = interrupt(project, "Rendering PDF", after_children=True)
    if result.status == 0:
        pytest.skip("both outputs were done at once: no moment to interrupt between them")
    if LATE in result.stderr:
        assert_late_interrupt(result)
    else:
        assert_clean_abort(result)


def assert_late_interrupt(result: Interrupted) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.status == 130, result.stderr
    now = outputs(result.project)
    assert now.keys() == result.before.keys()
    assert all(now[name] != result.before[name] for name in now), "both outputs are new, not one"
    assert leftovers(result.project) == []


def test_ctrl_c_while_the_outputs_are_renamed(project: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # The signal is sent at the first rename, the one moment that cannot be hit reliably
    # from outside: it must wait until both documents are in place and recorded.
    rename = os.replace
    sent = []

    def replace_and_interrupt(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        if str(src).endswith(".staged") and not sent:
            sent.append(src)
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        rename(src, dst)

    before = outputs(project)
    monkeypatch.setattr(os, "replace", replace_and_interrupt)
    status = main(["build", "--project", str(project)])
    monkeypatch.undo()
    stderr = capsys.readouterr().err
    assert sent, "the build never renamed a staged output"
    assert_late_interrupt(Interrupted(status, stderr, before, project))
    assert stderr.strip().splitlines()[-1] == LATE_MESSAGE
    # The manifest recorded both: nothing is left to do.
    assert main(["build", "--project", str(project), "--if-changed"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_ctrl_c_wrapped_by_a_library(project: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    # matplotlib turns a Ctrl-C during its class set-up into "RuntimeError: Error calling
    # __set_name__"; any such wrapper is still the user's interrupt, not a crash.
    import reportgen.outputs.pdf.writer

    def interrupted_inside(*args: object, **kwargs: object) -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__") from exc

    before = outputs(project)
    monkeypatch.setattr(reportgen.outputs.pdf.writer, "write_pdf", interrupted_inside)
    status = main(["build", "--project", str(project)])
    stderr = capsys.readouterr().err
    assert status == 130
    assert "Traceback" not in stderr and stderr.strip().splitlines()[-1] == "aborted; previous outputs are untouched"
    assert outputs(project) == before
    assert leftovers(project) == []
