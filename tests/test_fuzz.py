"""Property tests: whatever the input, reportgen either works or says what is wrong.

The property everywhere: processing succeeds, or raises `ReportgenError` whose every message
is non-empty and whose location names the file by the path the user wrote. Any other
exception is a bug. Inputs are built from the syntax reportgen reads (citations, footnotes,
fenced divs, attributes, YAML anchors and tags, CSV quoting) mixed with random and hostile
text, and by mutating the valid test project.

The default profile (tests/conftest.py) runs a few dozen examples per test, reproducibly;
`pytest --hypothesis-profile=fuzz tests/test_fuzz.py` runs thousands. Inputs that once broke
something are kept as explicit `@example`s.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from reportgen.charts.registry import spec_class
from reportgen.charts.spec import ChartSpec as ChartConfig
from reportgen.cli import main
from reportgen.document import model as m
from reportgen.document.citation_syntax import split_items
from reportgen.document.reader import parse_text
from reportgen.document.resolve import resolve
from reportgen.errors import Diagnostics, ReportgenError, ReportgenErrors
from reportgen.project.bibliography import Bibliography, load_bibliography
from reportgen.project.data import Dataset, load_dataset
from reportgen.project.yamlfile import YamlFile
from reportgen.xml_text import xml_safe
from tests.conftest import FILES, write_project

# A build or a chart costs up to a second: these tests run a fraction of the profile's examples.
FEW = settings(max_examples=max(5, settings.default.max_examples // 8),
               suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture])


def assert_user_error(exc: ReportgenError, path: Path) -> None:
    """A proper user error: every message non-empty, located in the file being read."""
    for error in exc.errors if isinstance(exc, ReportgenErrors) else [exc]:
        assert error.message.strip(), "empty message"
        assert error.location is not None, f"no location: {error.message}"
        assert error.location.path == path, f"{error.location} is not in {path}: {error.message}"


@contextlib.contextmanager
def user_errors_in(path: Path) -> Iterator[None]:
    try:
        yield
    except ReportgenError as exc:
        assert_user_error(exc, path)


# -- strategies ----------------------------------------------------------------------------

HOSTILE = ["\x00", "\x07", "\x0b", "\x0c", "\r", "\r\n", "\t", "\u2028", "\u202e", "\ufeff", "\ufffe", "\u0085",
           "\u0092", "\U0001f642", "é", "ß", "İ", "\u0301", "&#12;", "&#0;", "&amp;", "&#x1F642;", "\\", "%", "<", ">"]
KEYS = ["depetris2023", "giragosian2023", "reuters2023", "nope", "{braced key}", "{}", "a.b", "x:y", "1", "_"]
TARGETS = ["sec-summary", "sec-exodus", "fig-arrivals", "fig-events", "sec-nope", "fig-", "tbl-x"]

MARKDOWN_BITS = [
    "[@", "[-@", "@", "]", "[", "(", ")", ";", ",", " ", "\n", "\n\n", "[^", "^[", "[^1]", "[^1]: ", "[^a]:",
    ":::", "::: {.key-findings}\n", "::: {#box .a}\n", "\n:::\n", "{#", "{.unnumbered}", "{", "}", "#", "# ", "## ",
    "###### ", "*", "**", "_", "`", "```\n", "~~~", "> ", ">>>>", "- ", "* ", "1. ", "10) ", "![", "](", "![x](y)",
    "![Cap.](figures/fig-arrivals.svg){#fig-arrivals}", "[t](http://x)", "<http://x>", "---\n", "***", "    ",
    "see ", ", 4", ", pp. 12-14", "-", "=", "|", '"', "'", "<script>", "<img src=x>", "<!--", "{style=x}",
]


@st.composite
def markdown(draw: st.DrawFn) -> str:
    parts = st.one_of(
        st.sampled_from(MARKDOWN_BITS),
        st.sampled_from(KEYS).map(lambda k: f"@{k}"),
        st.sampled_from(TARGETS).map(lambda t: f"@{t}"),
        st.sampled_from(TARGETS).map(lambda t: f"{{#{t}}}"),
        st.sampled_from(HOSTILE),
        st.text(max_size=8),
    )
    return "".join(draw(st.lists(parts, max_size=60)))


@st.composite
def citation_body(draw: st.DrawFn) -> str:
    item = st.tuples(
        st.sampled_from(["", "see ", "cf. ", "*e.g.* ", "[", "-"]),
        st.sampled_from(["@", "-@", "@@", ""]),
        st.sampled_from(KEYS) | st.text(max_size=6),
        st.sampled_from(["", ", 4", ", p. 4", " [p. 4]", ", chap. 1 and *passim*", "]", "{", "@"]) | st.text(max_size=6),
    ).map("".join)
    return draw(st.lists(item, min_size=1, max_size=5).map(";".join))


YAML_BITS = [
    "- ", ": ", "\n", "  ", "    ", "id: ", "references:\n", "type: book", "title: ", "author: [{family: A, given: B}]",
    "issued: {date-parts: [[2023, 9]]}", "&a ", "*a", "&b ", "*b", "<<: *a", "!!python/object/apply:os.system [ls]",
    "!!python/name:os.system", "!!binary AAAA", "!!timestamp ", "!!str ", "!!int x", "!!float", "!!set {a}", "!!omap",
    "2023-13-45", "2023-02-30", "2023-09-01 25:00", "[", "]", "{", "}", "'", '"', '"\\ud800"', '"\\x07"', '"\\0"', "|",
    ">", "---\n", "...\n", "%YAML 1.1\n", "? ", "# c", ",", "~", "null", ".inf", "-.nan", "0x1F", "1e400", "date: ",
    "label: ", "kind: security", "kind: ", "source: ", "depetris2023", "nope", "true",
]


@st.composite
def yaml_text(draw: st.DrawFn) -> str:
    parts = st.one_of(st.sampled_from(YAML_BITS), st.sampled_from(HOSTILE), st.text(max_size=6))
    return "".join(draw(st.lists(parts, max_size=50)))


CSV_FIELDS = ["2023-09-24", "2023-09", "2023", "0001-01-01", "9999-12-31", "2023-13-01", "", " ", "0", "-5", "377",
              "1,000", "1e400", "1e200", "nan", "inf", "-inf", "1_000", "\u0661\u0662", "0x10", "reuters2023", "tass2023",
              "nope", '"', '""', '"a,b"', '"unterminated', "\x00", "x" * 200, "date", "count", "source"]


@st.composite
def csv_text(draw: st.DrawFn) -> str:
    field = st.sampled_from(CSV_FIELDS) | st.sampled_from(HOSTILE) | st.text(max_size=5)
    header = draw(st.sampled_from(["date,count,source", "label,value,source", "date,count", "source", "", "a,a,a"])
                  | st.lists(field, max_size=4).map(",".join))
    rows = draw(st.lists(st.lists(field, max_size=5).map(",".join), max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return newline.join([header, *rows]) + draw(st.sampled_from(["", newline]))


@st.composite
def mutated(draw: st.DrawFn, text: str, bits: list[str]) -> str:
    """`text` with a few insertions, deletions or replacements: mostly valid, so deep stages run."""
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = min(len(text), start + draw(st.integers(0, 12)))
        insert = draw(st.sampled_from(bits) | st.sampled_from(HOSTILE) | st.text(max_size=4))
        text = text[:start] + (insert if draw(st.booleans()) else "") + text[end:]
    return text


# -- component layer -----------------------------------------------------------------------

MD = Path("content/x.md")


def parse_and_resolve(text: str) -> None:
    with user_errors_in(MD):
        parsed = parse_text(text, MD)
        doc = m.Document(meta=m.Meta(title="t"), blocks=parsed.blocks, footnote_defs=dict(parsed.footnotes),
                         footnote_sources=dict(parsed.footnote_sources))
        found = Diagnostics()
        resolve(doc, found)
        found.raise_errors()


@given(markdown())
@example("[x;" * 3000 + "@a" + "]" * 3000)  # was quadratic: 20,000 levels took over 30 s
@example("[" * 20000)  # was quadratic: 27 s
@example("[@a;" * 2000 + "]")
@example("> " * 200 + "- " * 200 + "x")
@example("\x00\x0b&#12;&#0;\ufffe")
def test_markdown_parses_or_reports(text: str) -> None:
    parse_and_resolve(text)


@given(citation_body())
def test_citations_parse_or_report(body: str) -> None:
    split_items(body)  # never raises: a list of items, or None for "not a citation"
    parse_and_resolve(f"Text [{body}] and @{body} and [-{body}].\n")


YML = Path("content/x.yaml")


@given(yaml_text())
@example("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)))  # billion laughs
@example("&a [*a]")  # a list that contains itself
@example("[" * 5000)  # PyYAML recursion: was RecursionError
@example(("- " + "[" * 450 + "]" * 450 + "\n") * 20)  # quadratic in the depth: a MiB of this took minutes
@example("- " * 5000 + "x")
@example("x: 2023-13-45")  # was ValueError from datetime
@example('x: "\\ud800"')  # a lone surrogate cannot be written out
@example("x: \x92")  # was a message without a line
@example("!!float")  # was IndexError inside PyYAML
@example("x: !!timestamp ")  # was AttributeError inside PyYAML
@example("x: !!int 0x")
@example("x: !!bool maybe")  # was KeyError inside PyYAML
def test_yaml_loads_or_reports(text: str) -> None:
    with user_errors_in(YML):
        YamlFile(YML, text)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module: function-scoped tmp_path would be shared across examples anyway."""
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def bib(workdir: Path) -> Bibliography:
    path = workdir / "refs.yaml"
    path.write_text(FILES["content/refs.yaml"], encoding="utf-8")
    return load_bibliography(path, Path("content/refs.yaml"))


@given(st.one_of(yaml_text(), mutated(FILES["content/refs.yaml"], YAML_BITS)))
@example("references:\n- id: a\n  title: x\n- id: a\n")
@example("- id: [1, 2]\n- 5\n- {id: {x: y}}\n")
@example('[{"id": "x", "title": "\\u000b"}]')
def test_bibliography_loads_or_reports(workdir: Path, text: str) -> None:
    path = workdir / "refs-fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with user_errors_in(Path("content/refs.yaml")):
        load_bibliography(path, Path("content/refs.yaml"))


def load_data(workdir: Path, bib: Bibliography, text: str, chart: ChartConfig) -> Dataset | None:
    path = workdir / chart.data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    with user_errors_in(chart.data):
        return load_dataset(chart, workdir, bib)
    return None


def _spec(**keys: object) -> ChartConfig:
    model = spec_class(str(keys["kind"]))
    assert model is not None
    return model.model_validate(keys)


LINE = _spec(id="fig-a", kind="line", data=Path("data/a.csv"), x="date", y="count")
BAR = _spec(id="fig-b", kind="bar", data=Path("data/b.csv"), x="label", y="value")
TIMELINE = _spec(id="fig-e", kind="timeline", data=Path("data/events.yaml"))


@given(st.sampled_from([LINE, BAR]), st.one_of(csv_text(), mutated(FILES["content/data/arrivals.csv"], CSV_FIELDS)))
@example(LINE, "date,count,source\n2023-09-24,inf,tass2023\n")  # was a matplotlib crash on the axis limits
@example(LINE, "date,count,source\n2023-09-24," + "9" * 310 + ",tass2023\n")
@example(LINE, "date,count,source\n2023-09-24,1," + "x" * 200_000 + "\n")  # was csv.Error: field larger than field limit
@example(BAR, "label,value,source\n" + "a,1,tass2023\n" * 201)
def test_csv_data_loads_or_reports(workdir: Path, bib: Bibliography, chart: ChartConfig, text: str) -> None:
    load_data(workdir, bib, text, chart)


@given(st.one_of(yaml_text(), mutated(FILES["content/data/events.yaml"], YAML_BITS)))
@example("- {date: 2023-09-01 10:00:00, label: a, kind: legal, source: tass2023}\n"
         "- {date: 2023-09-02, label: b, kind: legal, source: tass2023}\n")  # was a datetime/date TypeError
@example("- {1: x, date: 2024, label: a, kind: legal}\n")  # was a TypeError in did-you-mean
def test_events_load_or_report(workdir: Path, bib: Bibliography, text: str) -> None:
    load_data(workdir, bib, text, TIMELINE)


LABEL_BITS = ["$", "$x$", "$\\frac$", "^", "_", "{", "}", "\\", "%", "\n", "   ", "\u202e", "\U0001f642"]


@st.composite
def drawable_csv(draw: st.DrawFn, chart: ChartConfig) -> str:
    """Rows that pass validation, so the chart itself is what is tested."""
    if chart.kind == "line":
        x = st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat)
    else:
        # A label of characters XML forbids only is empty once read (`xml_text.py`): a missing label.
        x = st.lists(st.sampled_from(LABEL_BITS) | st.text(max_size=4), min_size=1, max_size=4).map("".join).filter(xml_safe)
    y = st.floats(min_value=-1e100, max_value=1e100) | st.integers(-10**9, 10**9) | st.sampled_from([0, 0.0, -0.0, 5e-324])
    rows = draw(st.lists(st.tuples(x, y), min_size=1, max_size=12))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([chart.x, chart.y, "source"])
    writer.writerows([label, repr(value), "tass2023"] for label, value in rows)
    return out.getvalue()


@FEW
@given(st.sampled_from([LINE, BAR]).flatmap(lambda chart: st.tuples(st.just(chart), drawable_csv(chart))))
@example((LINE, "date,count,source\n2023-09-24,-5,tass2023\n2023-09-25,-3,tass2023\n"))  # negatives were cut off
@example((BAR, "label,value,source\n$\\frac$,1,tass2023\n"))  # was a mathtext ValueError
@example((LINE, "date,count,source\n0001-01-01,1,tass2023\n"))  # the axis margin crossed year 1
@example((LINE, "date,count,source\n1000-01-01,1,tass2023\n9999-12-31,2,tass2023\n"))
@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # control characters in labels
def test_valid_data_can_be_drawn(workdir: Path, bib: Bibliography, case: tuple[ChartConfig, str]) -> None:
    from reportgen.charts.draw import draw_chart

    chart, text = case
    data = load_data(workdir, bib, text, chart)
    assert data is not None, "rows built to pass validation"
    draw_chart(chart, data, workdir / "figures")


# -- end to end ------------------------------------------------------------------------------

E2E_BITS = MARKDOWN_BITS + YAML_BITS + CSV_FIELDS
FUZZED = ["content/one.md", "content/two.md", "content/refs.yaml", "content/data/arrivals.csv", "content/data/events.yaml",
          "reportgen.yml"]
_ERROR_LINE = re.compile(r"^\S.*: error: \S")


PROSE_BITS = [
    "[@depetris2023]", "[see @tass2023, 4; @reuters2023]", "[-@mondo2024, 12-14]", "@giragosian2023",
    "@giragosian2023 [p. 4]", "@sec-summary", "@fig-arrivals", "(@fig-events)", "*em*", "**strong**", "`code`",
    "[a link](https://example.org)", "^[An inline note [@tass2023].]", "[^fn]", ".", ",", ";", "—", "“quoted”",
    "US$5", "10 %", "e.g.", "H~2~O", "x^2^",
]


@st.composite
def prose(draw: st.DrawFn) -> str:
    """Well-formed Markdown that cites real keys and targets, so builds get as far as the DOCX."""
    inline = st.sampled_from(PROSE_BITS) | st.sampled_from(HOSTILE) | st.text(min_size=1, max_size=8)
    paragraph = st.lists(inline, min_size=1, max_size=14).map(" ".join)
    block = st.one_of(
        paragraph,
        paragraph.map(lambda p: f"## {p.splitlines()[0] if p.strip() else 'Heading'} {{#sec-extra}}"),
        st.lists(paragraph, min_size=1, max_size=3).map(lambda items: "\n".join(f"- {i}" for i in items)),
        paragraph.map(lambda p: f"> {p}"),
        paragraph.map(lambda p: f"::: {{.key-findings}}\n{p}\n:::"),
    )
    text = "\n\n".join(draw(st.lists(block, min_size=1, max_size=6)))
    return text + ("\n\n[^fn]: A note citing @tass2023 and [@reuters2023, 2].\n" if "[^fn]" in text else "\n")


@st.composite
def project_with_one_fuzzed_file(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(FUZZED))
    fresh = {".md": markdown(), ".yaml": yaml_text(), ".csv": csv_text(), ".yml": yaml_text()}[Path(name).suffix]
    options = [mutated(FILES[name], E2E_BITS), fresh]
    if name.endswith(".md"):  # mostly well-formed additions, which reach the citation processor and the DOCX
        options += [prose().map(lambda extra: FILES[name] + "\n" + extra)] * 3
    return name, draw(st.one_of(options))


@FEW
@given(project_with_one_fuzzed_file())
@example(("content/two.md", FILES["content/two.md"] + "\nForm&#12;feed and \x0b raw.\n"))  # was an lxml ValueError
def test_build_succeeds_or_reports(case: tuple[str, str]) -> None:
    name, text = case
    with tempfile.TemporaryDirectory(prefix="reportgen-fuzz-") as tmp:
        root = write_project(Path(tmp) / "proj", FILES)
        (root / name).write_bytes(text.encode("utf-8", "surrogatepass"))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["--quiet", "build", "--format", "docx", "--project", str(root)])
    said = out.getvalue() + err.getvalue()
    event(f"{name}: exit {status}")  # shown by --hypothesis-show-statistics: how deep the inputs got
    assert status in (0, 2), said
    assert "Traceback" not in said, said
    if status == 2:
        errors = [line for line in err.getvalue().splitlines() if ": error: " in line]
        assert errors and all(_ERROR_LINE.match(line) for line in errors), said


# -- pathological Markdown -------------------------------------------------------------------

# Characters: far beyond any real paragraph, and enough that quadratic work shows (the `[[[[`
# bug took 27 s here) while linear work stays well under a second.
N = 20_000
PATHOLOGICAL = {
    "nested-quotes": ">" * N + " x",
    "nested-lists": "- " * (N // 2) + "x",
    "open-brackets": "[" * N,
    "nested-brackets": "[" * (N // 2) + "@a" + "]" * (N // 2),
    "nested-malformed-citations": "[x;" * (N // 5) + "@a" + "]" * (N // 5),
    "unclosed-citations": "[@a;" * (N // 8) + "]",
    "open-images": "![" * (N // 2),
    "open-links": "[a](" * (N // 4),
    "emphasis-run": "*a" * (N // 2),
    "strong-run": "**" * (N // 2) + "a",
    "mixed-delimiters": "*_" * (N // 2),
    "long-line": "word " * 20_000,  # 100,000 characters
    "in-text-citations": "@a " * (N // 6),
    "inline-notes": "^[" * (N // 2),
    "backslashes": "\\" * N + "[@a]",
    "open-attributes": "![a](b){" * (N // 8),
    "fenced-divs": "::: {.a}\n" * (N // 20) + ":::\n" * (N // 20),
}


@pytest.mark.timeout(60)  # a backtracking scanner would not end
@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_markdown_finishes(text: str) -> None:
    with user_errors_in(MD):
        parse_text(text, MD)


def test_overlong_citation_is_reported_not_scanned() -> None:
    with pytest.raises(ReportgenError) as caught:
        parse_text("Intro.\n\nSee [@tass2023 " + "x" * 2100 + "].\n", MD)
    assert str(caught.value) == "content/x.md:3:5: error: citation is longer than 2000 characters (a ']' missing?)"
