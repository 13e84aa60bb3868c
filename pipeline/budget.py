"""A time budget for one document: a timer signal interrupts the work where it is, inside a
regex match too (the regex module checks for signals while it backtracks), so no pattern call
needs a timeout of its own."""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


class OverBudget(BaseException):
    """The work ran past its time budget. Not an ``Exception``: the handlers that keep one bad
    file from ending the run must not take it for a fault of the file's content."""


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Raise ``OverBudget`` in the block once ``seconds`` have passed (no budget: ``None`` or 0,
    or off the main thread, where signals cannot be received)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise OverBudget(f"over its time budget of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
