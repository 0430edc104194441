"""Pipeline files for a team's CI, written from sfenv.yml (`sfenv ci init PROVIDER`).

What the pipelines do is plain `sfenv` commands; the YAML only says when they run, with which
secrets, and how many at once:
- **nightly backups**, one job per org environment (the CI system's own matrix), at most
  `max_parallel` at a time, one at a time per org (a concurrency group / resource group per
  environment), each syncing the shared metadata repository before and after;
- **a scheduled monitor** of the production environments (`sfenv monitor`).

Secrets are the `*_env` variables sfenv.yml names, read from the CI system's secret store; a
job is given only the variables of its own environment.

Not generated yet: the pull-request plan/validation and the deploy on merge (see README).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from sfenv.config.model import Config, EnvConfig

PROVIDERS = ("github", "gitlab", "azure")
SECRET_FIELDS = ("password_env", "token_env", "access_token_env", "sfdx_url_env")
BACKUP_CRON = "17 2 * * *"  # nightly, off the hour (schedulers are crowded on the hour)
MONITOR_CRON = "7 * * * *"  # hourly
HEADER = ("# Written by `sfenv ci init {provider}` from sfenv.yml; every step is a plain sfenv\n"
          "# command. Secrets come from the CI system's secret store under the names sfenv.yml\n"
          "# gives (the *_env keys). Re-run `sfenv ci init {provider}` after changing sfenv.yml.\n")


@dataclass(frozen=True)
class CiOptions:
    install: str  # the command that installs sfenv in a job
    max_parallel: int = 4
    python: str = "3.11"
    remote: str = "origin"


def secret_names(env: EnvConfig) -> list[str]:
    """The environment variables an environment's login reads (names only)."""
    return [name for f in SECRET_FIELDS if (name := getattr(env, f, None))]


def org_envs(config: Config) -> list[EnvConfig]:
    return [e for e in config.environments.values() if e.kind == "org"]


def production_envs(config: Config) -> list[EnvConfig]:
    return [e for e in org_envs(config) if e.production]


def _backup_commands(env: str, opts: CiOptions) -> list[str]:
    return [f"sfenv sync --remote {opts.remote}", f"sfenv backup {env}",
            f"sfenv sync --remote {opts.remote}"]


def _monitor_commands(envs: list[str], opts: CiOptions) -> list[str]:
    return [f"sfenv sync --remote {opts.remote}", "sfenv monitor " + " ".join(envs),
            f"sfenv sync --remote {opts.remote}"]


# --- GitHub Actions ----------------------------------------------------------------------------

def _gh_setup(opts: CiOptions) -> list[dict[str, Any]]:
    return [
        {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}},
        {"uses": "actions/setup-python@v5", "with": {"python-version": opts.python}},
        {"name": "Install sfenv", "run": opts.install},
    ]


def _gh_scoped_secrets(config: Config) -> dict[str, str]:
    """Each variable only in its own environment's matrix job."""
    out: dict[str, str] = {}
    for env in org_envs(config):
        for name in secret_names(env):
            out[name] = f"${{{{ matrix.env == '{env.name}' && secrets.{name} || '' }}}}"
    return out


def github(config: Config, opts: CiOptions) -> dict[str, str]:
    envs = [e.name for e in org_envs(config)]
    backup = {
        "name": "sfenv nightly backups",
        "on": {"schedule": [{"cron": BACKUP_CRON}], "workflow_dispatch": {}},
        "permissions": {"contents": "write"},
        "jobs": {"backup": {
            "name": "backup ${{ matrix.env }}",
            "runs-on": "ubuntu-latest",
            "strategy": {"fail-fast": False, "max-parallel": opts.max_parallel,
                         "matrix": {"env": envs}},
            "concurrency": {"group": "sfenv-org-${{ matrix.env }}", "cancel-in-progress": False},
            "env": _gh_scoped_secrets(config),
            "steps": _gh_setup(opts) + [
                {"name": cmd.split(" ", 2)[1], "run": cmd}
                for cmd in _backup_commands("${{ matrix.env }}", opts)],
        }},
    }
    files = {".github/workflows/sfenv-nightly.yml": _dump("github", backup)}
    prod = [e.name for e in production_envs(config)]
    if prod:
        monitor = {
            "name": "sfenv monitor",
            "on": {"schedule": [{"cron": MONITOR_CRON}], "workflow_dispatch": {}},
            "permissions": {"contents": "write"},
            "concurrency": {"group": "sfenv-monitor", "cancel-in-progress": False},
            "jobs": {"monitor": {
                "runs-on": "ubuntu-latest",
                "env": {n: f"${{{{ secrets.{n} }}}}" for e in production_envs(config)
                        for n in secret_names(e)},
                "steps": _gh_setup(opts) + [
                    {"name": cmd.split(" ", 2)[1], "run": cmd}
                    for cmd in _monitor_commands(prod, opts)],
            }},
        }
        files[".github/workflows/sfenv-monitor.yml"] = _dump("github", monitor)
    return files


# --- GitLab CI ---------------------------------------------------------------------------------

def gitlab(config: Config, opts: CiOptions) -> dict[str, str]:
    """One job per environment (GitLab cannot scope a masked variable to a matrix entry), each
    in its own resource group; the schedule's SFENV_JOB variable picks backups or monitor."""
    doc: dict[str, Any] = {
        "stages": ["backup", "monitor"],
        "default": {"image": f"python:{opts.python}",
                    "before_script": ["git fetch --unshallow || true", opts.install]},
    }
    for env in org_envs(config):
        doc[f"backup-{env.name}"] = {
            "stage": "backup",
            "resource_group": f"sfenv-org-{env.name}",
            "rules": [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $SFENV_JOB == "backup"'},
                      {"if": '$CI_PIPELINE_SOURCE == "web"'}],
            "script": _backup_commands(env.name, opts),
        }
    prod = [e.name for e in production_envs(config)]
    if prod:
        doc["monitor"] = {
            "stage": "monitor",
            "resource_group": "sfenv-monitor",
            "rules": [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $SFENV_JOB == "monitor"'}],
            "script": _monitor_commands(prod, opts),
        }
    return {".gitlab-ci.yml": _dump("gitlab", doc)}


# --- Azure Pipelines ---------------------------------------------------------------------------

def azure(config: Config, opts: CiOptions) -> dict[str, str]:
    # The schema (and Azure) reads these values as strings.
    setup = [{"checkout": "self", "fetchDepth": "0", "persistCredentials": "true"},
             {"task": "UsePythonVersion@0", "inputs": {"versionSpec": opts.python}},
             {"script": opts.install, "displayName": "Install sfenv"}]
    jobs = []
    for env in org_envs(config):
        jobs.append({
            "job": f"backup_{env.name.replace('-', '_')}",
            "displayName": f"backup {env.name}",
            "pool": {"vmImage": "ubuntu-latest"},
            "steps": setup + [{"script": cmd, "displayName": cmd,
                               "env": {n: f"$({n})" for n in secret_names(env)}}
                              for cmd in _backup_commands(env.name, opts)],
        })
    doc = {
        "trigger": "none",
        "pr": "none",
        "schedules": [{"cron": BACKUP_CRON, "displayName": "sfenv nightly backups",
                       "branches": {"include": ["main"]}, "always": "true"}],
        "jobs": jobs,
    }
    return {"azure-pipelines.yml": _dump("azure", doc)}


def _dump(provider: str, doc: dict[str, Any]) -> str:
    return HEADER.format(provider=provider) + yaml.safe_dump(doc, sort_keys=False, width=100)


GENERATORS = {"github": github, "gitlab": gitlab, "azure": azure}


def pipeline_files(provider: str, config: Config, opts: CiOptions) -> dict[str, str]:
    """Relative path -> file text for `provider` (one of PROVIDERS)."""
    return GENERATORS[provider](config, opts)
