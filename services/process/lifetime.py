"""Processes that must not outlive the one that started them (``gotong bench``).

A benchmark starts a broker, workers and web processes. However it ends (Ctrl-C,
an exception, or a timeout's SIGKILL that runs no cleanup at all), none of them
may keep running: left behind, each eats CPU and skews every later measurement.
On Linux the kernel does it: ``PR_SET_PDEATHSIG`` asks for a signal when the
parent dies. The bench sets it on each child it starts (``preexec``), and each
``gotong`` process started with ``GOTONG_EXIT_WITH_PARENT=1`` sets it on itself,
which covers what they start in turn (uvicorn's worker processes).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


def _set_parent_death_signal(sig: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def preexec(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """For ``subprocess.Popen(preexec_fn=...)``: the child gets ``sig`` when we die."""
    if not sys.platform.startswith("linux"):
        return None

    def set_signal() -> None:
        _set_parent_death_signal(sig)

    return set_signal


def exit_with_parent(sig: int = signal.SIGTERM) -> None:
    """This process gets ``sig`` when its parent dies (and exits now if it already has)."""
    if not _set_parent_death_signal(sig):
        log.warning("cannot tie this process to its parent on %s", sys.platform)
        return
    if os.getppid() == 1:  # the parent died before the request: nobody would signal us
        os.kill(os.getpid(), sig)
