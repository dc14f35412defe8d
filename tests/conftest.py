"""Shared fixtures: a small but complete project written into a temp folder per test.

Tests never write into the checkout: what they build goes to a temporary folder, the
shipped brief included (`shipped_brief` copies it). `_checkout_untouched` holds them to it.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

from reportgen.cli import main
from reportgen.outputs.pdf.templating import PACKAGE_TEMPLATES

REPO = Path(__file__).resolve().parents[1]

CONFIG = """\
title: "Armenia’s Turn: A Test Brief"
subtitle: Five sources, two sections, two charts
short_title: Test Brief
authors:
  - name: Ana Example
    affiliation: Test Institute
organisation: Test Institute
date: 2026-11-22
language: en-US
keywords: [Armenia, Russia]
abstract: A short brief for tests.
sections:
  - content/one.md
  - content/two.md
bibliography: content/refs.yaml
charts:
  - id: fig-arrivals
    kind: line
    data: content/data/arrivals.csv
    x: date
    y: count
    title: Arrivals
    x_label: Date
    y_label: People
  - id: fig-events
    kind: timeline
    data: content/data/events.yaml
    title: Events
output_name: test-brief
"""

REFS = """\
references:
- id: depetris2023
  type: article-magazine
  title: "Armenia and Russia—It’s Complicated"
  author: [{family: DePetris, given: Daniel R.}]
  container-title: Newsweek
  issued: {date-parts: [[2023, 9, 27]]}
  URL: https://example.org/depetris
- id: giragosian2023
  type: webpage
  title: "The Decline & Demise of the Armenian-Russian Relationship"
  author: [{family: Giragosian, given: Richard}]
  container-title: Free Russia Foundation
  issued: {date-parts: [[2023, 1, 31]]}
  URL: https://example.org/giragosian
- id: mondo2024
  type: webpage
  title: "Armenia’s Helpless Choice"
  author: [{literal: Mondo International}]
  issued: {date-parts: [[2024, 1, 31]]}
  URL: https://example.org/mondo
- id: tass2023
  type: article-newspaper
  title: "First Group of Forced Migrants from Karabakh Arrives in Armenia"
  container-title: TASS
  issued: {date-parts: [[2023, 9, 24]]}
- id: reuters2023
  type: article-newspaper
  title: "Armenia Says over 100,000 Refugees Flee Nagorno-Karabakh"
  container-title: Reuters
  issued: {date-parts: [[2023, 10, 1]]}
"""

ONE = """\
# Summary {#sec-summary}

::: {.key-findings}
- Russia's peacekeepers did not stop the offensive.[@depetris2023]
- Arrivals passed 100,000 within a week [@reuters2023].
:::

Armenia's alliance with Russia frayed after 2020 [@giragosian2023, 4]. One reading blames
Yerevan instead [@mondo2024; see @depetris2023, 12-14]. @giragosian2023 calls the alliance
unreliable.[^aside] Section @sec-exodus has the numbers.

[^aside]: The term is his; see also [@depetris2023].
"""

TWO = """\
# The exodus {#sec-exodus}

Arrivals rose from a few hundred to over 100,000 in a week, as @fig-arrivals shows [@tass2023; @reuters2023].

![Cumulative arrivals in Armenia.](figures/fig-arrivals.svg){#fig-arrivals}

The relationship changed in steps (@fig-events) [@giragosian2023].

![Selected events.](figures/fig-events.svg){#fig-events}
"""

ARRIVALS = """\
date,count,source
2023-09-24,377,tass2023
2023-09-30,100417,reuters2023
2023-10-01,100490,reuters2023
"""

EVENTS = """\
- {date: 1992-05-15, label: Collective Security Treaty, kind: security, source: giragosian2023}
- {date: 2023-09, label: Summons of the ambassador, kind: diplomatic, source: depetris2023}
- {date: 2024, label: Rome Statute in force, kind: legal, source: mondo2024}
"""

FILES = {
    "reportgen.yml": CONFIG,
    "content/refs.yaml": REFS,
    "content/one.md": ONE,
    "content/two.md": TWO,
    "content/data/arrivals.csv": ARRIVALS,
    "content/data/events.yaml": EVENTS,
}


def write_project(root: Path, files: dict[str, str]) -> Path:
    """The project's files; no templates/ folder: the packaged templates serve it."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def override_template(project: Path, name: str) -> Path:
    """A copy of the packaged template `name` in the project's templates/, to edit."""
    path = project / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PACKAGE_TEMPLATES / name, path)
    return path


# The shipped brief's own files; figures/, build/ and .reportgen/ are what a build makes.
SHIPPED = ("reportgen.yml", "content", "templates")


def copy_shipped(dest: Path) -> Path:
    """A copy of the shipped brief's project in `dest`, to build or check there."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copyfile(source, dest / name)
    return dest


@pytest.fixture
def shipped_brief(tmp_path: Path) -> Path:
    """A fresh copy of the shipped brief (its content, not its outputs)."""
    return copy_shipped(tmp_path / "brief")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the small test project."""
    return write_project(tmp_path / "proj", FILES)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the CLI in-process: (exit status, stdout, stderr)."""

    def _run(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        out = capsys.readouterr()
        return status, out.out, out.err

    return _run


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small project built once (PDF and DOCX) for read-only output tests."""
    root = write_project(tmp_path_factory.mktemp("built") / "proj", FILES)
    assert main(["--quiet", "build", "--project", str(root)]) == 0
    return root


# Property tests (tests/test_fuzz.py). The default profile is quick and reproducible: the
# same examples on every run, nothing stored. `pytest --hypothesis-profile=fuzz` hunts:
# thousands of fresh examples, failures kept in .hypothesis/ and replayed first next time.
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("default", max_examples=40, deadline=None, derandomize=True, database=None,
                          suppress_health_check=_HEALTH)
settings.register_profile("fuzz", max_examples=4000, deadline=None, print_blob=True, suppress_health_check=_HEALTH)
settings.load_profile("default")


# --- the checkout stays as it was ------------------------------------------------------

_SKIPPED = {".venv", ".git", "__pycache__", ".pytest_cache"}  # pytest's own cache, when it is on
Listing = dict[str, tuple[int, int]]
_baseline: Listing = {}
_hypothesis_home = tempfile.TemporaryDirectory(prefix="reportgen-hypothesis-")


def checkout_listing(root: Path = REPO) -> Listing:
    """Every file of the checkout outside the virtualenv, Git, bytecode and pytest's cache: (size, mtime)."""
    found: Listing = {}
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in _SKIPPED and not _kept_by_hypothesis(Path(folder, d))]
        for name in files:
            path = Path(folder, name)
            info = path.lstat()
            found[path.relative_to(root).as_posix()] = (info.st_size, info.st_mtime_ns)
    return found


def _kept_by_hypothesis(folder: Path) -> bool:
    """`.hypothesis/` is written on purpose under a profile that keeps failing examples (fuzz)."""
    return folder == REPO / ".hypothesis" and settings().database is not None


def listing_changes(before: Listing, after: Listing) -> list[str]:
    """What was created, changed or removed between two listings, one line each."""
    created = [f"created {p}" for p in sorted(after.keys() - before.keys())]
    removed = [f"removed {p}" for p in sorted(before.keys() - after.keys())]
    changed = [f"changed {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return created + changed + removed


def pytest_sessionstart(session: pytest.Session) -> None:
    # Hypothesis caches its Unicode tables in ./.hypothesis: send them to a temporary folder,
    # unless the profile keeps examples there (where the fuzz run is meant to find them).
    if settings().database is None:
        set_hypothesis_home_dir(_hypothesis_home.name)
    # A shell starts background jobs with SIGINT ignored, and Python then installs no
    # KeyboardInterrupt handler; the Ctrl-C tests (here and in the builds they start, which
    # inherit the disposition) need Ctrl-C to be Ctrl-C wherever the suite is started from.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    _baseline.update(checkout_listing())


@pytest.fixture(autouse=True)
def _checkout_untouched() -> Iterator[None]:
    """Fail the test after which the checkout differs from its state at the session's start."""
    yield
    after = checkout_listing()
    changes = listing_changes(_baseline, after)
    if changes:
        _baseline.clear()
        _baseline.update(after)  # report each write once, not again after every later test
        pytest.fail("the test wrote into the checkout:\n" + "\n".join(changes), pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Session fixtures are torn down after the last test's check: look once more.
    changes = listing_changes(_baseline, checkout_listing())
    if changes:
        print("\nthe test session wrote into the checkout:\n" + "\n".join(changes))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    _hypothesis_home.cleanup()
