"""The PDF's templates and the Word reference document: packaged defaults, project overrides,
and a sandbox for the Jinja code a project brings.

reportgen ships `brief.html.j2`, `brief.css` and `reference.docx` in `reportgen/templates/`.
A project overrides any of them by putting a file of the same name in its own `templates/`
folder; whatever it does not override comes from the package. Templates are content a
contributor can edit, so they render in Jinja's `SandboxedEnvironment` (no attribute that
starts with `_`, no calls into Python's internals) through a loader that serves only regular
files inside those two folders: no symlink out, no absolute or `..` name. Every template
error, at `check` or at `build`, is a `path:line: error:` message, never a traceback.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
import jinja2.sandbox

from reportgen.document.model import Location
from reportgen.errors import ReportgenError

PACKAGE_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HTML_TEMPLATE = "brief.html.j2"
REFERENCE_DOC = "reference.docx"
MAX_TEMPLATE_BYTES = 1 * 2**20  # a template or stylesheet is a few KiB


class TemplateFolders:
    """The project's override folder over the packaged defaults."""

    def __init__(self, project: Path, override: Path) -> None:
        self.project = project.resolve()
        self.override = (project / override).resolve() if not override.is_absolute() else override.resolve()
        self.package = PACKAGE_TEMPLATES

    @property
    def roots(self) -> list[Path]:
        return [self.override, self.package]

    def file(self, name: str) -> Path:
        """The file `name` as the build uses it: the project's if it has one, else the package's."""
        own = self.override / name
        return own if os.path.lexists(own) else self.package / name  # whatever it is: reading it says

    def files(self) -> list[Path]:
        """Every template file in use (each name once, the project's copy first), sorted by name."""
        names: dict[str, Path] = {}
        for root in reversed(self.roots):  # the override replaces the packaged file of its name
            if root.is_dir():
                for path in root.rglob("*"):
                    # a symlink out is never served, so never read for a digest either
                    if path.is_file() and path.name != "README.md" and path.resolve().is_relative_to(root):
                        names[path.relative_to(root).as_posix()] = path
        return [names[n] for n in sorted(names)]

    def shown(self, path: Path) -> Path:
        """A template's path as messages name it: relative inside the project."""
        resolved = path.resolve()
        if resolved.is_relative_to(self.project):
            return resolved.relative_to(self.project)
        return resolved


class _SandboxLoader(jinja2.BaseLoader):
    """Serves `name` from the first folder that has it, as a regular file inside that folder."""

    def __init__(self, folders: TemplateFolders) -> None:
        self.folders = folders

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        parts = template.replace("\\", "/").split("/")
        if template.startswith("/") or "\x00" in template or any(p in ("", ".", "..") for p in parts):
            raise jinja2.TemplateNotFound(template, f"template name '{template}' must be a plain name inside templates/")
        for root in self.folders.roots:
            path = root.joinpath(*parts)
            if not os.path.lexists(path):
                continue
            target = path.resolve()
            if not target.is_relative_to(root):
                raise jinja2.TemplateNotFound(template, f"template '{template}' leads outside its folder")
            return _read_template(target, template), str(target), lambda: False
        raise jinja2.TemplateNotFound(template)


def _read_template(path: Path, name: str) -> str:
    """A template's text; a FIFO, device or oversized file is refused without blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise jinja2.TemplateNotFound(name, f"template '{name}': {exc.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise jinja2.TemplateNotFound(name, f"template '{name}' is not a regular file")
        data = file.read(MAX_TEMPLATE_BYTES + 1)
    if len(data) > MAX_TEMPLATE_BYTES:
        raise jinja2.TemplateNotFound(name, f"template '{name}' is larger than 1 MiB")
    return data.decode("utf-8", errors="replace")


# What one template expression may produce: `{{ 9**99999 }}`, `{{ 'x' * 10**10 }}` or
# `{{ 'a'.center(10**9) }}` would hold the interpreter inside one C call, past any time limit.
MAX_PRODUCT_LENGTH = 1_000_000
MAX_POWER_BITS = 4096
# A width or precision of a million characters or more, in %-formatting or str.format;
# `*` and nested `{}` take the width from an argument.
_PERCENT_WIDTH = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d{7,}|\d*\.\d{7,})")
_BRACE_WIDTH = re.compile(r"\{[^{}]*:[^{}]*\d{7,}[^{}]*\}")
_WIDTH_FROM_ARGUMENT = re.compile(r"%[-#0 +]*\*|%[-#0 +]*\d*\.\*|\{[^{}]*:[^{}]*\{")
_SIZED_FILTERS = ("center", "indent", "wordwrap", "truncate")


def _refuse_huge_numbers(what: str, values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_PRODUCT_LENGTH:
            raise jinja2.exceptions.SecurityError(f"{what} with {value} is too large")


def _refuse_huge_format(what: str, fmt: str, args: Iterable[Any]) -> None:
    if _PERCENT_WIDTH.search(fmt) or _BRACE_WIDTH.search(fmt):
        raise jinja2.exceptions.SecurityError(f"{what}: a format width of a million characters or more")
    if _WIDTH_FROM_ARGUMENT.search(fmt):
        _refuse_huge_numbers(what, args)


class _BoundedSandbox(jinja2.sandbox.SandboxedEnvironment):
    """Jinja's sandbox, with what `**`, `*`, `%`, string methods and sizing filters make bounded."""

    intercepted_binops = frozenset(["**", "*", "%"])

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name in _SIZED_FILTERS:
            self.filters[name] = _bounded_filter(name, self.filters[name])
        self.filters["format"] = _bounded_format_filter(self.filters["format"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        integers = isinstance(left, int) and isinstance(right, int)
        if operator == "**" and integers and right > 0 and abs(left) > 1 and right * abs(left).bit_length() > MAX_POWER_BITS:
            raise jinja2.exceptions.SecurityError(f"{left} ** {right} is too large a number")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_PRODUCT_LENGTH:
                    raise jinja2.exceptions.SecurityError(f"repeating a value {times} times makes more than "
                                                       f"{MAX_PRODUCT_LENGTH:,} items")
        if operator == "%" and isinstance(left, str):
            _refuse_huge_format("'%' formatting", left, right if isinstance(right, tuple) else [right])
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(getattr(__obj, "__self__", None), str):  # 'a'.center(10**9), 'a'.ljust(10**9)
            _refuse_huge_numbers(f"str.{getattr(__obj, '__name__', 'method')}", [*args, *kwargs.values()])
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        fmt = getattr(value, "__self__", None)
        if wrapped is None or not isinstance(fmt, str):
            return wrapped

        def checked(*args: Any, **kwargs: Any) -> str:  # '{:>1000000000}'.format(1)
            _refuse_huge_format("str.format", fmt, [*args, *kwargs.values()])
            return wrapped(*args, **kwargs)

        return checked


def _bounded_filter(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)  # keeps Jinja's pass_environment/pass_context marks
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _refuse_huge_numbers(f"the {name} filter", [*args, *kwargs.values()])
        return original(*args, **kwargs)

    return bounded


def _bounded_format_filter(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            _refuse_huge_format("the format filter", value, [*args, *kwargs.values()])
        return original(value, *args, **kwargs)

    return bounded


def environment(folders: TemplateFolders) -> jinja2.sandbox.SandboxedEnvironment:
    return _BoundedSandbox(loader=_SandboxLoader(folders), autoescape=True, undefined=jinja2.StrictUndefined)


def render(folders: TemplateFolders, context: dict[str, Any]) -> str:
    """The HTML template rendered with `context`; any template error as a located user error."""
    env = environment(folders)
    try:
        return env.get_template(HTML_TEMPLATE).render(**context)
    except jinja2.TemplateError as exc:
        raise _template_error(exc, folders, sys.exc_info()[2]) from None
    except RecursionError:  # a template that includes itself
        raise ReportgenError("template includes or calls itself without end",
                             Location(folders.shown(folders.file(HTML_TEMPLATE)))) from None
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:  # `{{ 1/0 }}`, `{% include 42 %}`
        path, line = _where(exc, sys.exc_info()[2], folders)
        where = Location(folders.shown(Path(path)), line) if path else Location(folders.shown(folders.file(HTML_TEMPLATE)))
        raise ReportgenError(f"template error: {type(exc).__name__}: {str(exc)[:160]}", where) from None


def _template_error(exc: jinja2.TemplateError, folders: TemplateFolders, tb: TracebackType | None) -> ReportgenError:
    path, line = _where(exc, tb, folders)
    where = Location(folders.shown(Path(path)), line) if path else Location(folders.shown(folders.file(HTML_TEMPLATE)))
    if isinstance(exc, jinja2.TemplateNotFound):
        message = exc.message if exc.message and exc.message != exc.name else f"template '{exc.name}' not found"
        return ReportgenError(message, where)
    kind = "syntax error" if isinstance(exc, jinja2.TemplateSyntaxError) else "error"
    if isinstance(exc, jinja2.exceptions.SecurityError):
        kind = "refused"
    return ReportgenError(f"template {kind}: {exc.message or type(exc).__name__}", where)


def _where(exc: Exception, tb: TracebackType | None, folders: TemplateFolders) -> tuple[str, int]:
    """The template file and line an error came from: Jinja sets them on a syntax error and
    rewrites the traceback of a runtime one so that its frames name the template's lines."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return exc.filename, exc.lineno
    found = ("", 0)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if os.path.isabs(filename) and any(Path(filename).is_relative_to(root) for root in folders.roots):
            found = (filename, tb.tb_lineno)  # the innermost template frame wins
        tb = tb.tb_next
    return found
