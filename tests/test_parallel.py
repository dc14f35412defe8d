"""The stages' processes: the serial mode (REPORTGEN_JOBS=1) builds the same bytes as the
parallel one, and a chart process that dies is one message, not a traceback or a half build."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from reportgen.charts import registry
from reportgen.charts.kind import ChartKind, Column
from reportgen.charts.spec import ChartSpec
from reportgen.pipeline.parallel import parallel_default

Run = Callable[..., tuple[int, str, str]]
OUTPUTS = ("build/test-brief.pdf", "build/test-brief.docx", "figures/fig-arrivals.svg", "figures/fig-arrivals.png",
           "figures/fig-events.svg", "figures/fig-events.png")


class ProbeSpec(ChartSpec):
    kind: Literal["probe"]


class Probe(ChartKind[ProbeSpec]):
    """A kind whose drawing does `act` first, in whatever process draws it."""

    name = "probe"
    spec = ProbeSpec

    def __init__(self, act: Callable[[], None]) -> None:
        self.act = act

    def columns(self, spec: Any) -> list[Column]:
        return [Column("value", "number")]

    def draw(self, spec: Any, data: Any, formats: Any) -> Any:
        from reportgen.charts import style

        self.act()
        fig, ax = style.figure(2.0)
        ax.plot([r.values["value"] for r in data.rows], "o")
        return fig

    def describe(self, spec: Any, data: Any, formats: Any) -> str:
        return f"{len(data.rows)} values"

    def appendix(self, spec: Any, data: Any, formats: Any) -> list[Any]:
        return [(r, formats.number(r.values["value"])) for r in data.rows]


@pytest.fixture
def with_probe(project: Path) -> Iterator[Callable[[Callable[[], None]], None]]:
    """Add a chart of the probe kind to the project, drawing with the given action."""

    def add(act: Callable[[], None]) -> None:
        registry.register(Probe(act))
        (project / "content/data/probe.csv").write_text("value,source\n1,tass2023\n2,reuters2023\n", encoding="utf-8")
        config = project / "reportgen.yml"
        text = config.read_text(encoding="utf-8").replace(
            "output_name:", "  - {id: fig-probe, kind: probe, data: content/data/probe.csv}\noutput_name:")
        config.write_text(text, encoding="utf-8")
        two = project / "content/two.md"
        two.write_text(two.read_text(encoding="utf-8") + "\n![A probe.](chart:fig-probe)\n", encoding="utf-8")

    yield add
    registry.unregister("probe")


def _outputs(project: Path) -> dict[str, bytes]:
    return {name: (project / name).read_bytes() for name in OUTPUTS}


def test_the_serial_mode_builds_the_same_bytes_in_one_process(
        project: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        with_probe: Callable[[Callable[[], None]], None]) -> None:
    if not parallel_default():
        pytest.skip("one core or no fork: every build here is serial already")
    drawn_in = tmp_path / "drawn-in"

    def note_the_process() -> None:
        with drawn_in.open("a") as file:
            file.write(f"{os.getpid()}\n")

    with_probe(note_the_process)
    status, _, err = run("--quiet", "build", "--project", str(project))
    assert status == 0, err
    parallel = _outputs(project)
    monkeypatch.setenv("REPORTGEN_JOBS", "1")
    status, _, err = run("--quiet", "build", "--force", "--project", str(project))
    assert status == 0, err
    # The first build drew in a child process, the second in this one.
    assert [int(pid) != os.getpid() for pid in drawn_in.read_text().split()] == [True, False]
    serial = _outputs(project)
    assert [name for name in OUTPUTS if serial[name] != parallel[name]] == []


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _exited() -> None:
    os._exit(3)


@pytest.mark.parametrize(("act", "message"), [
    (_killed, "error: the charts stage's process was killed by SIGKILL before it finished; the previous outputs are kept"),
    (_exited, "error: the charts stage's process exited with status 3 before it finished; the previous outputs are kept"),
])
def test_a_chart_process_that_dies_is_one_message_and_the_outputs_stay(
        project: Path, run: Run, with_probe: Callable[[Callable[[], None]], None], act: Callable[[], None],
        message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPORTGEN_JOBS", raising=False)
    if not parallel_default():
        pytest.skip("one core or no fork: the chart would be drawn, and die, in the test's own process")
    status, _, err = run("--quiet", "build", "--project", str(project))
    assert status == 0, err
    before = _outputs(project)
    with_probe(act)
    status, out, err = run("--quiet", "build", "--project", str(project))
    assert status == 2
    assert err.strip() == message
    assert "Traceback" not in out + err
    assert _outputs(project) == before
    assert sorted(p.name for p in (project / "build").iterdir()) == ["test-brief.docx", "test-brief.pdf"]
    assert not (project / "figures/fig-probe.svg").exists()
    assert not list((project / "figures").glob(".*")), "no temporary file left behind"
