"""What a default pull asks for beyond what listMetadata returns, and what it leaves out.

Both are shipped data files (manifests/), read once:
- `standard-value-sets.json`: the standard value sets an org may have. listMetadata does not
  return StandardValueSet components, so a pull asks for every known name and keeps those
  that come back (a name the org lacks is not an error).
- `exclusions.json`: types a default pull does not retrieve even when describeMetadata lists
  them, each with its reason (recorded in the snapshot's accounting).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from sfenv.core.metadata.registry import Registry


def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(  # a manifest shipped with sfenv: a JSON object
        resources.files("sfenv.manifests").joinpath(name).read_text("utf-8"))
    return data


@functools.cache
def exclusions() -> dict[str, str]:
    """Type -> why a default pull leaves it out."""
    return dict(_read("exclusions.json")["types"])


def known_names(type_name: str, registry: Registry) -> tuple[str, ...]:
    """Names to ask for when `type_name` cannot be listed; () for listable types (and for a
    type the registry, the project's, does not have)."""
    file = registry.known_names_file(type_name)
    return _names_in(file) if file else ()


@functools.cache
def _names_in(file: str) -> tuple[str, ...]:
    return tuple(_read(file)["names"])
