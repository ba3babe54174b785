"""``--profile``: sample a worker with py-spy while the events flow; write a summary.

py-spy reads the worker's stacks from outside (no code of ours in the loop, a few
percent of overhead), so the profile shows where a real run spends its time. The
summary names the functions with the most samples of their own, the most samples
below them, and the share of each package.
"""

from __future__ import annotations

import collections
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from services.process import lifetime

RATE_HZ = 100
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]*):(?P<line>\d+)\)$")


def find_py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise RuntimeError("--profile needs py-spy: `.venv/bin/pip install py-spy` "
                           "(./run-tests installs it with the test packages)")
    return found


class Profiler:
    def __init__(self, summary: Path) -> None:
        self.summary = summary
        self.raw = summary.with_suffix(".raw.txt")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, pid: int) -> None:
        self.summary.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [find_py_spy(), "record", "--pid", str(pid), "--rate", str(RATE_HZ), "--format",
             "raw", "--output", str(self.raw), "--nonblocking", "--threads", "--gil"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=lifetime.preexec())

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)  # py-spy writes its output and exits
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        if self.raw.exists():
            self.summary.write_text(summarize(self.raw.read_text()))


def _name(frame: str) -> tuple[str, str]:
    """(function with file:line, package) of a py-spy frame."""
    match = FRAME.match(frame)
    if match is None:
        return frame, frame
    path = match["file"]
    package = path.split("/")[0] if "/" in path else path.removesuffix(".py")
    return frame, package


def summarize(raw: str, top: int = 40) -> str:
    own: collections.Counter[str] = collections.Counter()
    below: collections.Counter[str] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        if frames[0].startswith("thread ("):
            threads[frames[0]] += n
            frames = frames[1:]
        if not frames:
            continue
        name, package = _name(frames[-1])
        own[name] += n
        packages[package] += n
        for frame in set(frames):
            below[frame] += n
    if not total:
        return "no samples (was the worker busy?)\n"

    def table(title: str, counter: collections.Counter[str], limit: int) -> list[str]:
        return [f"== {title}", *(f"{100 * n / total:6.1f}%  {name}"
                                  for name, n in counter.most_common(limit)), ""]

    lines = [f"py-spy, {RATE_HZ} samples/s: {total} samples of the worker while the events "
             "flowed (samples of the thread holding the GIL: where the CPU goes)", ""]
    lines += table("threads", threads, 10)
    lines += table("packages (own time)", packages, 15)
    lines += table("functions, own time", own, top)
    lines += table("functions, own time and below", below, top)
    return "\n".join(lines)
