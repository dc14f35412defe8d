"""What a build returns and records: the outputs it wrote, what it skipped, what each stage cost.

Kept apart from `build.py` so that the history (which records a result) and the stages'
processes (which measure one) need not import the build that runs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reportgen.errors import Diagnostic


@dataclass
class StageStats:
    """What one stage cost: wall and CPU seconds (child processes included), peak RSS so far."""

    wall: float
    cpu: float
    peak_mib: float


@dataclass
class BuildResult:
    outputs: list[Path] = field(default_factory=list)  # written by this build
    fresh: list[Path] = field(default_factory=list)  # up to date, left alone
    stages: dict[str, StageStats] = field(default_factory=dict)
    notes: int = 0
    warnings: list[Diagnostic] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # inputs that differ from the last build
    rebuilt: list[str] = field(default_factory=list)  # targets made again: "chart:fig-x", "pdf", "docx"

    @property
    def up_to_date(self) -> bool:
        return not self.rebuilt
