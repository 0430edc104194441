"""A project of running local orgs and its sfenv.yml, for end-to-end tests.

    with local_project(tmp_path, {"dev": "acme-dev", "prod": "acme-prod"}, monkeypatch) as p:
        result = p.cli("pull", "dev")

Everything goes over HTTPS to the local orgs, through the same client code a real org gets.

The project's manifest names the types its orgs hold when the config is written (`package.xml`,
from `seed_manifest`), as a team with a package.xml of its own does. A pull with the default
manifest lists all ~530 types a local org describes, three a listMetadata call (~180 calls, most
of a pull's CPU and of the suite's): tests about releases, status and records do not need that.
Tests whose subject is the pull itself (listing, completeness, incremental pulls, faults, kills
and locks during a pull) pass `seed_types=False` and pull with the default manifest, as do tests
that add components of types the seeds do not have.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sfenv.config import Config, load_config
from sfenv.core.metadata.package_xml import Package, write_package
from sfenv.core.metadata.registry import default_registry
from sfenv.localorg.testing import LocalOrgHandle, running_org


@dataclass
class Project:
    root: Path
    config_path: Path
    orgs: dict[str, LocalOrgHandle]
    envs: dict[str, str] = field(default_factory=dict)

    def config(self) -> Config:
        return load_config(self.config_path)

    def cli(self, *args: str, input: str | None = None) -> Result:
        from sfenv.cli import main

        with contextlib.chdir(self.root):  # commands find ./sfenv.yml as a user's shell would
            return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    def ok(self, *args: str) -> Result:
        """Run a command that must succeed (its output in the failure message)."""
        result = self.cli(*args)
        assert result.exit_code == 0, f"sfenv {' '.join(args)}: {result.output}"
        return result

    def pull_all(self) -> None:
        for env in self.envs:
            self.ok("pull", env)

    def cli_json(self, *args: str):
        result = self.cli(*args, "--json")
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.stdout)


def wildcard_manifest(types: Iterable[str]) -> str:
    """A package.xml asking for every member (`*`) of `types`, as sfenv writes one."""
    return write_package(Package({t: ["*"] for t in types}, "62.0")).decode()


def seed_manifest(orgs: dict[str, LocalOrgHandle]) -> str:
    """`wildcard_manifest` of every type the orgs' folders hold (folders as their content
    type): what a team that keeps a package.xml of its own types pulls."""
    registry = default_registry()
    types: set[str] = set()
    for org in orgs.values():
        for path in org.data_dir.rglob("*"):
            rel = path.relative_to(org.data_dir).as_posix()
            if rel.startswith(".") or not path.is_file():
                continue
            cid = registry.component_of(rel)
            if cid is None:
                continue
            content = registry.folder_content_type(cid.type)
            types.add(content.name if content is not None else cid.type)
    return wildcard_manifest(types)


def write_config(root: Path, orgs: dict[str, LocalOrgHandle], monkeypatch, *,
                 production: str | None = "prod", extra: str = "", path: list[str] | None = None,
                 values: dict[str, dict[str, str]] | None = None,
                 seed_types: bool = True) -> Path:
    """sfenv.yml for `orgs`. `seed_types`: the manifest names the types the orgs hold now (see
    the module's docstring); a manifest given in `extra` wins."""
    lines = ["project: acme", 'api_version: "62.0"', "environments:"]
    if seed_types and not re.search(r"^manifest:", extra, re.MULTILINE):
        if not (root / "package.xml").exists():  # a copied project keeps its manifest
            (root / "package.xml").write_text(seed_manifest(orgs))
        lines.insert(2, "manifest: package.xml")
    for env, org in orgs.items():
        var = f"SFENV_TEST_{env.upper()}_PW"
        monkeypatch.setenv(var, org.password + org.security_token)
        lines += [f"  {env}:", f"    login_url: {org.instance_url}", f"    username: {org.username}",
                  f"    password_env: {var}", f"    owner: {env.title()} Owner"]
        if org.ca_file:
            lines.append(f"    ca_file: {org.ca_file}")
        if env == production:
            lines.append("    production: true")
        env_values = (values or {}).get(env)
        if env_values:
            lines.append("    values:")
            lines += [f"      {k}: {json.dumps(v)}" for k, v in sorted(env_values.items())]
    lines.append(f"path: [{', '.join(path or list(orgs))}]")
    lines += ["pull:", "  poll_interval: 0.02", "  poll_max_interval: 0.2"]
    if extra:
        lines.append(extra.rstrip())
    config_path = root / "sfenv.yml"
    config_path.write_text("\n".join(lines) + "\n")
    return config_path


@contextmanager
def local_project(tmp_path: Path, envs: dict[str, str], monkeypatch, **kwargs) -> Iterator[Project]:
    """Start one local org per env (name -> seed) and write the project's sfenv.yml."""
    root = tmp_path / "project"
    root.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        orgs = {env: stack.enter_context(running_org(tmp_path / "orgs" / env, seed=seed))
                for env, seed in envs.items()}
        config_path = write_config(root, orgs, monkeypatch, **kwargs)
        yield Project(root, config_path, orgs, dict(envs))


@dataclass(frozen=True)
class PreparedProject:
    """A project's stopped orgs and metadata repository on disk, ready to be copied."""

    folder: Path
    envs: dict[str, str]
    config: dict


def prepare_project(folder: Path, envs: dict[str, str], prepare: Callable[[Project], None],
                    **kwargs) -> PreparedProject:
    """Start the orgs of `local_project`, run `prepare` (pulls, builds) and stop them: what a
    module's tests share without sharing their changes (each starts from `copied_project`)."""
    with contextlib.ExitStack() as stack:
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        prepare(stack.enter_context(local_project(folder, envs, mp, **kwargs)))
    return PreparedProject(folder, dict(envs), dict(kwargs))


@contextmanager
def copied_project(prepared: PreparedProject, tmp_path: Path, monkeypatch) -> Iterator[Project]:
    """A private copy of a prepared project: its orgs start from the copied data on new ports
    and sfenv.yml names them (a folder copy is milliseconds; the first pulls were seconds)."""
    for part in ("orgs", "project"):
        shutil.copytree(prepared.folder / part, tmp_path / part, symlinks=True)
    root = tmp_path / "project"
    with ExitStack() as stack:
        orgs = {env: stack.enter_context(running_org(tmp_path / "orgs" / env))
                for env in prepared.envs}
        config_path = write_config(root, orgs, monkeypatch, **prepared.config)
        yield Project(root, config_path, orgs, dict(prepared.envs))


def prepare_from(base: PreparedProject, folder: Path,
                 prepare: Callable[[Project], None]) -> PreparedProject:
    """A copy of `base` taken one step further (`prepare` on its running orgs), stopped."""
    with pytest.MonkeyPatch.context() as mp, copied_project(base, folder, mp) as project:
        prepare(project)
    return PreparedProject(folder, dict(base.envs), dict(base.config))


# one production env at an address nobody answers: a command that reaches the org fails with
# exit 3, so another exit code proves that a check ran before any connection
OFFLINE_PROD_YML = """\
project: acme
api_version: "62.0"
environments:
  prod:
    login_url: http://127.0.0.1:9
    username: admin@acme.com
    password_env: SFENV_TEST_NOBODY
    production: true
path: [prod]
"""
