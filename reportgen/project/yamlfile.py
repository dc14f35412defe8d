"""Safe YAML loading that remembers where each value came from.

Error messages must name a line, so we keep PyYAML's node tree beside the plain data and
look a value's line up by its path (`["charts", 1, "data"]`).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import yaml
import yaml.constructor
import yaml.reader
import yaml.scanner

from reportgen.document.model import Location
from reportgen.errors import ReportgenError
from reportgen.xml_text import xml_safe

MAX_TEXT_BYTES = 10 * 2**20  # a CSV of data
# A 400-page brief is some 1 MiB of Markdown in all; markdown-it takes about 2 s a MiB of
# citation-dense text (and about 100 MiB of memory), so one section stops well short of a hang.
MAX_MARKDOWN_BYTES = 2 * 2**20
# PyYAML's pure-Python parser takes 5-25 s a MiB (dense lists are slowest); its C parser is
# not used because it recurses in C and crashes (SIGSEGV) on deeply nested input.
MAX_YAML_BYTES = 2**20  # some 2,500 CSL entries; a brief cites a few dozen
MAX_ALIAS_EXPANSION = 1_000_000  # values that aliases may add beyond those written out
MAX_FLOW_DEPTH = 100  # nested [ ] and { }


class YamlFile:
    """Parsed YAML data plus the node tree for line look-ups."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.node: yaml.Node | None
        self.data: Any
        try:
            self.node, self.data = _load(text, path)
        except yaml.reader.ReaderError as exc:
            raise _reader_error(exc, text, path) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
            problem = getattr(exc, "problem", None) or str(exc)
            raise ReportgenError(f"invalid YAML: {problem}", where) from None

    @classmethod
    def read(cls, path: Path, display: Path | None = None) -> YamlFile:
        """Load `path`; messages name it as `display` (the path the user wrote)."""
        return cls(display or path, read_text(path, display, limit=MAX_YAML_BYTES))

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
        pairs: list[tuple[yaml.Node, yaml.Node]] = node.value  # PyYAML's stubs leave `value` untyped
        for k, v in reversed(pairs):  # of a repeated key, the last one is the value loaded
            if k.value == str(key):
                return k if want_key else v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        item: yaml.Node = node.value[key]
        return item
    return None


def read_text(path: Path, display: Path | None = None, *, limit: int = MAX_TEXT_BYTES, kind: str = "") -> str:
    """A content file's text, with missing, oversized or undecodable files as user errors."""
    where = Location(display or path)
    try:
        if not path.is_file():  # a FIFO or device would block or never end
            kind = "is a directory" if path.is_dir() else "is not a regular file" if path.exists() else ""
            raise ReportgenError(f"{kind}, expected a file" if kind else "file not found", where)
        with path.open("rb") as file:
            # One byte over the limit is enough to know; never read a huge file whole.
            data = file.read(limit + 1)
    except FileNotFoundError:
        raise ReportgenError("file not found", where) from None
    except OSError as exc:  # permission denied, name too long, ...
        raise ReportgenError(f"cannot read the file: {exc.strerror or exc}", where) from None
    if len(data) > limit:
        kind = kind or {MAX_YAML_BYTES: "a YAML or JSON file",
                MAX_MARKDOWN_BYTES: "a Markdown section; split it into several"}.get(limit, "a text file")
        raise ReportgenError(f"file is larger than {limit // 2**20} MiB, the limit for {kind}", where)
    try:
        # Universal newlines, as Path.read_text gives: CRLF files read like LF ones. A
        # byte-order mark (Excel's "CSV UTF-8", Notepad) is an encoding mark, not text.
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig").read()
    except UnicodeDecodeError as exc:
        raise ReportgenError(f"not UTF-8 text ({exc.reason})", where) from None


def _load(text: str, path: Path) -> tuple[yaml.Node | None, Any]:
    """The node tree and the data built from it: the file is parsed once."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_nodes(node, path)
        return node, loader.construct_document(node)
    except RecursionError:
        # PyYAML composes recursively: block nesting such as `- - - - …` exhausts the stack.
        mark = loader.get_mark()
        raise ReportgenError("invalid YAML: nested too deeply", Location(path, mark.line + 1, mark.column + 1)) from None
    finally:
        loader.dispose()


class _Loader(yaml.SafeLoader):
    """The safe loader (no Python tags), with bad values reported at their node."""

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # PyYAML's scanner revisits every open `[` or `{` on each token: 450 levels, repeated
        # through a 1 MiB file, take about two minutes. No config or CSL item nests past a few.
        if self.flow_level >= MAX_FLOW_DEPTH:
            raise yaml.scanner.ScannerError(None, None, "nested too deeply", self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, IndexError, KeyError, AttributeError, TypeError) as exc:
            # PyYAML's constructors trust the resolver: an implicit date such as 2023-13-45
            # reaches datetime() and fails there; an explicit `!!float`, `!!timestamp` or
            # `!!bool` on an unexpected value fails with IndexError, KeyError or AttributeError.
            if not isinstance(node, yaml.ScalarNode):
                raise
            kind = node.tag.rsplit(":", 1)[-1].replace("timestamp", "date")
            reason = f" ({exc})" if isinstance(exc, ValueError) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"'{node.value}' is not a valid {kind}{reason}", node.start_mark
            ) from None


def _check_nodes(root: yaml.Node, path: Path) -> None:
    """Refuse what would make later stages hang or crash: alias bombs and self-containing values.

    Aliases share nodes, so a few lines can stand for billions of values once anything walks
    the data ("billion laughs"). The size of each node with its aliases expanded is counted
    once per node (memoised), so the check itself stays linear in the file.
    """
    size: dict[int, int] = {}
    ancestors: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            ancestors.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in _children(node))
            if size[key] > len(size) + MAX_ALIAS_EXPANSION:
                raise ReportgenError(
                    f"invalid YAML: aliases here expand to over {MAX_ALIAS_EXPANSION:,} values", _where(path, node))
            continue
        if key in size:
            continue
        if isinstance(node, yaml.ScalarNode):
            _check_scalar(node, path)
            node.value = xml_safe(node.value)  # read as the text XML can carry (`xml_text.py`)
        elif isinstance(node, yaml.MappingNode):
            _check_keys(node, path)
        ancestors.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in ancestors:
                raise ReportgenError("invalid YAML: an alias refers to a value that contains it", _where(path, node))
            stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


# Lone surrogates cannot be written as UTF-8 at all, so no later stage could save them.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_scalar(node: yaml.ScalarNode, path: Path) -> None:
    match = _SURROGATE.search(node.value)
    if match:
        raise ReportgenError(f"invalid YAML: escape for U+{ord(match.group()):04X}, a lone surrogate, is not a character",
                             _where(path, node))


def _check_keys(node: yaml.MappingNode, path: Path) -> None:
    """YAML keys are unique; PyYAML keeps the last of two silently, so one of them is lost."""
    first: dict[tuple[str, str], yaml.Node] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
            continue
        seen = first.setdefault((key.tag, key.value), key)
        if seen is not key:
            raise ReportgenError(f"invalid YAML: duplicate key '{key.value}' (first at line {seen.start_mark.line + 1})",
                                 _where(path, key))


def _where(path: Path, node: yaml.Node) -> Location:
    return Location(path, node.start_mark.line + 1, node.start_mark.column + 1)


def _reader_error(exc: yaml.reader.ReaderError, text: str, path: Path) -> ReportgenError:
    """PyYAML's reader names a character by offset; name its line and column instead."""
    code = ord(exc.character) if isinstance(exc.character, str) else exc.character
    if isinstance(code, int) and 0 <= exc.position <= len(text):
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        return ReportgenError(f"invalid YAML: character U+{code:04X} is not allowed in YAML", Location(path, line, col))
    return ReportgenError(f"invalid YAML: {exc.reason}", Location(path))
