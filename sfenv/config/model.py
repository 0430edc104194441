"""The typed model of sfenv.yml: environments, the promotion path and the team's policy."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from sfenv.config.adoption import AdoptionSettings
from sfenv.config.monitor import MonitorSettings
from sfenv.config.notify import NotifyChannel
from sfenv.errors import ConfigError

AUTH_METHODS = ("password", "access_token", "sfdx_url", "jwt", "sf_cli")
# manifests shipped in manifests/, named in sfenv.yml without a path: `default` asks for every
# type the org describes, `core` and `backup` are curated lists
SHIPPED_MANIFESTS = ("default", "core", "backup")
ENV_KINDS = ("org", "git", "dir")  # git: a ref of a repository; dir: a folder (sfdx or mdapi)


@dataclass
class EnvConfig:
    """One environment (an org). Secrets are never stored here: only the names of the
    environment variables or files that hold them."""

    name: str
    kind: str = "org"
    auth: str = "password"
    login_url: str | None = None
    instance_url: str | None = None
    username: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    access_token_env: str | None = None
    sfdx_url_env: str | None = None
    client_id: str | None = None
    key_file: str | None = None
    sf_alias: str | None = None
    ca_file: str | None = None
    production: bool = False
    purpose: str = ""
    owner: str = ""
    refresh: str = ""
    values: dict[str, str] = field(default_factory=dict)
    test_level: str | None = None
    strict: bool = False
    repository: str | None = None  # kind git: the repository (default: the metadata repository)
    ref: str | None = None  # kind git: branch, tag or commit
    path: str | None = None  # kind dir: the folder; kind git: the project's folder in the repository
    line: int = 0  # where it is declared in sfenv.yml, for messages

    @property
    def is_org(self) -> bool:
        return self.kind == "org"

    def effective_test_level(self) -> str:
        """Salesforce requires tests in production; sandboxes default to none."""
        if self.test_level:
            return self.test_level
        return "RunLocalTests" if self.production else "NoTestRun"


@dataclass(frozen=True)
class TypeNames:
    """Metadata type names one key of sfenv.yml gives (`include_types`, `exclude`,
    `manual_types`), with their line: checked against the registry once it is built (the
    registry, with the project's own types, sits above config), by `sfenv.core.metadata.typenames`."""

    key: str
    line: int
    names: tuple[str, ...]


# what a project may say about a metadata type in sfenv.yml `metadata_types:` (text or flag)
OVERLAY_TEXT_KEYS = ("directory", "suffix", "strategy", "folder_type", "bundle_main")
OVERLAY_FLAG_KEYS = ("meta_file", "in_folder", "name_has_extension")


@dataclass(frozen=True)
class TypeOverlay:
    """One entry of sfenv.yml `metadata_types:`: a type the shipped registry lacks, or facts of
    a known type the project overrides (a newer suffix, another strategy). The registry applies
    and validates it (`sfenv.core.metadata.overlays`); `lines` say where each key is."""

    name: str
    line: int
    values: tuple[tuple[str, str | bool], ...]
    lines: tuple[tuple[str, int], ...] = ()

    def get(self, key: str) -> str | bool | None:
        return dict(self.values).get(key)

    def line_of(self, key: str) -> int:
        return dict(self.lines).get(key, self.line)


@dataclass
class PullSettings:
    """How retrieves are chunked and parallelised."""

    chunk_size: int = 2500
    parallel: int = 3
    list_parallel: int = 3
    poll_interval: float = 0.5
    poll_max_interval: float = 10.0
    timeout_s: float = 3600.0
    audit_days: int = 180
    http_timeout_s: float = 120.0
    # on an org with source tracking, every Nth pull lists everything to verify the rows
    # SourceMember let it carry (1: every pull); backups always do
    verify_every: int = 10


@dataclass
class Config:
    file: Path
    root: Path
    project: str
    api_version: str
    environments: dict[str, EnvConfig]
    stages: list[list[str]]
    manifest: str = "default"
    include_types: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    manual_types: list[str] = field(default_factory=list)
    include_managed: bool = False
    pull: PullSettings = field(default_factory=PullSettings)
    notify: list[NotifyChannel] = field(default_factory=list)
    monitor: MonitorSettings = field(default_factory=MonitorSettings)
    adoption: AdoptionSettings = field(default_factory=AdoptionSettings)
    environments_line: int = 0  # where `environments:` is, for messages
    type_names: list[TypeNames] = field(default_factory=list)  # checked by the registry's owner
    metadata_types: list[TypeOverlay] = field(default_factory=list)  # the project's registry overlay
    # things that are allowed but likely mistakes (file:line: ...), printed by the CLI
    warnings: list[str] = field(default_factory=list)

    def env(self, name: str) -> EnvConfig:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(self.environments) or "none"
            folded = {e.lower(): e for e in self.environments}
            close = ([folded[name.lower()]] if name.lower() in folded else
                     difflib.get_close_matches(name, list(self.environments), n=1, cutoff=0.5))
            hint = f"did you mean '{close[0]}'? " if close else ""
            # the name comes from the command line or a caller, not from sfenv.yml: the file
            # is named as where the environments are declared, not as the mistake's place
            where = f"{self.file}:{self.environments_line}" if self.environments_line else \
                str(self.file)
            raise ConfigError(
                f"unknown environment {name!r} ({hint}declared in {where}: {known})"
            ) from None

    def hops(self) -> list[tuple[str, str]]:
        """Adjacent pairs along the path; a stage of several envs gives one hop per member."""
        pairs: list[tuple[str, str]] = []
        for here, there in zip(self.stages, self.stages[1:], strict=False):
            for source in here:
                for target in there:
                    pairs.append((source, target))
        return pairs

    def stage_index(self, env: str) -> int:
        for index, stage in enumerate(self.stages):
            if env in stage:
                return index
        raise ConfigError(f"{self.file}: environment '{env}' is not on the promotion path")

    def upstream_of(self, env: str) -> list[str]:
        """Environments of the stage just before `env` on the path (empty for the first)."""
        index = self.stage_index(env)
        return list(self.stages[index - 1]) if index > 0 else []
