"""Ctrl-C held off while a build puts its outputs in place.

Until the first output is renamed into place, Ctrl-C aborts the build and the previous
outputs stay as they were. From then on, stopping half-way would leave a new PDF beside an
old DOCX, or outputs the manifest does not know; so the interrupt is noted instead of
raised, and raised once the build has recorded what it wrote, as `InterruptedAfterWriting`.
A Python-level handler (not a signal mask) is used because Python runs handlers in the
main thread whichever thread the kernel picked to receive the signal.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from reportgen.errors import InterruptedAfterWriting


class HeldInterrupts:
    def __init__(self) -> None:
        self.pending = False
        self._previous: Any = None
        self._holding = False

    def hold(self) -> None:
        """From now on, note Ctrl-C instead of raising it (main thread only: only it gets
        KeyboardInterrupt, and only it may set handlers)."""
        if self._holding or threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(signal.SIGINT, self._note)
        self._holding = True

    def release(self) -> None:
        """Restore the handler; raise the interrupt that came meanwhile, if one did."""
        if self._holding:
            signal.signal(signal.SIGINT, self._previous)
            self._holding = False
        if self.pending:
            self.pending = False
            raise InterruptedAfterWriting

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.pending = True
