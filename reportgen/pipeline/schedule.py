"""Scheduled builds: a cron line, or a systemd user service and timer, running
`reportgen build --if-changed` in a project, and installing either.

cron and systemd each have their own quoting: cron hands the line to /bin/sh but first
turns every unescaped `%` into a newline; systemd splits ExecStart= itself, expands `%`
specifiers and `$` variables, and takes WorkingDirectory= literally.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from reportgen.atomic import write_atomic
from reportgen.errors import ReportgenError
from reportgen.pipeline.manifest import STATE_DIR

BUILD_ARGS = ("--quiet", "build", "--if-changed")
MARKER = "# reportgen:"

_CRON_NAMES = {"hourly": "0 * * * *", "daily": "0 0 * * *", "weekly": "0 0 * * 0", "monthly": "0 0 1 * *"}
# (name, lowest, highest, names allowed in place of numbers)
_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day-of-week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_CRON_ITEM = re.compile(r"(?:\*|(\w+)(?:-(\w+))?)(?:/(\d+))?")

_CALENDAR_NAMES = {"minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly", "semiannually"}
_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_CALENDAR_WORDS = _WEEKDAYS | {d[:3] for d in _WEEKDAYS} | {"utc"}


def default_command() -> list[str]:
    """How this reportgen is run: its console script beside the interpreter, else `python -m reportgen`.

    `absolute()`, not `resolve()`: a venv's python is a symlink out of the venv.
    """
    python = Path(sys.executable).absolute()
    script = python.with_name("reportgen")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [str(python), "-m", "reportgen"]


def default_log(project: Path) -> Path:
    return project.resolve() / STATE_DIR / "schedule.log"


# --- cron ----------------------------------------------------------------------------------


def cron_line(project: Path, *, every: str = "hourly", command: Sequence[str] | None = None, log: Path | None = None,
              build_args: Sequence[str] = BUILD_ARGS) -> str:
    """A crontab line building `project` on schedule `every`, appending its output to `log`.

    `every` is hourly, daily, weekly, monthly or a 5-field cron expression. The line ends
    with a `# reportgen:<project>` marker (a shell comment) that `install_cron` finds it by.
    """
    project = _project(project)
    log = _checked((log or default_log(project)).absolute())
    words = [*(command or default_command()), *build_args]
    shell = (
        f"cd {shlex.quote(str(project))} && mkdir -p {shlex.quote(str(log.parent))} && "
        f"{shlex.join(words)} >> {shlex.quote(str(log))} 2>&1 {MARKER}{project}"
    )
    return f"{cron_schedule(every)} {_cron_escape(shell)}"


def cron_schedule(every: str) -> str:
    """The five cron fields for `every`; a ReportgenError naming the bad field otherwise."""
    name = every.strip().lower().removeprefix("@")
    if name in _CRON_NAMES:
        return _CRON_NAMES[name]
    fields = every.split()
    if len(fields) != 5:
        raise ReportgenError(
            f"schedule '{every}' is neither hourly, daily, weekly, monthly nor a cron expression of 5 fields "
            f"(minute hour day-of-month month day-of-week, e.g. '30 6 * * 1-5'); it has {len(fields)}"
        )
    for text, spec in zip(fields, _CRON_FIELDS):
        _check_cron_field(every, text, *spec)
    return " ".join(fields)


def _check_cron_field(every: str, text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> None:
    def bad(why: str) -> ReportgenError:
        return ReportgenError(f"schedule '{every}': {name} field '{text}' {why}")

    for item in text.split(","):
        match = _CRON_ITEM.fullmatch(item)
        if not match:
            raise bad(f"is not a number, range (a-b), list (a,b), step (*/n) or '*' for {low}-{high}")
        for value in filter(None, match.groups()[:2]):
            if value.isdigit() and not low <= int(value) <= high:
                raise bad(f"has {value}, out of range {low}-{high}")
            if not value.isdigit() and value.lower() not in names:
                raise bad(f"has '{value}', not a number" + (f" nor a name like '{names[0]}'" if names else ""))
        if match[3] is not None and int(match[3]) == 0:
            raise bad("has a step of 0")


def _cron_escape(command: str) -> str:
    # cron ends the command at the first unescaped % (the rest becomes its stdin).
    return command.replace("%", r"\%")


def install_cron(line: str, crontab_cmd: str = "crontab") -> str:
    """Add `line` to the user's crontab, replacing the line with the same project marker.

    Returns the new crontab. Any crontab -l failure other than "no crontab" stops here,
    since writing back an empty table would drop the user's other jobs.
    """
    if MARKER not in line:
        raise ReportgenError(f"not a reportgen cron line (no '{MARKER}' marker): {line}")
    if shutil.which(crontab_cmd) is None:
        raise ReportgenError(f"'{crontab_cmd}' not found: install cron (e.g. apt-get install cron) or use a systemd timer")
    marker = line[line.index(MARKER):]
    kept = [old for old in _read_crontab(crontab_cmd).splitlines() if not old.rstrip().endswith(marker)]
    table = "\n".join([*kept, line]) + "\n"  # cron ignores a last line without newline
    written = subprocess.run([crontab_cmd, "-"], input=table, capture_output=True, text=True, check=False)
    if written.returncode != 0:
        raise ReportgenError(f"'{crontab_cmd} -' failed: {written.stderr.strip() or f'exit status {written.returncode}'}")
    return table


def _read_crontab(crontab_cmd: str) -> str:
    listed = subprocess.run([crontab_cmd, "-l"], capture_output=True, text=True, check=False)
    if listed.returncode == 0:
        return listed.stdout
    if "no crontab" in listed.stderr.lower():
        return ""
    raise ReportgenError(f"'{crontab_cmd} -l' failed: {listed.stderr.strip() or f'exit status {listed.returncode}'}")


# --- systemd -------------------------------------------------------------------------------


def unit_name(project: Path) -> str:
    """`reportgen-<slug>`, the slug made of the project folder's name in [a-z0-9-]."""
    slug = re.sub(r"[^a-z0-9]+", "-", project.resolve().name.lower()).strip("-")
    return f"reportgen-{slug or 'project'}"


def systemd_units(project: Path, *, on_calendar: str = "hourly", command: Sequence[str] | None = None,
                  build_args: Sequence[str] = BUILD_ARGS) -> dict[str, str]:
    """`{file name: text}` for a oneshot user service building `project` and the timer starting it."""
    project = _project(project)
    check_on_calendar(on_calendar)
    name = unit_name(project)
    where = _unit_escape(str(project))
    service = (
        "[Unit]\n"
        f"Description=Build the reportgen project in {where}\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"WorkingDirectory={where}\n"
        f"ExecStart={' '.join(_exec_quote(w) for w in [*(command or default_command()), *build_args])}\n"
    )
    timer = (
        "[Unit]\n"
        f"Description=Build the reportgen project in {where} ({_unit_escape(on_calendar)})\n\n"
        "[Timer]\n"
        f"OnCalendar={on_calendar}\n"
        "Persistent=true\n\n"  # a run missed while the machine was off happens at next boot
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {f"{name}.service": service, f"{name}.timer": timer}


def check_on_calendar(spec: str) -> None:
    """Reject what is not a systemd calendar event, with a hint.

    systemd-analyze, where installed, has the last word; without it only the words are checked.
    """
    if "\n" in spec or "\r" in spec or not spec.strip():
        raise ReportgenError(f"schedule {spec!r} is empty or spans lines")
    hint = "use e.g. hourly, daily, weekly, '*-*-* 06:00:00' or 'Mon..Fri 09:00' (see man systemd.time)"
    if len(spec.split()) == 5 and re.fullmatch(r"[\d*/,\- ]+", spec):
        raise ReportgenError(f"schedule '{spec}' is a cron expression, not a systemd calendar event; {hint}")
    analyze = shutil.which("systemd-analyze")
    if analyze:
        checked = subprocess.run([analyze, "calendar", spec], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise ReportgenError(f"schedule '{spec}' is not a systemd calendar event ({checked.stderr.strip()}); {hint}")
        return
    names = _CALENDAR_NAMES if len(spec.split()) == 1 else set()
    # Words are weekdays, a shorthand alone, or a time zone (UTC, Area/City).
    words = {w.lower() for w in re.findall(r"[A-Za-z][\w/+-]*", spec) if "/" not in w}
    unknown = sorted(words - _CALENDAR_WORDS - names)
    if unknown:
        raise ReportgenError(f"schedule '{spec}' is not a systemd calendar event (what is '{unknown[0]}'?); {hint}")


def install_systemd(units: dict[str, str], config_home: Path | None = None) -> list[Path]:
    """Write the units into the user's systemd folder; return their paths.

    A unit of the same name building another project is not overwritten.
    """
    folder = (config_home or _xdg_config_home()) / "systemd" / "user"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in units]
    for path in paths:
        _check_not_foreign(path, units[path.name])
    for path in paths:
        write_atomic(path, units[path.name])
    return paths


def enable_command(units: dict[str, str]) -> str:
    """What to run after `install_systemd` to start the timer."""
    timer = next(name for name in units if name.endswith(".timer"))
    return f"systemctl --user daemon-reload && systemctl --user enable --now {timer}"


def _check_not_foreign(path: Path, text: str) -> None:
    if not path.is_file():
        return
    ours = {line for line in text.splitlines() if line.startswith("WorkingDirectory=")}
    theirs = {line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("WorkingDirectory=")}
    if theirs and theirs != ours:
        raise ReportgenError(f"{path} already schedules another project ({next(iter(theirs))}); "
                             "rename this project's folder or remove that unit first")


def _xdg_config_home() -> Path:
    configured = os.environ.get("XDG_CONFIG_HOME", "")
    # The XDG spec says a relative value is invalid and must be ignored.
    return Path(configured) if os.path.isabs(configured) else Path.home() / ".config"


def _unit_escape(text: str) -> str:
    return text.replace("%", "%%")


def _exec_quote(word: str) -> str:
    """One ExecStart= word: double-quoted with C escapes when needed; % and $ doubled always."""
    if not re.fullmatch(r"[\w@%+=:,./-]+", word, re.ASCII):
        word = '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _unit_escape(word).replace("$", "$$")


def _project(project: Path) -> Path:
    project = _checked(project.resolve())
    if not (project / "reportgen.yml").is_file():
        raise ReportgenError(f"{project} is not a reportgen project (no reportgen.yml)")
    return project


def _checked(path: Path) -> Path:
    if "\n" in str(path) or "\r" in str(path):
        raise ReportgenError(f"path {str(path)!r} has a line break; cron and systemd cannot run it")
    return path
