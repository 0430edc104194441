"""Environment values in a release train: built once with placeholders, substituted per target.

Why: one train is promoted to qa, then to prod. Its files are therefore stored neutralised
(`{{billing_endpoint}}`, `elena@acme{{username_suffix}}`), exactly as `sfenv.core.compare` sees them,
and each promotion puts the target's declared `values:` back before validating and deploying.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from sfenv.core.compare.neutralize import SUFFIX_KEY, SideValues
from sfenv.core.metadata.components import split_file
from sfenv.core.metadata.registry import Registry
from sfenv.core.metadata.ziputil import read_zip, write_zip
from sfenv.errors import MetadataError, ReleaseError
from sfenv.services.train.trees import prefetch

if TYPE_CHECKING:
    from sfenv.config.model import EnvConfig


PLACEHOLDER = re.compile(rb"\{\{([A-Za-z0-9_.-]+)\}\}")


def side_values(env: EnvConfig | None) -> SideValues:
    """An environment's values as compare neutralises them (no values for a plain commit)."""
    if env is None:
        return SideValues()
    return SideValues.of(getattr(env, "values", None) or {}, getattr(env, SUFFIX_KEY, None))


def declared_names(side: SideValues, env: EnvConfig | None) -> set[str]:
    """Placeholder names a package neutralised with `side` can hold."""
    names = {k for k, v in (getattr(env, "values", None) or {}).items()
             if k != SUFFIX_KEY and v not in (None, "")}
    return names | ({SUFFIX_KEY} if side.suffix else set())


class NeutralTree(Mapping[str, bytes]):
    """A snapshot tree read through one side's values (suffix kept as a placeholder)."""

    def __init__(self, tree: Mapping[str, bytes], side: SideValues) -> None:
        self.tree = tree
        self.side = side

    def __getitem__(self, path: str) -> bytes:
        return self.side.apply(self.tree[path], mark_suffix=True)

    def prefetch(self, paths: Iterable[str]) -> None:
        prefetch(self.tree, paths)

    def __iter__(self) -> Iterator[str]:
        return iter(self.tree)

    def __len__(self) -> int:
        return len(self.tree)

    def __contains__(self, path: object) -> bool:
        return path in self.tree


def placeholders_in(src: Mapping[str, bytes], names: set[str],
                    registry: Registry) -> dict[str, list[str]]:
    """{placeholder name: components using it} over a package's metadata files."""
    found: dict[str, set[str]] = {}
    for path, data in src.items():
        used = {m.decode() for m in PLACEHOLDER.findall(data)} & names
        if not used:
            continue
        for name in used:
            found.setdefault(name, set()).update(_components_with(path, data, name, registry))
    return {name: sorted(comps) for name, comps in sorted(found.items())}


def _components_with(path: str, data: bytes, name: str, registry: Registry) -> set[str]:
    token = b"{{" + name.encode() + b"}}"
    owner = registry.component_of(path)
    try:
        pieces = split_file(path, data, registry) if owner and not path.endswith("-meta.xml") \
            else []
    except MetadataError:
        pieces = []
    # the innermost pieces holding it: a child (an alert, a rule entry) rather than its parent
    hits = [p for p in pieces if token in p.xml]
    children = [p for p in hits if p.parent is not None]
    chosen = children or hits
    if chosen:
        return {str(p.id) for p in chosen}
    return {str(owner) if owner else path}


def target_values(env_name: str, env: EnvConfig, placeholders: Mapping[str, list[str]],
                  train: str) -> dict[str, str]:
    """The target's value of each placeholder the train uses; ReleaseError naming the first
    one it does not declare. A production org without a declared `username_suffix` has none
    (usernames there carry no sandbox suffix); a sandbox must declare it."""
    values = dict(getattr(env, "values", None) or {})
    suffix = getattr(env, SUFFIX_KEY, None) or values.get(SUFFIX_KEY)
    out: dict[str, str] = {}
    for name, components in placeholders.items():
        if name == SUFFIX_KEY:
            value = suffix or ("" if getattr(env, "production", False) else None)
        else:
            value = values.get(name) or None
        if value is None:
            where = ", ".join(components[:3]) + (", ..." if len(components) > 3 else "")
            raise ReleaseError(
                f"release {train} carries the placeholder {{{{{name}}}}} in {where}, but "
                f"{env_name} declares no value for it: add `{name}:` under "
                f"environments.{env_name}.values in sfenv.yml")
        out[name] = value
    return out


def _escape(value: str) -> str:
    """As lxml writes text: a value containing `&` or `<` is stored escaped in the XML."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def substitute(data: bytes, values: Mapping[str, str]) -> bytes:
    """Put the target's values in place of the placeholders (XML-escaped in XML files)."""
    if not values or b"{{" not in data:
        return data
    xml = data.lstrip().startswith(b"<?xml")

    def repl(match: re.Match[bytes]) -> bytes:
        name = match.group(1).decode()
        if name not in values:
            return match.group(0)
        return (_escape(values[name]) if xml else values[name]).encode()

    return PLACEHOLDER.sub(repl, data)


def substitute_files(files: Mapping[str, bytes], values: Mapping[str, str]) -> dict[str, bytes]:
    return {path: substitute(data, values) for path, data in files.items()}


def substitute_zip(data: bytes, values: Mapping[str, str], source: str) -> bytes:
    """The package zip with the target's values (rebuilt deterministically: same input, same
    bytes); the stored zip itself when there is nothing to substitute."""
    if not values:
        return data
    return write_zip(substitute_files(read_zip(data, source), values))
