"""Text XML can carry: the characters XML 1.0 forbids are dropped once, as text is read.

C0 controls other than tab and line ends, lone surrogates and U+FFFE/U+FFFF reach reportgen
from `&#12;` in Markdown, escapes in YAML or bytes in a CSV file. No output could show them,
and the SVG and DOCX writers (lxml) refuse them, so the readers drop them: Pandoc's AST
(`document/pandoc_ast.py`), every YAML file (`project/yamlfile.py`) and CSV data
(`project/data.py`). Everything after reading may assume XML-safe strings.
"""

from __future__ import annotations

import re
from typing import TypeVar

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
T = TypeVar("T")


def xml_safe(text: str) -> str:
    return NOT_XML.sub("", text)


def xml_safe_tree(value: T) -> T:
    """`value` (parsed JSON or YAML: lists, mappings, strings, numbers) with every string,
    keys included, made XML-safe; containers are rebuilt only where a string changed."""
    if isinstance(value, str):
        return NOT_XML.sub("", value) if NOT_XML.search(value) else value  # type: ignore[return-value]  # a str
    if isinstance(value, list):
        items = [xml_safe_tree(item) for item in value]
        return items if any(a is not b for a, b in zip(items, value)) else value  # type: ignore[return-value]
    if isinstance(value, dict):
        pairs = [(xml_safe_tree(k), xml_safe_tree(v)) for k, v in value.items()]
        changed = any(k is not k0 or v is not v0 for (k, v), (k0, v0) in zip(pairs, value.items()))
        return dict(pairs) if changed else value  # type: ignore[return-value]
    return value
