"""The checklist's data: what a step is, and what the caller tells the engine about the hop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sfenv.config.model import Config
from sfenv.core.metadata.ids import ComponentId

Phase = Literal["before", "after"]
Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
PHASES: tuple[str, ...] = ("before", "after")


@dataclass
class Step:
    """One manual step of a promotion. `id` is stable across runs: `<rule>.<component name>`."""

    id: str
    phase: str
    severity: str
    title: str
    details: list[str] = field(default_factory=list)
    why: str = ""
    owner: str = ""
    rule: str = ""
    component: str = ""  # "Type:FullName", or "" for steps not tied to one component

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_suffix(env: str, production: bool) -> str:
    """Salesforce names sandbox users `<prod username>.<sandbox name>`; production has none."""
    return "" if production else f".{env}"


@dataclass
class ChecklistContext:
    """Everything the engine needs besides the changes; plain data, so the engine stays pure.

    `source_components` / `target_components` hold the XML of at least the Role, Group and Queue
    components of each side (the role hierarchy, queue members); more types are welcome.
    `username_suffixes` maps env name -> sandbox suffix (".qa"); envs absent from it use
    `default_suffix`. `group_members` gives, per public group developer name, the members in the
    source org (GroupMember is data, not metadata): usernames, or "Role:X"/"Group:Y" entries.
    """

    source_env: str
    target_env: str
    target_owner: str = ""
    target_is_production: bool = False
    source_is_production: bool = False
    manual: list[tuple[ComponentId, bytes]] = field(default_factory=list)
    # manual components the source no longer has, with their XML in the target: to remove by hand
    manual_removed: list[tuple[ComponentId, bytes | None]] = field(default_factory=list)
    audit_rows: list[dict[str, Any]] = field(default_factory=list)
    audit_since: str | None = None
    source_components: Mapping[ComponentId, bytes] = field(default_factory=dict)
    target_components: Mapping[ComponentId, bytes] = field(default_factory=dict)
    group_members: Mapping[str, list[str]] = field(default_factory=dict)
    username_suffixes: Mapping[str, str] = field(default_factory=dict)
    # sfenv.yml's manual_types (type names or Type:pattern): why a held change is manual
    manual_types: tuple[str, ...] = ()

    def suffix(self, env: str) -> str:
        if env in self.username_suffixes:
            return self.username_suffixes[env]
        if env == self.target_env:
            return default_suffix(env, self.target_is_production)
        if env == self.source_env:
            return default_suffix(env, self.source_is_production)
        return default_suffix(env, False)

    def map_username(self, username: str) -> str:
        """`ana@acme.qa` in qa -> `ana@acme` in prod (suffix convention; configurable)."""
        src, dst = self.suffix(self.source_env), self.suffix(self.target_env)
        base = username[: -len(src)] if src and username.endswith(src) else username
        return base + dst


def username_suffixes(config: Config) -> dict[str, str]:
    """env -> sandbox username suffix, from sfenv.yml: `values: {username_suffix: ".qa2"}` on an
    environment overrides the convention (production "", a sandbox "." + its name)."""
    out: dict[str, str] = {}
    for name, env in config.environments.items():
        if "username_suffix" in env.values:
            out[name] = str(env.values["username_suffix"])
        else:
            out[name] = default_suffix(name, env.production)
    return out
