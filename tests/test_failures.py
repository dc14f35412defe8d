"""Every failure is a message: `path[:line]: error: …`, a non-zero exit, no traceback, and the
previous outputs as they were. Real failures where the machine allows them: a full disk (a
tiny tmpfs), a file size limit (RLIMIT_FSIZE in a child process), a read-only folder.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportgen.errors import ReportgenError
from reportgen.outputs.docx.reference_doc import check_reference_doc
from reportgen.outputs.pdf.templating import PACKAGE_TEMPLATES
from tests.conftest import FILES, write_project
from tests.test_bounds import build_with_reference, reference_with


def errors_of(said: str) -> list[str]:
    return [line for line in said.splitlines() if ": error: " in line]


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}


# -- the reference document -----------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    (b"PK\x03\x04 not really a zip", "not a Word document (not a zip package); save it from Word as .docx"),
    (b"just text", "not a Word document (not a zip package); save it from Word as .docx"),
    (None, "not a Word document (no word/document.xml in the package)"),
    (reference_with({}, {"word/document.xml": (b"<w:document", b"<broken")}),
     "unreadable Word document: Opening and ending tag mismatch: broken line 2 and w:document"),
], ids=["broken-zip", "text", "zip-without-document", "broken-xml"])
def test_a_reference_doc_that_is_not_a_word_document(tmp_path: Path, run, data: bytes | None, message: str) -> None:
    if data is None:
        path = tmp_path / "plain.zip"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("hello.txt", "hi")
        data = path.read_bytes()
    for command, exit_status in (("check", 1), ("build", 2)):
        _project, status, said = build_with_reference(tmp_path / command, run, data, command)
        assert status == exit_status, said
        found = errors_of(said)  # (a build finds broken XML in the DOCX stage, off the PDF's path)
        assert len(found) == 1 and found[0].startswith(f"templates/reference.docx: error: {message}"), said
        assert "Traceback" not in said


def test_check_refuses_a_reference_doc_outside_the_project_as_build_does(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["reportgen.yml"] = FILES["reportgen.yml"] + "reference_doc: ../outside.docx\n"
    project = write_project(tmp_path / "proj", files)
    (tmp_path / "outside.docx").write_bytes(reference_with({}))
    line = files["reportgen.yml"].count("\n")
    for command, exit_status in (("check", 1), ("build", 2)):
        status, out, err = run("--quiet", command, "--project", str(project))
        assert status == exit_status
        assert errors_of(out + err) == [f"reportgen.yml:{line}:16: error: path '../outside.docx' is outside the project"]


SETTINGS_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 b'<Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 b'attachedTemplate" Target="file:///C:/Users/someone/AppData/Roaming/Microsoft/Templates/Normal.dotm" '
                 b'TargetMode="External"/></Relationships>')


def test_an_external_attached_template_is_removed_from_the_output(tmp_path: Path, run) -> None:
    package = reference_with({"word/_rels/settings.xml.rels": SETTINGS_RELS},
                             {"word/settings.xml": (b"<w:zoom", b'<w:attachedTemplate r:id="rIdT"/><w:zoom')})
    project, status, said = build_with_reference(tmp_path, run, package)
    assert status == 0, said
    with zipfile.ZipFile(project / "build" / "test-brief.docx") as z:
        parts = {name: z.read(name) for name in z.namelist()}
    # (docProps/app.xml names "Normal.dotm" in every Word file: a name, not a link)
    assert not any(b"attachedTemplate" in data or b"AppData" in data for data in parts.values())
    assert b"Key Findings" in parts["word/styles.xml"], "the reference document's styles are kept"


def test_another_external_link_in_the_reference_doc_is_refused(tmp_path: Path, run) -> None:
    rels = SETTINGS_RELS.replace(b"attachedTemplate", b"image").replace(
        b"file:///C:/Users/someone/AppData/Roaming/Microsoft/Templates/Normal.dotm", b"http://127.0.0.1:9/pixel.png")
    package = reference_with({"word/_rels/header9.xml.rels": rels})
    _, status, said = build_with_reference(tmp_path, run, package, "check")
    assert status == 1
    assert errors_of(said) == ["templates/reference.docx: error: part 'word/_rels/header9.xml.rels' links to "
                               "'http://127.0.0.1:9/pixel.png' outside the document (image), which Word would load "
                               "when the brief is opened; remove it"], said


# -- the environment ------------------------------------------------------------------------


@pytest.mark.parametrize("epoch", ["99999999999999999999", "-5", "yesterday", "253402300800"])
def test_an_absurd_source_date_epoch(project: Path, run, monkeypatch: pytest.MonkeyPatch, epoch: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    for command in ("check", "build"):
        status, out, err = run("--quiet", command, "--project", str(project))
        assert status != 0
        assert errors_of(out + err) == [f"SOURCE_DATE_EPOCH: error: SOURCE_DATE_EPOCH={epoch!r}: expected seconds since "
                                        "1970 up to the year 9999"], out + err
        assert "Traceback" not in out + err
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "253402300799")  # the last second of 9999 is fine
    status, _, err = run("--quiet", "build", "--project", str(project))
    assert status == 0, err


# -- the disk -------------------------------------------------------------------------------


def tmpfs(path: Path, options: str) -> Iterator[Path]:
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    yield from tmpfs(tmp_path / "full", "size=64k")


def test_a_full_disk_is_a_message(project: Path, run, full_disk: Path) -> None:
    (full_disk / "test-brief.pdf").write_bytes(b"the previous PDF")
    status, out, err = run("--quiet", "build", "--project", str(project), "--out", str(full_disk))
    assert status == 2, out + err
    found = errors_of(out + err)
    assert len(found) == 1 and found[0] in (f"{full_disk}/test-brief.pdf: error: cannot write: No space left on device",
                                            f"{full_disk}/test-brief.docx: error: cannot write: No space left on device"), err
    assert "Traceback" not in out + err
    assert outputs(full_disk) == {"test-brief.pdf": b"the previous PDF"}, "nothing half-written is left"


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:  # a folder without write permission stops anyone but root
        path = tmp_path / "ro"
        path.mkdir()
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    yield from tmpfs(tmp_path / "ro", "ro,size=64k")


def test_a_read_only_output_folder_is_a_message(project: Path, run, read_only: Path) -> None:
    status, out, err = run("--quiet", "build", "--project", str(project), "--out", str(read_only))
    assert status == 2, out + err
    found = errors_of(out + err)
    assert len(found) == 1 and found[0].startswith(f"{read_only}/test-brief.") and found[0].endswith(
        (": error: cannot write: Read-only file system", ": error: cannot write: Permission denied")), err
    assert "Traceback" not in out + err


def test_a_file_size_limit_is_a_message(project: Path) -> None:
    """RLIMIT_FSIZE, which any user can set: a write past it fails with EFBIG (SIGXFSZ ignored)."""
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))  # the outputs are 40-110 KiB

    done = subprocess.run([sys.executable, "-m", "reportgen", "--quiet", "build", "--project", str(project)],
                          capture_output=True, text=True, preexec_fn=limit, check=False, timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    found = errors_of(done.stderr)
    assert len(found) == 1 and found[0] in ("build/test-brief.pdf: error: cannot write: File too large",
                                            "build/test-brief.docx: error: cannot write: File too large"), done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in (project / "build").iterdir()) == []


_REFERENCE = (PACKAGE_TEMPLATES / "reference.docx").read_bytes()


@given(st.lists(st.tuples(st.integers(0, len(_REFERENCE) - 1), st.integers(0, 255)), min_size=1, max_size=8),
       st.integers(0, len(_REFERENCE)))
def test_a_damaged_reference_doc_is_a_message(tmp_path_factory: pytest.TempPathFactory, flips: list[tuple[int, int]],
                                              keep: int) -> None:
    """Bytes changed here and there, or the file cut short: checked, or one located error."""
    data = bytearray(_REFERENCE)
    for position, value in flips:
        data[position] = value
    path = tmp_path_factory.mktemp("ref") / "reference.docx"
    path.write_bytes(bytes(data[: max(keep, 1)]))
    try:
        check_reference_doc(path, Path("templates/reference.docx"))
    except ReportgenError as exc:
        assert str(exc).startswith("templates/reference.docx: error: "), str(exc)
