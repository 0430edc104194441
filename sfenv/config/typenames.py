"""Metadata type names given by the user (sfenv.yml, a manifest) checked against the registry.

A misspelt type (`ApexClas`) used to be listed as "not available in this org" and skipped,
which turned a manifest of typos into an empty snapshot; it is a usage error instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from sfenv.core.metadata.registry import Registry, default_registry


def unknown_type_names(names: Iterable[str], registry: Registry | None = None) -> str | None:
    """A one-line description of the names no metadata type has (with "did you mean"), or None.
    Patterns (`*`, `?`) are left alone: they are matched, not named."""
    registry = registry or default_registry()
    known = sorted({t.name for t in registry.all()} | _child_names(registry))
    unknown = [n for n in dict.fromkeys(names) if not any(c in n for c in "*?[")
               and registry.find(n) is None and registry.child(n) is None]
    if not unknown:
        return None
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        parts.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return f"unknown metadata type{'s' if len(unknown) > 1 else ''}: {', '.join(parts)}"


def _child_names(registry: Registry) -> set[str]:
    return {spec.type_name for t in registry.all() for spec in t.children}


def check_manifest_types(types: Iterable[str], source: str, text: str) -> str | None:
    """`source:line: unknown metadata types ...` for a manifest naming unknown types, or None.
    The line is the first `<name>` of the first unknown type in `text` (the manifest)."""
    problem = unknown_type_names(types)
    if problem is None:
        return None
    first = problem.split(": ", 1)[1].split(" ", 1)[0].rstrip(",")
    line = next((i for i, row in enumerate(text.splitlines(), 1) if f">{first}<" in row), 1)
    return f"{source}:{line}: {problem}"
