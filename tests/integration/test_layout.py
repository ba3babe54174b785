"""The map of docs/architecture.md, kept true: which package may import which, no import
cycle, roots small enough to read, and mypy (strict on the contracts and the core) clean.
Run by the README's test command, so a clean-clone CI run fails on a broken rule."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.settings import REPO_ROOT

PACKAGES = ("events", "services", "web")

# importer (a module or a package prefix) -> prefixes it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "events": ("services", "web"),
    "services.domain": ("services.", "web"),  # but itself: see _allowed
    "services.readmodel": ("services.pipeline", "services.ingest", "services.identity",
                           "services.feeds", "services.cli", "services.local", "web"),
    "services.identity": ("services.pipeline", "services.ingest", "services.feeds",
                          "services.cli", "services.local", "web"),
    "services.ingest": ("services.pipeline", "services.feeds", "services.cli",
                        "services.local", "web"),
    "services.notify": ("services.pipeline", "services.ingest", "services.cli",
                        "services.local", "web"),
    "services.feeds": ("services.pipeline", "services.cli", "services.local", "web"),
    "services.pipeline": ("services.cli", "services.local", "services.bench", "web"),
    "services.process": ("services.", "web"),
    "services.settings": ("services.", "web"),
    "services.client": ("services.", "web"),
    "web": ("services.pipeline", "services.cli", "services.local", "services.bench",
            "services.demo"),
}
ALLOWED_WITHIN = {"services.domain": ("services.domain",),
                  "services.process": ("services.process",)}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO_ROOT / package).rglob("*.py"):
            relative = path.relative_to(REPO_ROOT)
            if "migrations" in relative.parts:
                continue
            name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def _imports(path: Path) -> Iterator[str]:
    """Every module named by an import anywhere in the file (also inside functions and
    ``TYPE_CHECKING``: a cycle of annotations is still a cycle of meaning)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {target for target in _imports(path) if target in modules and target != name}
            for name, path in modules.items()}


def _governing(module: str) -> str | None:
    matches = [p for p in FORBIDDEN if _under(module, p)]
    return max(matches, key=len, default=None)


def _under(module: str, prefix: str) -> bool:
    """``prefix`` names a module and what is in it; ending in a dot, only what is in it."""
    if prefix.endswith("."):
        return module.startswith(prefix)
    return module == prefix or module.startswith(prefix + ".")


def test_no_package_imports_what_the_map_forbids() -> None:
    broken = []
    for module, targets in _graph().items():
        rule = _governing(module)
        if rule is None:
            continue
        for target in targets:
            if any(_under(target, p) for p in ALLOWED_WITHIN.get(rule, ())):
                continue
            if any(_under(target, p) for p in FORBIDDEN[rule]):
                broken.append(f"{module} imports {target}")
    assert broken == []


def test_no_import_cycle() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize(("root", "most"), [("services", 8), ("web", 15)])
def test_a_package_root_stays_small_enough_to_read(root: str, most: int) -> None:
    modules = sorted(p.name for p in (REPO_ROOT / root).glob("*.py"))
    assert len(modules) <= most, modules


def test_mypy_finds_nothing() -> None:
    """Strict on ``events`` and ``services.domain``, the default elsewhere (pyproject.toml)."""
    found = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=REPO_ROOT,
                           capture_output=True, text=True, timeout=600)
    assert found.returncode == 0, found.stdout + found.stderr
