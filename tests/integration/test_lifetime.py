"""services/process/lifetime.py: what a benchmark starts dies with it, even when it is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG is Linux's")

PARENT = textwrap.dedent("""
    import subprocess, sys, time
    from services.process import lifetime
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"],
                             preexec_fn=lifetime.preexec())
    print(child.pid, flush=True)
    time.sleep(300)
""")

SELF_TIED = textwrap.dedent("""
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c",
        "from services.process.lifetime import exit_with_parent; exit_with_parent(); "
        "import time; time.sleep(300)"])
    print(child.pid, flush=True)
    time.sleep(300)
""")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("script", [PARENT, SELF_TIED], ids=["preexec", "exit_with_parent"])
def test_a_child_does_not_outlive_a_parent_killed_with_sigkill(script: str) -> None:
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    time.sleep(0.5)  # the child has tied itself by now
    assert _alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = _alive(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive, "the child outlived its SIGKILLed parent"
