"""Bad input: one message naming file and line, exit status 2, no traceback, outputs kept."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.conftest import FILES, write_project


def build_ok(project: Path, run) -> dict[str, bytes]:
    status, _, err = run("--quiet", "build", "--project", str(project))
    assert status == 0, err
    return {p.name: p.read_bytes() for p in (project / "build").iterdir()}


def edit(project: Path, name: str, old: str, new: str) -> None:
    path = project / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new))


CASES = [
    pytest.param("content/two.md", "[@giragosian2023]", "[@giragosain2023]",
                  "content/two.md:7:49: error: unknown citation key 'giragosain2023' (did you mean 'giragosian2023'?)",
                  id="unknown-key"),
    pytest.param("reportgen.yml", "language: en-US", "language: [en-US",
                  "reportgen.yml:10:9: error: invalid YAML", id="bad-yaml"),
    pytest.param("reportgen.yml", "keywords:", "keywrods:",
                  "reportgen.yml:10:1: error: config key keywrods: unknown key (did you mean 'keywords'?)",
                  id="unknown-config-key"),
    pytest.param("reportgen.yml", "content/data/arrivals.csv", "content/data/missing.csv",
                  "content/data/missing.csv: error: file not found", id="missing-data-file"),
    pytest.param("content/data/arrivals.csv", "date,count,source", "day,count,source",
                  "content/data/arrivals.csv:2: error: missing value for column 'date'", id="missing-column"),
    pytest.param("content/data/arrivals.csv", "2023-09-30,100417", "2023-09-30,lots",
                  "content/data/arrivals.csv:3: error: 'lots' in column 'count' is not a number", id="bad-number"),
    pytest.param("content/data/arrivals.csv", "100490,reuters2023", "100490,reuter2023",
                  "content/data/arrivals.csv:4: error: source 'reuter2023' is not in the bibliography "
                  "(did you mean 'reuters2023'?)", id="unknown-data-source"),
    pytest.param("reportgen.yml", "kind: line", "kind: pie",
                  "reportgen.yml:18:11: error: config key charts.0.kind: unknown chart kind 'pie' "
                  "(one of area, bar, line, range, scatter, table, timeline)",
                  id="bad-chart-kind"),
    pytest.param("content/one.md", "Section @sec-exodus", "Section @sec-exodos",
                  "content/one.md:10:29: error: cross-reference to unknown 'sec-exodos' (did you mean 'sec-exodus'?)",
                  id="unknown-xref"),
    pytest.param("content/one.md", ":::\n\nArmenia", "\nArmenia",
                  "content/one.md:3:1: error: fenced div ':::' is never closed", id="unclosed-div"),
    pytest.param("reportgen.yml", "bibliography: content/refs.yaml", "bibliography: ../../etc/passwd",
                  "reportgen.yml:15:15: error: path '../../etc/passwd' is outside the project", id="path-escape"),
]


@pytest.mark.parametrize(("name", "old", "new", "message"), CASES)
def test_bad_input_is_reported_and_loses_nothing(project: Path, run, name: str, old: str, new: str,
                                                 message: str) -> None:
    before = build_ok(project, run)
    edit(project, name, old, new)
    status, out, err = run("--quiet", "build", "--project", str(project))
    assert status == 2
    assert err.splitlines()[0].startswith(message), err
    assert "Traceback" not in err + out
    after = {p.name: p.read_bytes() for p in (project / "build").iterdir()}
    assert after == before, "previous outputs must stay byte-identical"


def test_several_unknown_keys_are_reported_together(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/two.md"] = FILES["content/two.md"] + "\nMore [@nope1] and [@nope2].\n"
    project = write_project(tmp_path / "p", files)
    status, _, err = run("build", "--project", str(project))
    assert status == 2
    assert "unknown citation key 'nope1'" in err and "unknown citation key 'nope2'" in err


def test_not_a_project(tmp_path: Path, run) -> None:
    status, _, err = run("build", "--project", str(tmp_path))
    assert status == 2
    assert "no reportgen.yml here" in err


def test_version_and_help(run) -> None:
    status, out, _ = run("--version")
    assert status == 0 and "reportgen" in out
    status, out, _ = run("build", "--help")
    assert status == 0 and "--format" in out and "--out" in out


# content/two.md places both charts and the heading that content/one.md cross-references.
FAILED_SECTION = [
    pytest.param("# The exodus {#sec-exodus}\n", "# The exodus {#sec-exodus}\n\n::: {.key-findings}\n- Many left.\n",
                 "content/two.md:3:1: error: fenced div ':::' is never closed", id="unclosed-div"),
    pytest.param("[@giragosian2023]", "[see @giragosian2023; p. 4]",
                 "content/two.md:7:49: error: malformed citation '[see @giragosian2023; p. 4]'", id="malformed-citation"),
]


@pytest.mark.parametrize(("old", "new", "message"), FAILED_SECTION)
@pytest.mark.parametrize(("command", "exit_status"), [("build", 2), ("check", 1)])
def test_a_failed_section_reports_only_its_own_error(project: Path, run, command: str, exit_status: int,
                                                     old: str, new: str, message: str) -> None:
    """What the failed section places (charts, labels) is not reported missing as well."""
    edit(project, "content/two.md", old, new)
    status, out, err = run("--quiet", command, "--project", str(project))
    assert status == exit_status
    errors = [line for line in (out + err).splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith(message), out + err
    assert "Traceback" not in out + err


def test_a_chart_never_placed_is_reported_beside_a_failed_section(project: Path, run) -> None:
    edit(project, "content/two.md", "![Selected events.](figures/fig-events.svg){#fig-events}", "")
    edit(project, "content/one.md", ":::\n\nArmenia", "\nArmenia")
    status, out, err = run("--quiet", "build", "--project", str(project))
    assert status == 2
    lines = err.splitlines()
    assert lines[0] == "content/one.md:3:1: error: fenced div ':::' is never closed"
    assert "reportgen.yml:25:9: error: chart 'fig-events' is not placed in any section" in err
    assert not any("fig-arrivals" in line for line in lines), err
    assert "Traceback" not in out + err


def test_an_svg_image_is_drawn_as_png_for_word(project: Path, run) -> None:
    # python-docx embeds no SVG: once a traceback from the DOCX writer after the PDF was done,
    # then an error; now Word gets a PNG drawn by CairoSVG, which loads nothing the SVG names.
    (project / "content" / "map.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="90" height="60">'
        '<rect width="90" height="60"/><image xlink:href="file:///etc/passwd" width="9" height="9"/></svg>\n')
    edit(project, "content/one.md", "\nArmenia", "\n![A map.](content/map.svg){#fig-map}\n\nArmenia")
    done, out, err = run("--quiet", "build", "--project", str(project))
    assert done == 0, out + err
    with zipfile.ZipFile(project / "build" / "test-brief.docx") as package:
        pngs = [name for name in package.namelist() if name.startswith("word/media/") and name.endswith(".png")]
    assert len(pngs) == 3  # the two charts and the map


def test_a_webp_image_is_refused_for_word_but_not_for_the_pdf(project: Path, run) -> None:
    before = build_ok(project, run)
    from PIL import Image

    Image.new("RGB", (40, 30), "navy").save(project / "content" / "map.webp", format="WEBP")  # a real one: it is decoded
    edit(project, "content/one.md", "\nArmenia", "\n![A map.](content/map.webp){#fig-map}\n\nArmenia")
    message = ("content/one.md:8:1: error: image 'content/map.webp': a Word document cannot embed .webp images; "
               "save a PNG or JPEG version, or build the PDF alone (--format pdf)")
    for command, status in (("build", 2), ("check", 1)):
        done, out, err = run("--quiet", command, "--project", str(project))
        assert (done, [line for line in (out + err).splitlines() if ": error: " in line]) == (status, [message]), out + err
        assert "Traceback" not in out + err
    assert {p.name: p.read_bytes() for p in (project / "build").iterdir()} == before


def test_a_chart_that_fails_while_the_pdf_waits_for_it(project: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    # The PDF starts while the charts are drawn in child processes (forked: they run this
    # patched function) and waits for them at its first chart: the chart's error is the
    # build's, nothing is replaced and no DOCX is started.
    import reportgen.charts.draw
    from reportgen.document.model import Location
    from reportgen.errors import ReportgenError

    before = build_ok(project, run)
    edit(project, "content/data/arrivals.csv", "2023-09-30,100417", "2023-09-30,100418")

    def broken(chart: object, data: object, out_dir: Path, language: str) -> None:
        raise ReportgenError("the chart cannot be drawn", Location(Path("content/data/arrivals.csv"), 3))

    monkeypatch.setattr(reportgen.charts.draw, "draw_chart", broken)
    status, out, err = run("build", "--project", str(project))
    assert status == 2, err
    said = [line for line in err.splitlines() if not line.startswith("  ")]  # progress lines are indented
    assert said == ["content/data/arrivals.csv:3: error: the chart cannot be drawn"], err
    assert "Rendering PDF" in err and "Writing DOCX" not in err and "Traceback" not in err + out
    assert {p.name: p.read_bytes() for p in (project / "build").iterdir()} == before
