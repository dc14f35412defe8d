"""Scheduled builds: cron lines run through a real shell, systemd units read back, and
installation into a tmp XDG config home and a stand-in `crontab` (no cron daemon here)."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reportgen.errors import ReportgenError
from reportgen.pipeline.schedule import (
    BUILD_ARGS,
    check_on_calendar,
    cron_line,
    cron_schedule,
    default_command,
    enable_command,
    install_cron,
    install_systemd,
    systemd_units,
)

FAKE_CRONTAB = """\
#!/bin/sh
# Stands in for crontab(1): -l prints the stored table, - stores stdin.
store="$(dirname "$0")/table"
case "$1" in
  -l) [ -f "$store" ] || { echo "no crontab for $(id -un)" >&2; exit 1; }; cat "$store" ;;
  -) cat > "$store" ;;
  *) exit 2 ;;
esac
"""

# Records how it was run: working directory, then one argument per line.
FAKE_REPORTGEN = """\
#!/bin/sh
pwd
printf '%s\\n' "$@"
"""


def script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


def odd_project(tmp_path: Path, name: str = "my brief's 100% 'final'") -> Path:
    """A project folder whose name needs quoting everywhere (cron also mangles %)."""
    root = tmp_path / name
    root.mkdir()
    (root / "reportgen.yml").write_text("title: x\n", encoding="utf-8")
    return root


@pytest.fixture
def crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake `crontab` on PATH; returns the file it stores the table in."""
    script(tmp_path / "bin" / "crontab", FAKE_CRONTAB)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "bin" / "table"


def run_as_cron(line: str) -> None:
    """Run a crontab line's command as cron does: `\\%` becomes `%`, then /bin/sh -c."""
    command = line.split(None, 5)[5].replace("\\%", "%")
    subprocess.run(["/bin/sh", "-c", command], check=True, env={"PATH": "/usr/bin:/bin"})


# --- the command ---------------------------------------------------------------------------


def test_schedule_command_prints_the_cron_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reportgen.cli import main

    assert main(["schedule", "-p", str(project), "--every", "daily", "--check-sources"]) == 0
    expected = cron_line(project, every="daily", build_args=(*BUILD_ARGS, "--check-sources"))
    assert capsys.readouterr().out == expected + "\n"


def test_schedule_command_prints_the_systemd_units(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reportgen.cli import main

    assert main(["schedule", "-p", str(project), "--systemd"]) == 0
    out = capsys.readouterr().out
    for name, text in systemd_units(project).items():
        assert f"# {name}\n{text}" in out


# --- cron ----------------------------------------------------------------------------------


def test_cron_line_is_absolute_and_marked(project: Path) -> None:
    root = project.resolve()
    line = cron_line(project, every="daily", command=["/opt/venv/bin/reportgen"])
    log = root / ".reportgen" / "schedule.log"
    assert line == (
        f"0 0 * * * cd {shlex.quote(str(root))} && mkdir -p {shlex.quote(str(log.parent))} && "
        f"/opt/venv/bin/reportgen --quiet build --if-changed >> {shlex.quote(str(log))} 2>&1 # reportgen:{root}"
    )


def test_cron_line_quotes_spaces_quotes_and_percent(tmp_path: Path) -> None:
    root = odd_project(tmp_path)
    fake = script(tmp_path / "tools dir" / "reportgen", FAKE_REPORTGEN)
    line = cron_line(root, every="*/5 * * * *", command=[str(fake)])
    assert "100%" not in line.replace("\\%", "")  # every % escaped for cron
    assert line.endswith(f"# reportgen:{root}".replace("%", "\\%"))
    run_as_cron(line)
    run_as_cron(line)  # appends
    log = (root / ".reportgen" / "schedule.log").read_text(encoding="utf-8").splitlines()
    assert log == [str(root), "--quiet", "build", "--if-changed"] * 2


def test_default_command_is_the_venv_script() -> None:
    # The tests run in the project's venv, which has the console script.
    assert default_command() == [str(Path(sys.executable).absolute().with_name("reportgen"))]
    assert default_command()[0].startswith(str(Path(sys.prefix).absolute()))


def test_cron_line_default_command_and_log(project: Path) -> None:
    line = cron_line(project, log=project / "logs" / "cron.log")
    assert line.startswith("0 * * * * ")
    assert f" {shlex.join(default_command())} --quiet build " in line
    assert f">> {project.resolve() / 'logs' / 'cron.log'} 2>&1" in line


@pytest.mark.parametrize(("every", "fields"), [
    ("hourly", "0 * * * *"),
    ("@weekly", "0 0 * * 0"),
    ("Daily", "0 0 * * *"),
    ("*/15 8-18 * * 1-5", "*/15 8-18 * * 1-5"),
    ("30 6 1,15 jan-jun mon", "30 6 1,15 jan-jun mon"),
    ("0 0 * * 7", "0 0 * * 7"),
])
def test_cron_schedules(every: str, fields: str) -> None:
    assert cron_schedule(every) == fields


@pytest.mark.parametrize(("every", "message"), [
    ("every hour", "nor a cron expression of 5 fields"),
    ("* * * *", "it has 4"),
    ("@reboot", "it has 1"),
    ("61 * * * *", "minute field '61' has 61, out of range 0-59"),
    ("0 24 * * *", "hour field '24' has 24, out of range 0-23"),
    ("0 0 0 * *", "day-of-month field '0' has 0, out of range 1-31"),
    ("0 0 * 13 *", "month field '13'"),
    ("0 0 * * funday", "day-of-week field 'funday' has 'funday', not a number nor a name like 'sun'"),
    ("0 jan * * *", "hour field 'jan' has 'jan', not a number"),
    ("*/0 * * * *", "a step of 0"),
    ("1,,2 * * * *", "is not a number, range"),
])
def test_bad_cron_schedules(project: Path, every: str, message: str) -> None:
    with pytest.raises(ReportgenError, match="schedule") as info:
        cron_line(project, every=every)
    assert message in str(info.value)


def test_cron_line_needs_a_project(tmp_path: Path) -> None:
    with pytest.raises(ReportgenError, match="is not a reportgen project"):
        cron_line(tmp_path)


def test_install_cron_into_an_empty_crontab(project: Path, crontab: Path) -> None:
    line = cron_line(project, command=["/x/reportgen"])
    assert install_cron(line) == line + "\n"
    assert crontab.read_text(encoding="utf-8") == line + "\n"


def test_install_cron_replaces_only_its_project_line(project: Path, tmp_path: Path, crontab: Path) -> None:
    other = odd_project(tmp_path)
    crontab.write_text("MAILTO=me@example.org\n# my jobs\n15 3 * * * backup.sh\n", encoding="utf-8")
    install_cron(cron_line(other, command=["/x/reportgen"]))
    install_cron(cron_line(project, every="hourly", command=["/x/reportgen"]))
    daily = cron_line(project, every="daily", command=["/x/reportgen"])
    install_cron(daily)
    install_cron(daily)  # idempotent
    lines = crontab.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["MAILTO=me@example.org", "# my jobs", "15 3 * * * backup.sh"]
    assert lines[3] == cron_line(other, command=["/x/reportgen"])
    assert lines[4:] == [daily]


def test_install_cron_without_crontab(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ReportgenError, match="'crontab' not found: install cron"):
        install_cron(cron_line(project, command=["/x/reportgen"]))


def test_install_cron_keeps_a_crontab_it_cannot_read(project: Path, tmp_path: Path) -> None:
    failing = script(tmp_path / "bin" / "crontab", "#!/bin/sh\necho 'crontab: permission denied' >&2\nexit 1\n")
    with pytest.raises(ReportgenError, match="-l' failed: crontab: permission denied"):
        install_cron(cron_line(project, command=["/x/reportgen"]), crontab_cmd=str(failing))
    assert not (tmp_path / "bin" / "table").exists()


def test_install_cron_refuses_a_line_without_marker(crontab: Path) -> None:
    with pytest.raises(ReportgenError, match="no '# reportgen:' marker"):
        install_cron("0 * * * * true")


# --- systemd -------------------------------------------------------------------------------


def read_unit(text: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read_string(text)
    return unit


def test_systemd_units(tmp_path: Path) -> None:
    root = tmp_path / "Armenia Brief (2026)"
    root.mkdir()
    (root / "reportgen.yml").write_text("title: x\n", encoding="utf-8")
    units = systemd_units(root, on_calendar="Mon..Fri 09:00", command=["/opt/my venv/bin/reportgen"])
    assert sorted(units) == ["reportgen-armenia-brief-2026.service", "reportgen-armenia-brief-2026.timer"]
    service = read_unit(units["reportgen-armenia-brief-2026.service"])["Service"]
    assert service["Type"] == "oneshot"
    assert service["WorkingDirectory"] == str(root)
    assert shlex.split(service["ExecStart"]) == ["/opt/my venv/bin/reportgen", "--quiet", "build", "--if-changed"]
    timer = read_unit(units["reportgen-armenia-brief-2026.timer"])
    assert timer["Timer"]["OnCalendar"] == "Mon..Fri 09:00"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert enable_command(units) == ("systemctl --user daemon-reload && "
                                     "systemctl --user enable --now reportgen-armenia-brief-2026.timer")


def test_systemd_units_escape_specifiers(tmp_path: Path) -> None:
    root = odd_project(tmp_path)
    units = systemd_units(root, command=[str(tmp_path / "$HOME %h" / "reportgen")])
    service = read_unit(units["reportgen-my-brief-s-100-final.service"])["Service"]
    assert service["WorkingDirectory"] == str(root).replace("%", "%%")
    assert service["ExecStart"].startswith('"' + str(tmp_path).replace("%", "%%") + '/$$HOME %%h/reportgen" ')


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """systemd itself parses the units: quoting, executable found, calendar valid."""
    root = odd_project(tmp_path)
    fake = script(tmp_path / "tools dir" / "reportgen", FAKE_REPORTGEN)
    paths = install_systemd(systemd_units(root, on_calendar="*-*-* 06:00:00", command=[str(fake)]), tmp_path / "config")
    checked = subprocess.run(["systemd-analyze", "verify", *map(str, paths)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == ""


def test_install_systemd_into_xdg_config_home(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    units = systemd_units(project, command=["/x/reportgen"])
    paths = install_systemd(units)
    assert paths == [tmp_path / "xdg" / "systemd" / "user" / name for name in units]
    assert [p.read_text(encoding="utf-8") for p in paths] == list(units.values())
    daily = systemd_units(project, on_calendar="daily", command=["/x/reportgen"])
    assert install_systemd(daily) == paths  # the same project: replaced
    assert "OnCalendar=daily\n" in paths[1].read_text(encoding="utf-8")
    assert sorted(p.name for p in paths[0].parent.iterdir()) == sorted(units)


def test_install_systemd_keeps_another_projects_units(project: Path, tmp_path: Path) -> None:
    twin = tmp_path / "elsewhere" / project.name
    twin.mkdir(parents=True)
    (twin / "reportgen.yml").write_text("title: x\n", encoding="utf-8")
    install_systemd(systemd_units(project, command=["/x/reportgen"]), tmp_path / "config")
    with pytest.raises(ReportgenError, match="already schedules another project"):
        install_systemd(systemd_units(twin, command=["/x/reportgen"]), tmp_path / "config")


@pytest.mark.parametrize("spec", ["hourly", "weekly", "*-*-* 06:00:00", "Mon..Fri 09:00", "Sat,Sun 10:00 Europe/Berlin",
                                  "*:0/15"])
def test_good_calendar_events(spec: str) -> None:
    check_on_calendar(spec)


@pytest.mark.parametrize(("spec", "message"), [
    ("0 * * * *", "is a cron expression, not a systemd calendar event"),
    ("every tuesday-ish", "is not a systemd calendar event"),
    ("hourly daily", "is not a systemd calendar event"),
    ("", "is empty"),
    ("daily\nExecStart=/bin/evil", "spans lines"),
])
def test_bad_calendar_events(project: Path, spec: str, message: str) -> None:
    with pytest.raises(ReportgenError, match="schedule") as info:
        systemd_units(project, on_calendar=spec)
    assert message in str(info.value)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_analyze_has_the_last_word() -> None:
    with pytest.raises(ReportgenError, match="'25:00' is not a systemd calendar event"):
        check_on_calendar("25:00")


def test_calendar_words_checked_without_systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no systemd-analyze
    check_on_calendar("Sat,Sun 10:00 Europe/Berlin")
    check_on_calendar("weekly")
    with pytest.raises(ReportgenError, match="what is 'every'"):
        check_on_calendar("every tuesday")
