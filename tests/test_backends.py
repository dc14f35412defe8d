"""An output is one class behind `Backend` and one line in the registry: a toy one, defined
here, is built, checked, skipped when fresh and rebuilt when a section changes, with no
other module edited. And the build's own modules name no format."""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reportgen.document import model as m
from reportgen.errors import Diagnostic, Diagnostics, ReportgenError
from reportgen.outputs import registry
from reportgen.outputs.backend import Backend, Inputs
from reportgen.pipeline.build import build
from reportgen.pipeline.parallel import parallel_default
from reportgen.project.load import Project
from tests.conftest import FILES, write_project

REPO = Path(__file__).resolve().parents[1]
Run = Callable[..., tuple[int, str, str]]


class PlainText(Backend):
    """The brief's headings, paragraphs and figures' files as plain text."""

    name = "txt"
    suffix = ".txt"
    image_format = "png"
    label = "text"
    action = "writing"
    in_child = False

    def inputs(self, project: Project, key: Callable[[Path], str]) -> Inputs:
        return Inputs(params=["@lib:pytest"])

    def check(self, project: Project, doc: m.Document, found: Diagnostics, *, thorough: bool = False) -> None:
        for block in m.walk_blocks(doc.blocks):
            if isinstance(block, m.Heading) and "TODO" in m.plain_text(block.children):
                found.add_error(ReportgenError("a heading still says TODO", block.location))

    def render(self, doc: m.ResolvedDocument, path: Path, project: Project, wait_for: Callable[[Path], None]) -> list[Diagnostic]:
        lines, warnings = [], []
        for block in m.walk_blocks(doc.blocks):
            if isinstance(block, m.Heading):
                lines.append(f"{block.number} {m.plain_text(block.children)}")
            elif isinstance(block, m.Paragraph):
                lines.append(m.plain_text(block.children))
            elif isinstance(block, m.Figure):
                image = block.images[self.image_format]
                wait_for(image)  # a chart may still be being drawn
                lines.append(f"[{image.name}: {image.stat().st_size} bytes]")
                warnings.append(Diagnostic("warning", "plain text shows a figure by its file name", block.location))
        lines.append(f"written by process {os.getpid()}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return warnings


class PlainTextInChild(PlainText):
    """The same, rendered in a child process once the charts are drawn."""

    in_child = True


@pytest.fixture(params=[PlainText, PlainTextInChild], ids=["here", "in-child"])
def txt(request: pytest.FixtureRequest) -> Iterator[type[Backend]]:
    backend: type[Backend] = request.param
    registry.register(backend)
    try:
        yield backend
    finally:
        registry.unregister(backend.name)


@pytest.fixture
def txt_project(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "proj", FILES)
    config = root / "reportgen.yml"
    config.write_text(config.read_text(encoding="utf-8") + "outputs: [txt]\n", encoding="utf-8")
    return root


def test_a_registered_output_is_built_checked_skipped_when_fresh_and_rebuilt(
        txt: type[Backend], txt_project: Path, run: Run) -> None:
    status, out, err = run("build", "--project", str(txt_project), "--format", "txt")
    assert status == 0, err
    text = (txt_project / "build/test-brief.txt").read_text(encoding="utf-8")
    assert "1 Summary\n" in text and "2 The exodus\n" in text
    assert "One reading blames Yerevan instead" in text
    # Each chart drawn (and waited for) before the output read it.
    assert re.search(r"\[fig-arrivals\.png: [1-9]\d* bytes\]", text), text
    assert re.search(r"\[fig-events\.png: [1-9]\d* bytes\]", text), text
    assert sorted(p.name for p in (txt_project / "build").iterdir()) == ["test-brief.txt"]
    in_child = txt.in_child and parallel_default()
    assert (f"written by process {os.getpid()}\n" in text) is not in_child
    assert "built 1 output(s)" in out
    # Its warnings reach the user, from this process or the child.
    shown = [line for line in err.splitlines() if "plain text shows" in line]
    assert shown == [f"content/two.md:{n}:1: warning: plain text shows a figure by its file name" for n in (5, 9)], err

    manifest = json.loads((txt_project / ".reportgen/manifest.json").read_text(encoding="utf-8"))
    (formats,) = manifest["formats"].values()
    assert list(formats) == ["txt"] and manifest["default_formats"] == ["txt"]
    assert "@lib:pytest" in manifest["targets"][formats["txt"]]["inputs"]

    for argv in (["--format", "txt"], []):  # and the config's `outputs: [txt]`
        status, out, err = run("build", "--project", str(txt_project), *argv)
        assert status == 0 and "up to date: nothing changed since the last build" in out, out + err
    assert (txt_project / "build/test-brief.txt").read_text(encoding="utf-8") == text

    section = txt_project / "content/one.md"
    section.write_text(section.read_text(encoding="utf-8").replace("One reading", "Another reading"), encoding="utf-8")
    status, out, err = run("build", "--project", str(txt_project))
    assert status == 0 and "built 1 output(s)" in out, out + err
    rebuilt = (txt_project / "build/test-brief.txt").read_text(encoding="utf-8")
    assert "Another reading blames Yerevan instead" in rebuilt and "One reading" not in rebuilt


def _refuse(self: Backend, doc: m.ResolvedDocument, path: Path, project: Project,
            wait_for: Callable[[Path], None]) -> list[Diagnostic]:
    path.write_text("half an output", encoding="utf-8")
    raise ReportgenError("this output cannot be written", m.Location(Path("content/one.md"), 1))


@pytest.mark.parametrize("in_child", [False, True], ids=["here", "in-child"])
def test_an_output_that_fails_leaves_the_previous_one(in_child: bool, txt_project: Path, run: Run) -> None:
    def build_with(backend: type[Backend]) -> tuple[int, str, str]:
        registry.register(_renamed(backend, "txt", in_child=in_child))
        try:
            return run("--quiet", "build", "--project", str(txt_project))
        finally:
            registry.unregister("txt")

    output = txt_project / "build/test-brief.txt"
    assert build_with(PlainText)[0] == 0
    before = output.read_bytes()
    section = txt_project / "content/one.md"
    section.write_text(section.read_text(encoding="utf-8").replace("One reading", "Another reading"), encoding="utf-8")
    status, _, err = build_with(_renamed(PlainText, "txt", render=_refuse))
    assert status == 2 and err.splitlines() == ["content/one.md:1: error: this output cannot be written"], err
    assert output.read_bytes() == before and b"One reading" in before
    assert sorted(p.name for p in output.parent.iterdir()) == ["test-brief.txt"]  # nothing staged is left


def test_a_registered_output_adds_its_checks(txt: type[Backend], txt_project: Path, run: Run) -> None:
    section = txt_project / "content/two.md"
    section.write_text(section.read_text(encoding="utf-8").replace("# The exodus", "# TODO The exodus"), encoding="utf-8")
    error = "content/two.md:1:1: error: a heading still says TODO"
    status, out, err = run("check", "--project", str(txt_project))
    assert status == 1 and error in (out + err).splitlines(), out + err
    status, _, err = run("--quiet", "build", "--project", str(txt_project))
    assert status == 2 and err.splitlines() == [error] and not (txt_project / "build").exists(), err


def test_an_unknown_output_is_an_error_naming_the_registered_ones(project: Path, run: Run) -> None:
    config = project / "reportgen.yml"
    config.write_text(config.read_text(encoding="utf-8") + "outputs: [pdf, html]\n", encoding="utf-8")
    status, _, err = run("--quiet", "build", "--project", str(project))
    assert status == 2 and err.splitlines() == [
        "reportgen.yml:30:10: error: config key outputs: unknown output 'html'; the outputs are pdf, docx"], err
    assert "Traceback" not in err and not (project / "build").exists()
    config.write_text(config.read_text(encoding="utf-8").replace("[pdf, html]", "[pfd]"), encoding="utf-8")
    status, _, err = run("--quiet", "build", "--project", str(project))
    assert status == 2 and "unknown output 'pfd' (did you mean 'pdf'?); the outputs are pdf, docx" in err, err
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "html")
    assert status == 2 and "'html' is not one of 'pdf', 'docx', 'all'" in err, err
    config.write_text(config.read_text(encoding="utf-8").replace("outputs: [pfd]\n", ""), encoding="utf-8")
    with pytest.raises(ReportgenError, match=r"^error: unknown output 'html'; the outputs are pdf, docx$"):
        build(project, ["html"])  # as a library is called


def test_a_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="an output named 'pdf' is registered already"):
        registry.register(_renamed(PlainText, "pdf"))
    with pytest.raises(ValueError, match="'all' names every output"):
        registry.register(_renamed(PlainText, "all"))
    assert registry.names() == ["pdf", "docx"]


def _renamed(backend: type[Backend], name: str, **attributes: object) -> type[Backend]:
    return type(f"{backend.__name__}As{name}", (backend,), {"name": name, **attributes})


# Words that name an output or its library: an identifier or a string (other than a
# docstring) holding one of them in the build's modules is a format branch.
_FORMAT_WORD = re.compile(r"(?<![a-z])(pdf|docx|weasyprint)(?![a-z])", re.IGNORECASE)


def _code_words(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """The identifiers and the strings of a module, but for docstrings (prose may say "the PDF")."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value
        elif isinstance(node, ast.Name):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute):
            yield node.lineno, node.attr
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.lineno, node.name
        elif isinstance(node, ast.arg):
            yield node.lineno, node.arg
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, node.module or ""
        elif isinstance(node, ast.alias):
            yield node.lineno, node.name


def test_the_build_names_no_format() -> None:
    """A guard, not a behaviour: the build knows outputs only through `Backend` and the
    registry, so a new output needs no edit in `reportgen/pipeline/`. Reads the source text."""
    found = []
    for path in sorted((REPO / "reportgen/pipeline").glob("*.py")):
        for line, word in _code_words(ast.parse(path.read_text(encoding="utf-8"))):
            if _FORMAT_WORD.search(word):
                found.append(f"{path.relative_to(REPO)}:{line}: {word!r}")
    assert found == []


def test_the_guard_sees_a_format_branch() -> None:
    tree = ast.parse('"""The PDF here."""\nif fmt == "docx":\n    write_pdf(path)\n')
    assert [w for _, w in _code_words(tree) if _FORMAT_WORD.search(w)] == ["docx", "write_pdf"]
