"""Text XML can carry: the characters XML 1.0 forbids are dropped once, as text is read.

C0 controls other than tab and line ends, lone surrogates and U+FFFE/U+FFFF reach reportgen
from `&#12;` in Markdown, escapes in YAML or bytes in a CSV file. No output could show them,
and the SVG and DOCX writers (lxml) refuse them, so the readers drop them: Pandoc's AST
(`document/pandoc_ast.py`), every YAML file (`project/yamlfile.py`) and CSV data
(`project/data.py`). Everything after reading may assume XML-safe strings.
"""

from __future__ import annotations

import re

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids."""
    return NOT_XML.sub("", text)
