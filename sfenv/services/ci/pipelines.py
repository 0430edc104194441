"""Pipeline files for a team's CI, written from sfenv.yml (`sfenv ci init PROVIDER`).

What the pipelines do is plain `sfenv` commands; the YAML only says when they run, with which
secrets, and how many at once:
- **nightly backups**, one job per org environment (the CI system's own matrix), at most
  `max_parallel` at a time, one at a time per org (a concurrency group / resource group per
  environment), each syncing the shared metadata repository before and after;
- **a scheduled monitor** of the production environments (`sfenv monitor`);
- **a daily adoption report** of the production environments (`sfenv adoption --env PROD`);
- **on a pull request** (when the path starts at a `kind: git` environment reading `ref: HEAD`,
  i.e. the job's checkout): the branch pulled as that environment, a train built to the next
  stage, its plan posted as the pull request's one sfenv comment (`sfenv ci comment`), and a
  validation-only deploy (`release promote --check-only`);
- **on merge** to the main branch: the promotion to the next stage (`MERGE_PROMOTE`: today a
  full promotion with backup that validates then quick-deploys). On GitHub the merge job knows
  the pull request, so it promotes the very train the pull request validated; GitLab's and
  Azure's push pipelines do not, so they build the merged commit's train first.

Secrets are the `*_env` variables sfenv.yml names, read from the CI system's secret store; a
job is given only the variables of its own environment.
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
ADOPTION_CRON = "37 5 * * *"  # daily, after the nightly backups
PLAN_FILE = "sfenv-plan.md"
# The merge job's deploy: one line to change when promote reuses a recorded validation.
MERGE_PROMOTE = "sfenv release promote {train} --to {target} --yes"
# who the release log names for a CI promotion: the person behind the pull request or merge
ACTOR = {"github": "${{ github.actor }}", "gitlab": "$GITLAB_USER_LOGIN",
         "azure": "$(Build.RequestedFor)"}
TOKEN_SECRETS = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN",
                 "azure": "SYSTEM_ACCESSTOKEN"}
HEADER = ("# Written by `sfenv ci init {provider}` from sfenv.yml; every step is a plain sfenv\n"
          "# command. Secrets come from the CI system's secret store under the names sfenv.yml\n"
          "# gives (the *_env keys). Re-run `sfenv ci init {provider}` after changing sfenv.yml.\n")


@dataclass(frozen=True)
class CiOptions:
    install: str  # the command that installs sfenv in a job
    max_parallel: int = 4
    python: str = "3.11"
    remote: str = "origin"
    main_branch: str = "main"


@dataclass(frozen=True)
class PrFlow:
    """The pull-request and merge jobs' endpoints: the branch (a `kind: git` environment read
    from the job's checkout) and the next stage's org environment."""

    branch: str
    target: str


def secret_names(env: EnvConfig) -> list[str]:
    """The environment variables an environment's login reads (names only)."""
    return [name for f in SECRET_FIELDS if (name := getattr(env, f, None))]


def org_envs(config: Config) -> list[EnvConfig]:
    return [e for e in config.environments.values() if e.kind == "org"]


def production_envs(config: Config) -> list[EnvConfig]:
    return [e for e in org_envs(config) if e.production]


def pr_flow(config: Config) -> PrFlow | None:
    """The first `kind: git` environment of the path that reads the checkout (`ref: HEAD`, the
    metadata repository) and the first org environment of the stage after it, or None."""
    for here, there in zip(config.stages, config.stages[1:], strict=False):
        for name in here:
            env = config.environments[name]
            if env.kind == "git" and env.ref == "HEAD" and not env.repository:
                orgs = [t for t in there if config.environments[t].kind == "org"]
                if orgs:
                    return PrFlow(name, orgs[0])
    return None


def pr_commands(flow: PrFlow, train: str, provider: str, opts: CiOptions) -> list[str]:
    """A pull request: the branch as an environment, its train to the next stage, the plan as
    the pull request's comment (posted before the validation, so a failed validation still
    leaves the plan), then a validation-only deploy. The train and the target's backup are
    synced, so the merge job finds them."""
    hop = f"--from {flow.branch} --to {flow.target}"
    return [f"sfenv sync --remote {opts.remote}",
            f"sfenv pull {flow.branch}",
            f"sfenv release build {train} {hop} --force",
            f"sfenv release plan {train} {hop} --format markdown-comment > {PLAN_FILE}",
            f"sfenv ci comment --provider {provider} --body {PLAN_FILE}",
            f"sfenv release promote {train} --to {flow.target} --check-only",
            f"sfenv sync --remote {opts.remote}"]


def merge_commands(flow: PrFlow, train: str, opts: CiOptions, *, build: bool) -> list[str]:
    """The merge: promote to the next stage (with backup and verification). `build`: the job
    does not know the pull request's train, so it builds the merged commit's."""
    made = [f"sfenv pull {flow.branch}",
            f"sfenv release build {train} --from {flow.branch} --to {flow.target}"] if build else []
    return [f"sfenv sync --remote {opts.remote}", *made,
            MERGE_PROMOTE.format(train=train, target=flow.target),
            f"sfenv sync --remote {opts.remote}"]


def _adoption_commands(envs: list[str], opts: CiOptions) -> list[str]:
    return [f"sfenv sync --remote {opts.remote}",
            *[f"sfenv adoption --env {env}" for env in envs],
            f"sfenv sync --remote {opts.remote}"]


def _backup_commands(env: str, opts: CiOptions) -> list[str]:
    return [f"sfenv sync --remote {opts.remote}", f"sfenv backup {env}",
            f"sfenv sync --remote {opts.remote}"]


def _monitor_commands(envs: list[str], opts: CiOptions) -> list[str]:
    return [f"sfenv sync --remote {opts.remote}", "sfenv monitor " + " ".join(envs),
            f"sfenv sync --remote {opts.remote}"]


# --- GitHub Actions ----------------------------------------------------------------------------

def _gh_setup(opts: CiOptions, ref: str | None = None) -> list[dict[str, Any]]:
    checkout: dict[str, Any] = {"fetch-depth": 0}
    if ref:
        checkout["ref"] = ref
    return [
        {"uses": "actions/checkout@v4", "with": checkout},
        {"uses": "actions/setup-python@v5", "with": {"python-version": opts.python}},
        {"name": "Install sfenv", "run": opts.install},
    ]


def _gh_run(command: str) -> dict[str, str]:
    words = command.split()
    name = " ".join(words[1:3]) if words[1] in ("release", "ci") else words[1]
    return {"name": name, "run": command}


def _gh_secrets(envs: list[EnvConfig]) -> dict[str, str]:
    return {n: f"${{{{ secrets.{n} }}}}" for e in envs for n in secret_names(e)}


def _gh_pr_files(config: Config, flow: PrFlow, opts: CiOptions) -> dict[str, str]:
    train = "pr-${{ github.event.pull_request.number }}"
    target = [config.environments[flow.target]]
    validate = {
        "name": "sfenv pull request",
        "on": {"pull_request": {"branches": [opts.main_branch],
                                "types": ["opened", "synchronize", "reopened"]}},
        "permissions": {"contents": "write", "pull-requests": "write"},
        "jobs": {"validate": {
            "name": f"plan and validate against {flow.target}",
            "runs-on": "ubuntu-latest",
            # a newer push supersedes the running validation of the same pull request
            "concurrency": {"group": "sfenv-pr-${{ github.event.pull_request.number }}",
                            "cancel-in-progress": True},
            "env": {**_gh_secrets(target), "GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}",
                    "SFENV_USER": ACTOR["github"]},
            "steps": _gh_setup(opts) + [_gh_run(c) for c in
                                        pr_commands(flow, train, "github", opts)],
        }},
    }
    merged = {
        "name": "sfenv deploy on merge",
        "on": {"pull_request": {"branches": [opts.main_branch], "types": ["closed"]}},
        "permissions": {"contents": "write"},
        "jobs": {"deploy": {
            "name": f"deploy the merged pull request to {flow.target}",
            "if": "github.event.pull_request.merged == true",
            "runs-on": "ubuntu-latest",
            # one deploy to an org at a time; never cancel one that runs
            "concurrency": {"group": f"sfenv-deploy-{flow.target}", "cancel-in-progress": False},
            "env": {**_gh_secrets(target), "SFENV_USER": ACTOR["github"]},
            "steps": _gh_setup(opts, ref=opts.main_branch) + [
                _gh_run(c) for c in merge_commands(flow, train, opts, build=False)],
        }},
    }
    return {".github/workflows/sfenv-pr.yml": _dump("github", validate),
            ".github/workflows/sfenv-merge.yml": _dump("github", merged)}


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
        adoption = {
            "name": "sfenv adoption",
            "on": {"schedule": [{"cron": ADOPTION_CRON}], "workflow_dispatch": {}},
            "permissions": {"contents": "write"},
            "concurrency": {"group": "sfenv-adoption", "cancel-in-progress": False},
            "jobs": {"adoption": {
                "runs-on": "ubuntu-latest",
                "env": _gh_secrets(production_envs(config)),
                "steps": _gh_setup(opts) + [_gh_run(c) for c in _adoption_commands(prod, opts)],
            }},
        }
        files[".github/workflows/sfenv-adoption.yml"] = _dump("github", adoption)
    flow = pr_flow(config)
    if flow:
        files.update(_gh_pr_files(config, flow, opts))
    return files


# --- GitLab CI ---------------------------------------------------------------------------------

def gitlab(config: Config, opts: CiOptions) -> dict[str, str]:
    """One job per environment (GitLab cannot scope a masked variable to a matrix entry), each
    in its own resource group; the schedule's SFENV_JOB variable picks backups or monitor."""
    doc: dict[str, Any] = {
        "stages": ["validate", "deploy", "backup", "monitor", "adoption"],
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
        doc["adoption"] = {
            "stage": "adoption",
            "resource_group": "sfenv-adoption",
            "rules": [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $SFENV_JOB == "adoption"'}],
            "script": _adoption_commands(prod, opts),
        }
    flow = pr_flow(config)
    if flow:
        doc["sfenv-pr"] = {
            "stage": "validate",
            "interruptible": True,  # a newer push supersedes it
            "variables": {"SFENV_USER": ACTOR["gitlab"]},
            "rules": [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event" && '
                             f'$CI_MERGE_REQUEST_TARGET_BRANCH_NAME == "{opts.main_branch}"'}],
            "script": pr_commands(flow, "mr-$CI_MERGE_REQUEST_IID", "gitlab", opts),
        }
        doc["sfenv-deploy"] = {
            "stage": "deploy",
            "resource_group": f"sfenv-org-{flow.target}",  # queued, never cancelled
            "variables": {"SFENV_USER": ACTOR["gitlab"]},
            "rules": [{"if": '$CI_PIPELINE_SOURCE == "push" && '
                             f'$CI_COMMIT_BRANCH == "{opts.main_branch}"'}],
            "script": merge_commands(flow, "main-$CI_COMMIT_SHORT_SHA", opts, build=True),
        }
    return {".gitlab-ci.yml": _dump("gitlab", doc)}


# --- Azure Pipelines ---------------------------------------------------------------------------

def _az_setup(opts: CiOptions) -> list[dict[str, Any]]:
    # The schema (and Azure) reads these values as strings.
    return [{"checkout": "self", "fetchDepth": "0", "persistCredentials": "true"},
            {"task": "UsePythonVersion@0", "inputs": {"versionSpec": opts.python}},
            {"script": opts.install, "displayName": "Install sfenv"}]


def _az_steps(commands: list[str], envs: list[EnvConfig],
              extra: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Secret variables reach a script only when mapped in its `env`."""
    mapped = {n: f"$({n})" for e in envs for n in secret_names(e)} | (extra or {})
    return [{"script": cmd, "displayName": cmd, "env": mapped} for cmd in commands]


def _az_scheduled(name: str, cron: str, jobs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"trigger": "none", "pr": "none",
            "schedules": [{"cron": cron, "displayName": name, "branches": {"include": ["main"]},
                           "always": "true"}],
            "jobs": jobs}


def _az_pr_file(config: Config, flow: PrFlow, opts: CiOptions) -> dict[str, Any]:
    """One pipeline for pull requests and merges; Build.Reason says which it is."""
    target = [config.environments[flow.target]]
    pool = {"vmImage": "ubuntu-latest"}
    return {
        "trigger": {"branches": {"include": [opts.main_branch]}},
        "pr": {"branches": {"include": [opts.main_branch]}},
        "jobs": [
            {"job": "sfenv_pr", "displayName": f"plan and validate against {flow.target}",
             "condition": "eq(variables['Build.Reason'], 'PullRequest')", "pool": pool,
             "steps": _az_setup(opts) + _az_steps(
                 pr_commands(flow, "pr-$(System.PullRequest.PullRequestId)", "azure", opts),
                 target, {"SYSTEM_ACCESSTOKEN": "$(System.AccessToken)",
                          "SFENV_USER": ACTOR["azure"]})},
            {"job": "sfenv_deploy", "displayName": f"deploy the merge to {flow.target}",
             "condition": "in(variables['Build.Reason'], 'IndividualCI', 'BatchedCI')",
             "pool": pool,
             "steps": _az_setup(opts) + _az_steps(
                 merge_commands(flow, "main-$(Build.BuildId)", opts, build=True), target,
                 {"SFENV_USER": ACTOR["azure"]})},
        ],
    }


def azure(config: Config, opts: CiOptions) -> dict[str, str]:
    setup = _az_setup(opts)
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
    files = {"azure-pipelines.yml": _dump("azure", _az_scheduled("sfenv nightly backups",
                                                                  BACKUP_CRON, jobs))}
    prod = production_envs(config)
    if prod:
        adoption = {"job": "adoption", "displayName": "sfenv adoption",
                    "pool": {"vmImage": "ubuntu-latest"},
                    "steps": setup + _az_steps(_adoption_commands([e.name for e in prod], opts),
                                               prod)}
        files["azure-pipelines-adoption.yml"] = _dump(
            "azure", _az_scheduled("sfenv daily adoption", ADOPTION_CRON, [adoption]))
    flow = pr_flow(config)
    if flow:
        files["azure-pipelines-pr.yml"] = _dump("azure", _az_pr_file(config, flow, opts))
    return files


class _Dumper(yaml.SafeDumper):
    """Writes a shared list or mapping out in full each time: a reader of the pipeline file
    should not have to follow `&id001` anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump(provider: str, doc: dict[str, Any]) -> str:
    return HEADER.format(provider=provider) + yaml.dump(doc, Dumper=_Dumper, sort_keys=False,
                                                        width=1000)


GENERATORS = {"github": github, "gitlab": gitlab, "azure": azure}


def pipeline_files(provider: str, config: Config, opts: CiOptions) -> dict[str, str]:
    """Relative path -> file text for `provider` (one of PROVIDERS)."""
    return GENERATORS[provider](config, opts)
