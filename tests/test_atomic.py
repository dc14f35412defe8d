"""The one atomic write: the old file or the new one, never half, never through a symlink."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reportgen.atomic import atomic_path, write_atomic


def test_write_atomic_replaces_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "out" / "a.json"
    write_atomic(path, "één")
    write_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]


def test_a_symlink_at_the_temporary_name_is_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    path = tmp_path / "a.txt"
    (tmp_path / f".a.txt.{os.getpid()}.tmp").symlink_to(victim)
    write_atomic(path, "new")
    assert victim.read_text() == "keep"
    assert path.read_text() == "new" and not path.is_symlink()


def test_a_writer_that_fails_leaves_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the renderer failed")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]


def test_a_writer_given_a_path_replaces_the_file_when_done(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(b"old")
    with atomic_path(path) as tmp:
        tmp.write_bytes(b"new")
        assert path.read_bytes() == b"old", "replaced only when the block ends"
    assert path.read_bytes() == b"new"
