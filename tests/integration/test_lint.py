"""ruff, as configured in pyproject.toml, finds nothing in the repository: the README's
test command enforces it, so a clean-clone CI run fails on a lint error as on a test."""

from __future__ import annotations

import subprocess
import sys

from services.settings import REPO_ROOT


def test_ruff_finds_nothing() -> None:
    found = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stdout + found.stderr
