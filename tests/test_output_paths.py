"""Everything a build writes stays inside the project; a killed build's leftovers are cleaned.

Symlinks committed in place of `build/`, `figures/`, `.reportgen/` (or a file in them) that
lead outside the project stop the build before it writes anything there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FILES, write_project


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("link", "target", "shown"), [
    ("build", "outside", "build"),
    ("figures", "outside", "figures"),
    (".reportgen", "outside", ".reportgen"),
    (".reportgen/history.jsonl", "outside/history.jsonl", ".reportgen/history.jsonl"),
    (".reportgen/cache", "outside", ".reportgen/cache"),
    ("figures/fig-arrivals.svg", "outside/bashrc", "figures/fig-arrivals.svg"),
], ids=["build", "figures", "state", "history", "cache", "chart-file"])
def test_a_symlink_out_of_the_project_is_refused_and_nothing_is_written_there(tmp_path: Path, run, link: str,
                                                                             target: str, shown: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "bashrc").write_text("precious\n")
    project = write_project(tmp_path / "proj", FILES)
    (project / link).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(tmp_path / target, project / link)
    status, out, err = run("--quiet", "build", "--project", str(project))
    assert status == 2, out + err
    resolved = (tmp_path / target).resolve()
    assert err.splitlines() == [f"{shown}: error: leads outside the project (to {resolved}); reportgen writes only "
                                "inside the project, remove the link"], err
    assert tree(outside) == {"bashrc": b"precious\n"}


def test_out_inside_the_project_may_not_lead_outside_but_out_elsewhere_is_the_callers_choice(tmp_path: Path,
                                                                                            run) -> None:
    project = write_project(tmp_path / "proj", FILES)
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", project / "out")
    status, _, err = run("--quiet", "build", "--project", str(project), "--out", str(project / "out"))
    assert status == 2 and err.startswith("out: error: leads outside the project"), err
    assert list((tmp_path / "outside").iterdir()) == []
    status, _, err = run("--quiet", "build", "--project", str(project), "--out", str(tmp_path / "elsewhere"),
                         "--format", "pdf")
    assert status == 0, err
    assert (tmp_path / "elsewhere" / "test-brief.pdf").is_file()


def test_a_symlink_that_stays_inside_the_project_is_fine(tmp_path: Path, run) -> None:
    project = write_project(tmp_path / "proj", FILES)
    (project / "outputs").mkdir()
    os.symlink(project / "outputs", project / "build")
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "pdf")
    assert status == 0, err
    assert (project / "outputs" / "test-brief.pdf").is_file()


def dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return int(child.stdout)


def test_staged_files_of_a_killed_build_are_removed_by_the_next(tmp_path: Path, run) -> None:
    project = write_project(tmp_path / "proj", FILES)
    build = project / "build"
    build.mkdir()
    pid = dead_pid()
    left = [f".test-brief.docx.{pid}.staged", f".test-brief.pdf.{pid}.staged", f"..test-brief.pdf.{pid}.staged.tmp",
            f"..test-brief.docx.{pid}.staged.{pid}.tmp"]
    kept = [f".test-brief.pdf.{os.getppid()}.staged", ".other.pdf.1.staged", "notes.txt"]  # alive, or not ours
    for name in left + kept:
        (build / name).write_bytes(b"half a file")
    status, _, err = run("--quiet", "build", "--project", str(project))
    assert status == 0, err
    assert sorted(p.name for p in build.iterdir()) == sorted([*kept, "test-brief.docx", "test-brief.pdf"])


@pytest.mark.parametrize("name", ["build", "figures", ".reportgen", ".reportgen/cache"])
def test_a_file_where_a_build_folder_goes_is_a_message(tmp_path: Path, run, name: str) -> None:
    project = write_project(tmp_path / "proj", FILES)
    (project / name).parent.mkdir(parents=True, exist_ok=True)
    (project / name).write_text("not a folder\n")
    status, out, err = run("--quiet", "build", "--project", str(project))
    assert status == 2, out + err
    assert err.splitlines() == [f"{name}: error: is a file, not a folder; reportgen writes into a folder of that name, "
                                "remove or rename the file"], err
    assert (project / name).read_text() == "not a folder\n"


@pytest.mark.parametrize(("name", "message"), [
    ("build/test-brief.pdf", "build/test-brief.pdf: error: cannot write: Is a directory"),
    ("figures/fig-arrivals.png", "figures/fig-arrivals.png: error: is not a file; reportgen draws chart 'fig-arrivals' "
                                 "there, remove it"),
])
def test_a_folder_where_an_output_goes_is_a_message(tmp_path: Path, run, name: str, message: str) -> None:
    project = write_project(tmp_path / "proj", FILES)
    (project / name / "inside").mkdir(parents=True)
    status, out, err = run("--quiet", "build", "--project", str(project))
    assert status == 2, out + err
    assert err.splitlines() == [message], err
    assert sorted(p.name for p in (project / name).parent.iterdir()) == [Path(name).name], "nothing staged is left"
