"""The layering ARCHITECTURE.md describes, checked on the source: storage imports nothing of the bot,
and neither modules nor packages import each other in a circle (function-level imports count too)."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module of ours an import names: `bot.telegram.replies.who` or, for `from x import y`, `x.y`
    when that is a module, else `x`."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name)
                if target is not None:
                    yield target, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = _resolve(f"{base}.{alias.name}") if base else None
                if target is not None:
                    yield target, node.lineno


def _graph() -> dict[str, dict[str, int]]:
    graph: dict[str, dict[str, int]] = defaultdict(dict)
    for module, path in MODULES.items():
        for target, line in _imports(module, path):
            if target != module and not module.startswith(target + "."):  # a package's own __init__
                graph[module].setdefault(target, line)
    return graph


def _unit(module: str) -> str:
    """What a cycle is counted between: a subpackage of bot (bot.digest, bot.telegram…), a top-level
    module of bot (bot.app, bot.workers…), handlers, storage."""
    parts = module.split(".")
    if parts[0] in ("handlers", "storage"):
        return parts[0]
    return ".".join(parts[:2])


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_source_is_found() -> None:
    assert {"bot.app", "storage.articles", "handlers.who", "bot.telegram.replies.who"} <= MODULES.keys()
    graph = _graph()
    assert "storage.database" in graph["storage.articles"]
    assert "bot.telegram.replies" in graph["handlers.who"]  # `from bot.telegram import replies`


def test_storage_imports_nothing_of_the_bot() -> None:
    leaks = [
        f"{MODULES[module].relative_to(ROOT)}:{line} imports {target}"
        for module, targets in _graph().items()
        if module.startswith("storage")
        for target, line in targets.items()
        if not target.startswith("storage")
    ]
    assert leaks == []


# Found once the storage leak was gone (#11): bot/telegram/replies/digest.py imports bot.digest.compose,
# bot/digest/service.py imports bot.delivery, and bot/delivery.py imports bot.telegram.retry.
@pytest.mark.parametrize("level", ["module", "package"])
def test_no_import_cycles(level: str) -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, targets in _graph().items():
        for target in targets:
            a, b = (module, target) if level == "module" else (_unit(module), _unit(target))
            if a != b:
                graph[a].add(b)
    assert _cycle(graph) is None


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None
