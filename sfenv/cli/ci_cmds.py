"""`sfenv ci init PROVIDER`: write the team's pipeline files from sfenv.yml."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sfenv import __version__
from sfenv.cli.common import config_option, emit_json, load
from sfenv.errors import EXIT_USAGE


@click.group("ci")
def ci_group() -> None:
    """Run sfenv from a team's CI (GitHub Actions, GitLab CI, Azure Pipelines).

    \b
    Example:
      sfenv ci init github
    """


@ci_group.command("init")
@click.argument("provider", type=click.Choice(["github", "gitlab", "azure"]))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Where to write (default: the folder of sfenv.yml).")
@click.option("--install", default=f"pip install sfenv=={__version__}", show_default=True,
              help="The command a job runs to install sfenv.")
@click.option("--max-parallel", type=click.IntRange(1, 25), default=4, show_default=True,
              help="Backup jobs at a time (Salesforce allows 25 long calls per org).")
@click.option("--remote", default="origin", show_default=True,
              help="The git remote of the shared metadata repository.")
@click.option("--main-branch", default="main", show_default=True,
              help="The branch pull requests merge into (the merge job deploys from it).")
@click.option("--force", is_flag=True, help="Replace pipeline files that exist.")
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
@config_option
def ci_init(provider: str, out_dir: str | None, install: str, max_parallel: int, remote: str,
            main_branch: str, force: bool, as_json: bool, config_path: str | None) -> None:
    """Write PROVIDER's pipeline files: nightly backups of every org environment (one job
    each, one at a time per org, MAX_PARALLEL at once), an hourly monitor and a daily adoption
    report of production, and, when the path starts at a `kind: git` environment with
    `ref: HEAD`, the pull-request job (plan comment and validation-only deploy to the next
    stage) and the deploy on merge. Every step is a plain sfenv command. Prints the secrets to
    add to the CI secret store. Existing files are kept unless --force.

    \b
    Example:
      sfenv ci init github && git add .github && git commit -m "sfenv pipelines"
    """
    from sfenv.services.ci.pipelines import (
        TOKEN_SECRETS,
        CiOptions,
        org_envs,
        pipeline_files,
        pr_flow,
        secret_names,
    )

    config = load(config_path)
    root = Path(out_dir) if out_dir else config.file.parent
    files = pipeline_files(provider, config, CiOptions(install=install, max_parallel=max_parallel,
                                                       remote=remote, main_branch=main_branch))
    flow = pr_flow(config)
    taken = sorted(p for p in files if (root / p).exists())
    if taken and not force:
        click.echo(f"error: {root / taken[0]} exists: nothing written (use --force to "
                   f"replace it)", err=True)
        sys.exit(EXIT_USAGE)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    secrets = sorted({n for e in org_envs(config) for n in secret_names(e)})
    if flow and provider == "gitlab":  # GitHub and Azure give their job a token themselves
        secrets.append(TOKEN_SECRETS["gitlab"])
    if as_json:
        emit_json({"provider": provider, "files": sorted(files), "secrets": secrets,
                   "pull_request": {"branch": flow.branch, "target": flow.target}
                   if flow else None})
        return
    for rel in files:
        click.echo(f"wrote {root / rel}")
    if secrets:
        click.echo("Add these secrets to the CI system's secret store: " + ", ".join(secrets))
    if flow is None:
        click.echo("No pull-request or merge jobs: the path does not start at a kind: git "
                   "environment reading the checkout (e.g. `branch: {kind: git, ref: HEAD}` "
                   "first on the path).")
    elif provider == "gitlab":
        click.echo(f"{TOKEN_SECRETS['gitlab']}: a project access token with the api scope "
                   f"(the merge-request comment); mask it.")


@ci_group.command("comment")
@click.option("--provider", required=True, type=click.Choice(["github", "gitlab", "azure"]),
              help="The CI system whose pull request gets the comment.")
@click.option("--body", "body_file", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The comment (from `sfenv release plan … --format markdown-comment`).")
@click.option("--pr", "number", default=None, metavar="N",
              help="The pull request (default: from the CI system's variables).")
@click.option("--token-env", default=None, metavar="VAR",
              help="The variable holding the API token (default: GITHUB_TOKEN, GITLAB_TOKEN, "
                   "SYSTEM_ACCESSTOKEN).")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
def ci_comment(provider: str, body_file: str, number: str | None, token_env: str | None,
               as_json: bool) -> None:
    """Post the plan comment on this job's pull request, or update sfenv's comment there
    (the one carrying the marker) so each pull request keeps one. Exit 2 when a variable is
    missing, 3 when the provider's API refuses or cannot be reached.

    \b
    Example:
      sfenv release plan pr-12 --from branch --format markdown-comment > sfenv-plan.md
      sfenv ci comment --provider github --body sfenv-plan.md
    """
    import os

    from sfenv.services.ci.comment import pull_request, upsert
    from sfenv.views.plan_comment import MARKER

    body = Path(body_file).read_text(encoding="utf-8")
    posted = upsert(pull_request(provider, os.environ, number=number, token_env=token_env), body,
                    MARKER)
    if as_json:
        emit_json(posted.to_dict())
    else:
        click.echo(f"{posted.action} the sfenv comment on {provider} pull request "
                   f"{posted.number} (comment {posted.id})")


COMMANDS = [ci_group]
