"""The local org's import graph: no cycles (module-level, in functions or under TYPE_CHECKING)
and nothing of sfenv imported but `sfenv.core.metadata` and `sfenv.errors` (it stands in for
Salesforce, so it must not depend on the product it serves)."""

from __future__ import annotations

import ast
from pathlib import Path

import sfenv.localorg

ROOT = Path(sfenv.localorg.__file__).parent
ALLOWED_OUTSIDE = ("sfenv.core.metadata", "sfenv.errors")


def _modules() -> dict[str, Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = ("sfenv", "localorg", *path.relative_to(ROOT).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


def _imports(name: str, path: Path) -> set[str]:
    """Every module named in an import anywhere in the file (functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {name: {d for d in _imports(name, path) if d in mods and d != name}
            for name, path in mods.items()}


def _cycle_members(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_local_org_has_no_import_cycle():
    assert _cycle_members(_graph()) == []


def test_the_cycle_check_sees_a_cycle_hidden_in_a_function():
    graph = {"a": {"b"}, "b": {"a"}, "c": set()}
    assert _cycle_members(graph) == [["a", "b"]]


def test_the_local_org_imports_only_metadata_and_errors_from_sfenv():
    outside = set()
    for name, path in _modules().items():
        for dep in _imports(name, path):
            outside_localorg = dep.startswith("sfenv.") and not dep.startswith("sfenv.localorg")
            if outside_localorg and not dep.startswith(ALLOWED_OUTSIDE):
                outside.add(f"{name} -> {dep}")
    assert outside == set()


def _package_graph(depth: int) -> dict[str, set[str]]:
    """The module graph folded to packages `depth` names deep (sfenv.localorg.state...)."""
    def fold(name: str) -> str:
        return ".".join(name.split(".")[:depth])
    folded: dict[str, set[str]] = {}
    for name, deps in _graph().items():
        folded.setdefault(fold(name), set()).update(fold(d) for d in deps if fold(d) != fold(name))
    for deps in list(folded.values()):
        for dep in deps:
            folded.setdefault(dep, set())
    return folded


def test_the_local_org_packages_import_one_way():
    """state is below mdapi and rest: no module of state imports one of theirs (the inventory
    of the org folder is state's, so the org can hold it without importing the Metadata API)."""
    assert _cycle_members(_package_graph(3)) == []
