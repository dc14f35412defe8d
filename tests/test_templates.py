"""Templates: packaged defaults a project overrides file by file, rendered in Jinja's sandbox.

Hostile projects built in temporary folders: a template that tries to run a command, to
include a file outside its folder, or that is simply broken gets one `path:line: error:`
from `check` (exit 1) and from `build` (exit 2), and the previous outputs stay as they were.
"""

from __future__ import annotations

import os
from pathlib import Path

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from reportgen.outputs.pdf.templating import PACKAGE_TEMPLATES
from tests.conftest import FILES, override_template, write_project


def outputs(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (project / "build").iterdir()}


def pdf_text(project: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(project / "build" / "test-brief.pdf").pages)


def errors_of(out: str, err: str) -> list[str]:
    return [line for line in (out + err).splitlines() if ": error: " in line]


def test_a_project_without_templates_builds_both_outputs_from_the_packaged_ones(tmp_path: Path, run) -> None:
    project = write_project(tmp_path / "proj", FILES)
    assert not (project / "templates").exists()
    status, _out, err = run("--quiet", "build", "--project", str(project))
    assert status == 0, err
    assert "Armenia’s Turn" in pdf_text(project)
    styles = {s.name for s in docx.Document(str(project / "build" / "test-brief.docx")).styles}
    assert {"Key Findings", "Bibliography"} <= styles, "the packaged reference document's styles"
    assert not (project / "templates").exists(), "nothing is written into templates/"


def test_each_packaged_file_can_be_overridden_by_one_of_the_same_name(tmp_path: Path, run) -> None:
    project = write_project(tmp_path / "proj", FILES)
    run("--quiet", "build", "--project", str(project))
    css = override_template(project, "brief.css")
    css.write_text(css.read_text() + '\n.cover .kind::after { content: " OVERRIDDEN-CSS"; }\n')
    html = override_template(project, "brief.html.j2")
    html.write_text(html.read_text().replace("{{ meta.labels.policy_brief }}", "Working Paper"))
    reference = override_template(project, "reference.docx")
    document = docx.Document(str(reference))
    document.styles["Normal"].font.name = "Overridden Sans"
    document.save(str(reference))
    status, _out, err = run("build", "--project", str(project))
    assert status == 0, err
    text = pdf_text(project)
    assert "WORKING PAPER  OVERRIDDEN-CSS" in text and "POLICY BRIEF" not in text  # the CSS sets capitals
    written = docx.Document(str(project / "build" / "test-brief.docx"))
    assert written.styles["Normal"].font.name == "Overridden Sans"


def test_the_packaged_templates_are_in_the_package() -> None:
    assert sorted(p.name for p in PACKAGE_TEMPLATES.iterdir()) == ["brief.css", "brief.html.j2", "reference.docx"]


# -- the sandbox ------------------------------------------------------------------------------


CODE = '{{ cycler.__init__.__globals__.os.popen("touch MARKER; id").read() }}'


@pytest.mark.parametrize("payload", [
    CODE,
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
], ids=["cycler-globals", "subclasses", "context", "lipsum-globals"])
@pytest.mark.parametrize(("command", "exit_status"), [("check", 1), ("build", 2)])
def test_template_code_cannot_reach_python(tmp_path: Path, run, payload: str, command: str, exit_status: int) -> None:
    project = write_project(tmp_path / "proj", FILES)
    assert run("--quiet", "build", "--project", str(project))[0] == 0
    before = outputs(project)
    marker = tmp_path / "ran"
    template = override_template(project, "brief.html.j2")
    text = template.read_text().replace("<main>", "<main>" + payload.replace("MARKER", str(marker)))
    template.write_text(text)
    line = text[: text.index(payload[:8])].count("\n") + 1
    status, out, err = run("--quiet", command, "--project", str(project))
    assert status == exit_status, out + err
    found = errors_of(out, err)
    assert len(found) == 1 and found[0].startswith(f"templates/brief.html.j2:{line}: error: template refused: "), out + err
    assert "is unsafe" in found[0]
    assert "Traceback" not in out + err
    assert not marker.exists(), "the command must not run"
    assert outputs(project) == before


BROKEN = [
    pytest.param("{% if %}", "template syntax error: Expected an expression, got 'end of statement block'", id="syntax"),
    pytest.param("{{ nosuch.value }}", "template error: 'nosuch' is undefined", id="undefined"),
    pytest.param("{% include 'missing.html' %}", "template 'missing.html' not found", id="missing-include"),
    pytest.param("{% for x in meta.title %}{{ x.y.z }}{% endfor %}",
                 "template error: 'str object' has no attribute 'y'", id="undefined-attribute"),
    pytest.param("{% extends 'brief.html.j2' %}", "template includes or calls itself without end", id="recursion"),
    pytest.param("{% include 42 %}", "template error: TypeError: 'int' object is not iterable", id="include-a-number"),
    pytest.param("{{ 1/0 }}", "template error: ZeroDivisionError: division by zero", id="division-by-zero"),
    pytest.param("{{ 2.0**100000 }}", "template error: OverflowError: (34, 'Numerical result out of range')",
                 id="overflow"),
    pytest.param("{{ 'x' * 10**9 }}", "template refused: repeating a value 1000000000 times makes more than 1,000,000 items",
                 id="huge-string"),
    pytest.param("{{ 7 ** 100000 }}", "template refused: 7 ** 100000 is too large a number", id="huge-power"),
    pytest.param("{{ 'a'.center(10**9) }}", "template refused: str.center with 1000000000 is too large", id="str-center"),
    pytest.param("{{ 'a'|indent(10**9) }}", "template refused: the indent filter with 1000000000 is too large",
                 id="indent-filter"),
    pytest.param("{{ '{:>1000000000}'.format(1) }}",
                 "template refused: str.format: a format width of a million characters or more", id="format-width"),
    pytest.param("{{ '{:>{w}}'.format(1, w=10**9) }}", "template refused: str.format with 1000000000 is too large",
                 id="format-nested-width"),
    pytest.param("{{ '%*d' % (10**9, 1) }}", "template refused: '%' formatting with 1000000000 is too large",
                 id="percent-star-width"),
]


@pytest.mark.parametrize(("payload", "message"), BROKEN)
@pytest.mark.parametrize(("command", "exit_status"), [("check", 1), ("build", 2)])
def test_a_broken_template_is_a_located_error(tmp_path: Path, run, payload: str, message: str, command: str,
                                              exit_status: int) -> None:
    project = write_project(tmp_path / "proj", FILES)
    assert run("--quiet", "build", "--project", str(project))[0] == 0
    before = outputs(project)
    template = override_template(project, "brief.html.j2")
    text = template.read_text()
    text = payload + "\n" + text if "extends" in payload else text.replace("<main>", "<main>" + payload)
    template.write_text(text)
    status, out, err = run("--quiet", command, "--project", str(project))
    assert status == exit_status, out + err
    found = errors_of(out, err)
    assert len(found) == 1 and found[0].startswith("templates/brief.html.j2:"), out + err
    assert found[0].endswith(f"error: {message}"), found[0]
    if "extends" not in payload:
        line = text[: text.index(payload)].count("\n") + 1
        assert found[0].startswith(f"templates/brief.html.j2:{line}: error: "), found[0]
    assert "Traceback" not in out + err
    assert outputs(project) == before


@pytest.mark.parametrize(("name", "make", "message"), [
    ("leak.txt", lambda p: os.symlink("/etc/passwd", p), "template 'leak.txt' leads outside its folder"),
    ("../reportgen.yml", None, "template name '../reportgen.yml' must be a plain name inside templates/"),
    ("/etc/passwd", None, "template name '/etc/passwd' must be a plain name inside templates/"),
    ("sub/../../reportgen.yml", None, "template name 'sub/../../reportgen.yml' must be a plain name inside templates/"),
    ("fifo.html", os.mkfifo, "template 'fifo.html' is not a regular file"),
], ids=["symlink-out", "dot-dot", "absolute", "nested-dot-dot", "fifo"])
@pytest.mark.timeout(60)  # a FIFO opened for reading blocks until a writer comes
def test_a_template_includes_only_files_of_its_folders(tmp_path: Path, run, name: str, make, message: str) -> None:
    project = write_project(tmp_path / "proj", FILES)
    template = override_template(project, "brief.html.j2")
    if make is not None:
        make(project / "templates" / name)
    text = template.read_text().replace("<main>", "<main>{% include '" + name + "' %}")
    template.write_text(text)
    line = text[: text.index("{% include")].count("\n") + 1
    for command, exit_status in (("check", 1), ("build", 2)):
        status, out, err = run("--quiet", command, "--project", str(project))
        assert status == exit_status, out + err
        assert errors_of(out, err) == [f"templates/brief.html.j2:{line}: error: {message}"], out + err
    assert not (project / "build" / "test-brief.pdf").exists()


@pytest.mark.timeout(120)
def test_a_template_that_loops_without_end_is_stopped_at_check_time(tmp_path: Path, run,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    project = write_project(tmp_path / "proj", FILES)
    template = override_template(project, "brief.html.j2")
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"  # 10^10 turns
    template.write_text(template.read_text().replace("<main>", "<main>" + loop))
    monkeypatch.setenv("REPORTGEN_STAGE_TIMEOUT", "2")
    status, out, err = run("--quiet", "check", "--project", str(project))
    assert status == 1
    assert errors_of(out, err) == ["templates/brief.html.j2: error: rendering the template took longer than 2 s and "
                                   "was stopped (the limit is REPORTGEN_STAGE_TIMEOUT)"], out + err


def test_ordinary_arithmetic_and_formatting_still_render(tmp_path: Path, run) -> None:
    project = write_project(tmp_path / "proj", FILES)
    template = override_template(project, "brief.html.j2")
    text = ("{{ 'Population 12345678 (%s)' % 5 }} {{ '{} and 12345678'.format(10**8) }} {{ '%05.1f'|format(2.25) }} "
            "{{ 2**10 }} {{ 'ab' * 3 }} {{ 17 % 5 }} {{ meta.title|truncate(12) }}")
    template.write_text(template.read_text().replace("</main>", f"<p>{text}</p></main>"))
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "pdf")
    assert status == 0, err
    assert "Population 12345678 (5) 100000000 and 12345678 002.2 1024 ababab 2 Armenia’s..." in " ".join(
        pdf_text(project).split())


def test_a_template_may_include_a_file_of_its_folder_and_the_packaged_ones(tmp_path: Path, run) -> None:
    project = write_project(tmp_path / "proj", FILES)
    (project / "templates").mkdir()
    (project / "templates" / "colophon.html").write_text("<p>Colophon: {{ meta.organisation }}</p>\n")
    template = override_template(project, "brief.html.j2")
    template.write_text(template.read_text().replace("</main>", "{% include 'colophon.html' %}</main>"))
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "pdf")
    assert status == 0, err
    assert "Colophon: Test Institute" in pdf_text(project)


def test_a_templates_folder_leading_outside_the_project_is_refused(tmp_path: Path, run) -> None:
    project = write_project(tmp_path / "proj", FILES)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "brief.html.j2").write_text("{{ meta.title }} and whatever else is there\n")
    os.symlink(outside, project / "templates")
    for command, exit_status in (("check", 1), ("build", 2)):
        status, out, err = run("--quiet", command, "--project", str(project))
        assert status == exit_status
        assert errors_of(out, err) == [f"templates: error: leads outside the project (to {outside}); remove the link"]


# -- fuzzing: any template a contributor writes renders or is a message ------------------------

_ATOMS = ["meta", "meta.title", "meta.authors", "toc", "fonts", "bibliography", "body", "version", "cycler", "lipsum",
          "range(5)", "range(100000)", "dict(a=1)", "namespace()", "joiner()", "self", "loop", "''", "'%s'", "'{}'",
          "'abc'", "0", "1", "-1", "2", "99999999", "1.5", "none", "true", "[1, 2]", "(1,)", "{'a': 1}"]
_SUFFIXES = ["", ".__class__", ".__init__", ".__globals__", ".mro()", ".title", ".upper()", ".format(1)", ".items()",
             "[0]", "['a']", "()", ".append(1)", ".update({})", "|length", "|list", "|join", "|int", "|float", "|round",
             "|sum", "|tojson", "|xmlattr", "|center(99999999)", "|batch(3)", "|slice(99999999)", "|format(1)",
             "|replace('a', 'b')", "|attr('__class__')", "|map('upper')", "|selectattr('x')", "|random", "|string"]
_OPERATORS = [" + ", " - ", " * ", " / ", " // ", " % ", " ** ", " ~ ", " == ", " in ", " and "]


@st.composite
def expressions(draw: st.DrawFn) -> str:
    terms = [draw(st.sampled_from(_ATOMS)) + "".join(draw(st.lists(st.sampled_from(_SUFFIXES), max_size=3)))
             for _ in range(draw(st.integers(1, 3)))]
    return "".join(t + (draw(st.sampled_from(_OPERATORS)) if i < len(terms) - 1 else "") for i, t in enumerate(terms))


_SHAPES = ["{{ %s }}", "{%% for x in %s %%}{{ x }}{%% endfor %%}", "{%% set y = %s %%}{{ y }}", "{%% if %s %%}.{%% endif %%}"]


@given(st.lists(expressions(), min_size=1, max_size=4), st.sampled_from(_SHAPES))
def test_any_template_expression_renders_or_is_a_message(tmp_path_factory: pytest.TempPathFactory, exprs: list[str],
                                                         shape: str) -> None:
    project = write_project(tmp_path_factory.mktemp("fuzz") / "proj", FILES)
    template = override_template(project, "brief.html.j2")
    template.write_text(template.read_text().replace("<main>", "<main>" + "".join(shape % e for e in exprs)))
    from reportgen.check import check_project

    os.environ["REPORTGEN_STAGE_TIMEOUT"] = "5"
    try:
        found = check_project(project).found  # a traceback fails the test
    finally:
        del os.environ["REPORTGEN_STAGE_TIMEOUT"]
    for error in found.errors:
        assert str(error).startswith(("templates/brief.html.j2", "error: ")), str(error)
