"""Metadata type names given by the user (sfenv.yml, a manifest) checked against the registry.

A misspelt type (`ApexClas`) used to be listed as "not available in this org" and skipped,
which turned a manifest of typos into an empty snapshot; it is a usage error instead. The
check lives here, not in the sfenv.yml loader: the registry (with the project's overlays from
sfenv.yml) is built after the file is read, and config sits below core.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable

from sfenv.config.model import Config
from sfenv.core.metadata.registry import Registry
from sfenv.errors import ConfigError

GLOB = "*?["


def unknown_type_names(names: Iterable[str], registry: Registry) -> str | None:
    """A one-line description of the names no metadata type has (with "did you mean"), or None.

    A name may be `Type:member-pattern` (`Group:*`): its type part is checked. A type part that
    is itself a pattern (`Apex*`) must match at least one type: `Grp*` matching nothing would
    silently select nothing."""
    known = sorted({t.name for t in registry.all()} | _child_names(registry))
    unknown: list[str] = []
    for name in dict.fromkeys(names):
        type_part = name.split(":", 1)[0]
        if any(c in type_part for c in GLOB):
            if not fnmatch.filter(known, type_part):
                unknown.append(type_part)
        elif registry.find(type_part) is None and registry.child(type_part) is None:
            unknown.append(type_part)
    unknown = list(dict.fromkeys(unknown))
    if not unknown:
        return None
    parts = []
    for name in unknown:
        if any(c in name for c in GLOB):
            parts.append(f"{name} (a pattern no type matches)")
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        parts.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return f"unknown metadata type{'s' if len(unknown) > 1 else ''}: {', '.join(parts)}"


def _child_names(registry: Registry) -> set[str]:
    return {spec.type_name for t in registry.all() for spec in t.children}


def check_manifest_types(types: Iterable[str], source: str, text: str,
                         registry: Registry) -> str | None:
    """`source:line: unknown metadata types ...` for a manifest naming unknown types, or None.
    The line is the first `<name>` of the first unknown type in `text` (the manifest), checked
    against `registry`, the project's (types declared in sfenv.yml are known)."""
    problem = unknown_type_names(types, registry)
    if problem is None:
        return None
    first = problem.split(": ", 1)[1].split(" ", 1)[0].rstrip(",")
    line = next((i for i, row in enumerate(text.splitlines(), 1) if f">{first}<" in row), 1)
    return f"{source}:{line}: {problem}"


def check_config_types(config: Config, registry: Registry) -> None:
    """ConfigError (exit 2) `sfenv.yml:line: include_types: unknown metadata type: ...` for the
    first key of sfenv.yml naming a type `registry` does not know."""
    for use in config.type_names:
        problem = unknown_type_names(use.names, registry)
        if problem:
            raise ConfigError(f"{config.file}:{use.line}: {use.key}: {problem}")
