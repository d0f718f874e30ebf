"""Termination by a signal, as an exception the run lifecycle can record.

A scheduler or a user stops a process with SIGTERM; Python's default ends it at once, so no
record could say what happened, and Lightning's own handler turns it into a ``SystemExit`` of
status 0, which a scheduler reads as success. :func:`raise_on_sigterm` makes SIGTERM raise
:class:`Terminated` instead: every run the process holds is recorded ``interrupted`` (a relaunch
resumes it) and ``vae-study`` exits with 143, the shell's code for SIGTERM.
"""

from __future__ import annotations

import signal
from types import FrameType

EXIT_TERMINATED = 128 + signal.SIGTERM
EXIT_INTERRUPTED = 128 + signal.SIGINT


class Terminated(BaseException):
    """The process received SIGTERM."""

    def __init__(self) -> None:
        super().__init__("terminated by SIGTERM")


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def raise_on_sigterm() -> None:
    """Make SIGTERM raise :class:`Terminated` in the main thread."""
    signal.signal(signal.SIGTERM, _raise)


def interruption(error: BaseException) -> bool:
    """Whether ``error`` stopped a run from outside (a signal, Ctrl-C) rather than failed it."""
    return isinstance(error, Terminated | KeyboardInterrupt | SystemExit)
