"""Safe YAML loading that remembers where each value came from.

Error messages must name a line, so we keep PyYAML's node tree beside the plain data and
look a value's line up by its path (`["charts", 1, "data"]`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from reportgen.errors import ReportgenError
from reportgen.model import Location


class YamlFile:
    """Parsed YAML data plus the node tree for line look-ups."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        try:
            self.node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data: Any = yaml.safe_load(text) if self.node is not None else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
            problem = getattr(exc, "problem", None) or str(exc)
            raise ReportgenError(f"invalid YAML: {problem}", where) from None

    @classmethod
    def read(cls, path: Path, display: Path | None = None) -> YamlFile:
        """Load `path`; messages name it as `display` (the path the user wrote)."""
        return cls(display or path, read_text(path, display))

    def location(self, keys: tuple[Any, ...] | list[Any] = (), *, of_key: bool = False) -> Location:
        """Where the value at `keys` is (or, with `of_key`, its key), else its deepest existing parent."""
        node, found = self.node, self.node
        for index, key in enumerate(keys):
            last = of_key and index == len(keys) - 1
            node = _child(node, key, want_key=last)
            if node is None:
                break
            found = node
        if found is None:
            return Location(self.path)
        return Location(self.path, found.start_mark.line + 1, found.start_mark.column + 1)


def _child(node: yaml.Node | None, key: Any, want_key: bool = False) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == str(key):
                return k if want_key else v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def read_text(path: Path, display: Path | None = None) -> str:
    """A content file's text, with missing or undecodable files as user errors."""
    where = Location(display or path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportgenError("file not found", where) from None
    except UnicodeDecodeError as exc:
        raise ReportgenError(f"not UTF-8 text ({exc.reason})", where) from None
    except IsADirectoryError:
        raise ReportgenError("is a directory, expected a file", where) from None
