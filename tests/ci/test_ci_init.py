"""`sfenv ci init`: generated pipelines pass the CI systems' own schemas (and actionlint for
GitHub), give each job only its environment's secrets, and their commands work when replayed
against local orgs."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.projects import local_project

CONFIG = """\
project: acme
api_version: "62.0"
environments:
  branch: {kind: git, ref: HEAD}
  dev: {login_url: "https://dev.example", username: a@dev, password_env: SFENV_DEV_PW}
  qa: {auth: access_token, access_token_env: QA_TOKEN, instance_url: "https://qa.example"}
  prod: {login_url: "https://login.example", username: a@prod, password_env: PROD_PW,
         token_env: PROD_TOKEN, production: true}
path: [branch, dev, qa, prod]
"""
SCHEMAS = {".github/workflows/sfenv-nightly.yml": "vendor.github-workflows",
           ".github/workflows/sfenv-monitor.yml": "vendor.github-workflows",
           ".github/workflows/sfenv-adoption.yml": "vendor.github-workflows",
           ".github/workflows/sfenv-pr.yml": "vendor.github-workflows",
           ".github/workflows/sfenv-merge.yml": "vendor.github-workflows",
           ".gitlab-ci.yml": "vendor.gitlab-ci",
           "azure-pipelines.yml": "vendor.azure-pipelines",
           "azure-pipelines-adoption.yml": "vendor.azure-pipelines",
           "azure-pipelines-pr.yml": "vendor.azure-pipelines"}
WRITTEN = {"github": 5, "gitlab": 1, "azure": 3}


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "sfenv.yml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _init(*args: str):
    from click.testing import CliRunner

    from sfenv.cli import main
    return CliRunner().invoke(main, ["ci", "init", *args])


@pytest.mark.parametrize("provider", ["github", "gitlab", "azure"])
def test_generated_files_pass_the_providers_schema(project, provider):
    result = _init(provider)
    assert result.exit_code == 0, result.output
    assert "Add these secrets to the CI system's secret store: PROD_PW, PROD_TOKEN, QA_TOKEN, " \
           "SFENV_DEV_PW" in result.output
    written = [p for p in SCHEMAS if (project / p).exists()]
    assert len(written) == WRITTEN[provider], written
    if shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("check-jsonschema is not installed (make install brings it)")
    for rel in written:
        check = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"),
                                "--regex-variant", "python", "--builtin-schema", SCHEMAS[rel],
                                str(project / rel)],
                               capture_output=True, text=True)
        assert check.returncode == 0, f"{rel}: {check.stdout}{check.stderr}"


def test_github_workflows_pass_actionlint(project):
    assert _init("github").exit_code == 0
    actionlint = Path(sys.executable).parent / "actionlint"
    if not actionlint.exists():
        pytest.skip("actionlint is not installed (make install brings it on x86-64 Linux)")
    check = subprocess.run([str(actionlint), "-no-color",
                            *sorted(str(p) for p in (project / ".github/workflows").glob("*.yml"))],
                           capture_output=True, text=True, cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_backup_job_sees_only_its_own_environments_secrets(project):
    assert _init("github").exit_code == 0
    doc = yaml.safe_load((project / ".github/workflows/sfenv-nightly.yml").read_text())
    job = doc["jobs"]["backup"]
    assert job["strategy"]["matrix"]["env"] == ["dev", "qa", "prod"]  # orgs only, not git
    assert job["concurrency"]["group"] == "sfenv-org-${{ matrix.env }}"
    assert job["env"]["PROD_PW"] == "${{ matrix.env == 'prod' && secrets.PROD_PW || '' }}"
    assert job["env"]["QA_TOKEN"] == "${{ matrix.env == 'qa' && secrets.QA_TOKEN || '' }}"
    monitor = yaml.safe_load((project / ".github/workflows/sfenv-monitor.yml").read_text())
    assert set(monitor["jobs"]["monitor"]["env"]) == {"PROD_PW", "PROD_TOKEN"}


def test_existing_files_are_kept_unless_forced(project):
    assert _init("gitlab").exit_code == 0
    (project / ".gitlab-ci.yml").write_text("# ours\n")
    again = _init("gitlab")
    assert again.exit_code == 2 and ".gitlab-ci.yml exists: nothing written" in again.output
    assert (project / ".gitlab-ci.yml").read_text() == "# ours\n"
    assert _init("gitlab", "--force").exit_code == 0


def test_backup_job_commands_replayed_against_local_orgs_back_up_into_the_shared_repository(
        tmp_path, monkeypatch):
    with local_project(tmp_path, {"dev": "acme-dev", "prod": "acme-prod"}, monkeypatch) as p:
        shared = tmp_path / "shared.git"
        subprocess.run(["git", "init", "--quiet", "--bare", str(shared)], check=True)
        root = p.config().root
        from sfenv.io.store.snapshots import SnapshotStore
        SnapshotStore(root)
        subprocess.run(["git", "-C", str(root), "remote", "add", "origin", str(shared)],
                       check=True)
        assert p.cli("ci", "init", "github").exit_code == 0
        doc = yaml.safe_load((p.root / ".github/workflows/sfenv-nightly.yml").read_text())
        job = doc["jobs"]["backup"]
        commands = [s["run"] for s in job["steps"] if "run" in s and s["run"].startswith("sfenv ")]
        for env in job["strategy"]["matrix"]["env"]:
            for command in commands:
                args = shlex.split(command.replace("${{ matrix.env }}", env))[1:]
                result = p.cli(*args)
                assert result.exit_code == 0, f"{command} ({env}): {result.output}"
        tags = subprocess.run(["git", "--git-dir", str(shared), "tag", "--list", "backup/*"],
                              capture_output=True, text=True, check=True).stdout.split()
        assert {t.split("/")[1] for t in tags} == {"dev", "prod"}
        heads = subprocess.run(["git", "--git-dir", str(shared), "for-each-ref",
                                "--format=%(refname)", "refs/heads/sfenv/"],
                               capture_output=True, text=True, check=True).stdout.split()
        assert {"refs/heads/sfenv/dev", "refs/heads/sfenv/prod"} <= set(heads)


def _commands(steps: list[dict]) -> list[str]:
    return [s.get("run") or s.get("script") for s in steps
            if str(s.get("run") or s.get("script") or "").startswith("sfenv ")]


def test_github_pull_request_job_plans_comments_and_validates_against_the_next_stage(project):
    assert _init("github").exit_code == 0
    doc = yaml.safe_load((project / ".github/workflows/sfenv-pr.yml").read_text())
    assert doc["on"]["pull_request"]["branches"] == ["main"]
    assert doc["permissions"]["pull-requests"] == "write"
    job = doc["jobs"]["validate"]
    # the job sees the next stage's secrets and the job token, nothing of qa or prod
    assert job["env"] == {"SFENV_DEV_PW": "${{ secrets.SFENV_DEV_PW }}",
                          "GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}",
                          "SFENV_USER": "${{ github.actor }}"}  # named in the release log
    train = "pr-${{ github.event.pull_request.number }}"
    assert _commands(job["steps"]) == [
        "sfenv sync --remote origin",
        "sfenv pull branch",
        f"sfenv release build {train} --from branch --to dev --force",
        f"sfenv release plan {train} --from branch --to dev --format markdown-comment "
        "> sfenv-plan.md",
        "sfenv ci comment --provider github --body sfenv-plan.md",
        f"sfenv release promote {train} --to dev --check-only",
        "sfenv sync --remote origin"]


def test_github_merge_job_promotes_the_validated_train_of_the_merged_pull_request(project):
    assert _init("github").exit_code == 0
    doc = yaml.safe_load((project / ".github/workflows/sfenv-merge.yml").read_text())
    assert doc["on"]["pull_request"]["types"] == ["closed"]
    job = doc["jobs"]["deploy"]
    assert job["if"] == "github.event.pull_request.merged == true"
    assert job["concurrency"] == {"group": "sfenv-deploy-dev", "cancel-in-progress": False}
    assert _commands(job["steps"]) == [
        "sfenv sync --remote origin",
        "sfenv release promote pr-${{ github.event.pull_request.number }} --to dev --yes",
        "sfenv sync --remote origin"]


def test_gitlab_and_azure_merge_jobs_build_the_merged_commit_then_promote(project):
    assert _init("gitlab").exit_code == 0
    gitlab = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    assert gitlab["sfenv-pr"]["script"][4] == \
        "sfenv ci comment --provider gitlab --body sfenv-plan.md"
    assert gitlab["sfenv-deploy"]["resource_group"] == "sfenv-org-dev"
    assert gitlab["sfenv-deploy"]["script"][2:4] == [
        "sfenv release build main-$CI_COMMIT_SHORT_SHA --from branch --to dev",
        "sfenv release promote main-$CI_COMMIT_SHORT_SHA --to dev --yes"]
    assert _init("azure").exit_code == 0
    azure = yaml.safe_load((project / "azure-pipelines-pr.yml").read_text())
    pr, deploy = azure["jobs"]
    assert pr["condition"] == "eq(variables['Build.Reason'], 'PullRequest')"
    comment = next(s for s in pr["steps"] if "ci comment" in s.get("script", ""))
    assert comment["env"]["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
    assert "sfenv release promote main-$(Build.BuildId) --to dev --yes" in \
        _commands(deploy["steps"])


def test_daily_adoption_job_reports_production_then_syncs(project):
    assert _init("github").exit_code == 0
    doc = yaml.safe_load((project / ".github/workflows/sfenv-adoption.yml").read_text())
    assert doc["on"]["schedule"] == [{"cron": "37 5 * * *"}]
    job = doc["jobs"]["adoption"]
    assert set(job["env"]) == {"PROD_PW", "PROD_TOKEN"}
    assert _commands(job["steps"]) == ["sfenv sync --remote origin", "sfenv adoption --env prod",
                                       "sfenv sync --remote origin"]
    assert _init("gitlab").exit_code == 0
    gitlab = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    assert gitlab["adoption"]["script"][1] == "sfenv adoption --env prod"


def test_without_a_branch_environment_there_are_no_pull_request_jobs(project):
    (project / "sfenv.yml").write_text(CONFIG.replace("  branch: {kind: git, ref: HEAD}\n", "")
                                       .replace("[branch, dev", "[dev"))
    result = _init("github")
    assert result.exit_code == 0
    assert "No pull-request or merge jobs: the path does not start at a kind: git" in result.output
    assert not (project / ".github/workflows/sfenv-pr.yml").exists()
    assert not (project / ".github/workflows/sfenv-merge.yml").exists()
