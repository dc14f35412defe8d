"""Run a stage in a forked process, so it overlaps with the parent's work.

Once the document model exists, the charts, the PDF and the DOCX do not need each other's
results in memory, only files on disk. WeasyPrint, python-docx and matplotlib are pure
Python and hold the GIL, so threads would not overlap them; processes do. A fork (not a
spawn) starts in milliseconds and inherits the loaded project and model without pickling
them. The child reports back its result, its cost, or the user error it hit.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from reportgen.errors import ReportgenError
from reportgen.pipeline.results import StageStats


class StageDied(ReportgenError):
    """A stage's process ended without a result. Not the project's fault, but not reportgen's
    own error either (a traceback would show only the parent waiting): one line, exit status 2."""

    def __init__(self, name: str, exitcode: int | None) -> None:
        if exitcode is not None and exitcode < 0:
            how = f"was killed by {_signal_name(-exitcode)}"
        else:
            how = f"exited with status {exitcode}"
        super().__init__(f"the {name} stage's process {how} before it finished; the previous outputs are kept")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def parallel_default() -> bool:
    """Fork only where it helps and is possible: more than one core, and a fork start method.

    REPORTGEN_JOBS=1 runs every stage in this process (for profiling and debugging).
    """
    if os.environ.get("REPORTGEN_JOBS") == "1":
        return False
    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


class Stage:
    """A function running in a child process (or inline, when `parallel` is off)."""

    def __init__(self, name: str, fn: Callable[..., Any], *args: Any, parallel: bool = True) -> None:
        self.name = name
        self._inline: tuple[Any, StageStats] | None = None
        self._process = None
        if not parallel:
            self._inline = _measured(fn, args)
            return
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(fn, args, send), name=f"reportgen-{name}", daemon=True)
        # Ctrl-C is the parent's to handle (it stops its children); blocked across the fork,
        # it cannot land in the child's at-fork handlers.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        send.close()

    def result(self) -> tuple[Any, StageStats]:
        """Wait for the stage; return its value and cost, or raise what it raised."""
        if self._inline is not None:
            return self._inline
        assert self._process is not None
        try:
            status, payload = self._receive.recv()
        except EOFError:  # the child died without a word: a signal (the OOM killer) or os._exit
            self._process.join()
            raise StageDied(self.name, self._process.exitcode) from None
        finally:
            self._receive.close()
        self._process.join()
        if status == "user-error":
            raise ReportgenError(*payload)
        if status == "crash":
            raise RuntimeError(f"the {self.name} stage failed:\n{payload}")
        done: tuple[Any, StageStats] = payload  # what `_child` sent: the stage's value and cost
        return done

    def cancel(self) -> None:
        """Stop the child, if it still runs (after the parent failed or was interrupted)."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join()


def _measured(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, StageStats]:
    start, cpu = time.perf_counter(), time.process_time()
    value = fn(*args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return value, StageStats(time.perf_counter() - start, time.process_time() - cpu, peak)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds, so the stage's finally blocks remove its temporary files


def _child(fn: Callable[..., Any], args: tuple[Any, ...], send: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        send.send(("ok", _measured(fn, args)))
    except ReportgenError as exc:
        send.send(("user-error", (exc.message, exc.location)))
    except SystemExit:
        raise  # stopped by the parent, which no longer waits for an answer
    except BaseException:
        send.send(("crash", traceback.format_exc()))
    finally:
        send.close()
