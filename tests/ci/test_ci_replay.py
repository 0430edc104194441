"""The generated GitHub jobs, replayed command by command against three local orgs: the
nightly backups fill the shared repository, a pull request's job plans, posts the plan as its
one comment (to a local fake of GitHub's API) and validates against the next stage, and the
merge job deploys that same train, verified."""

from __future__ import annotations

import shlex
import subprocess
from contextlib import contextmanager

import pytest
import yaml

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.views.plan_comment import MARKER
from tests.ci.fakeprs import ci_variables, fake_api
from tests.projects import Project, local_project
from tests.source.gitrepo import NEW_FIELD, PERMSET, GitRepo

BRANCH_ENV = "  branch:\n    kind: git\n    ref: HEAD\n"
PR = "12"


def _job_commands(project: Project, workflow: str, job: str) -> list[str]:
    doc = yaml.safe_load((project.root / ".github/workflows" / workflow).read_text())
    return [s["run"] for s in doc["jobs"][job]["steps"]
            if "run" in s and s["run"].startswith("sfenv ")]


def _replay(project: Project, command: str, **values: str) -> str:
    """Run one generated step as the CI shell would: `${{ … }}` filled in, `> FILE` honoured."""
    for name, value in values.items():
        command = command.replace(name, value)
    command, _, out = command.partition(" > ")
    result = project.cli(*shlex.split(command)[1:])
    assert result.exit_code == 0, f"{command}: {result.output}"
    if out:
        (project.root / out.strip()).write_text(result.stdout)
    return result.stdout


@contextmanager
def _team(tmp_path, monkeypatch, provider: str):
    """Three local orgs on the path after the branch, the shared repository as `origin`, the
    pipeline files written, the CI's variables pointing at a local fake of the provider."""
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    with local_project(tmp_path, {"dev": "acme-dev", "qa": "acme-qa", "prod": "acme-prod"},
                       monkeypatch, path=["branch", "dev", "qa", "prod"]) as project, \
            fake_api() as api:
        text = project.config_path.read_text()
        project.config_path.write_text(text.replace("environments:\n",
                                                    "environments:\n" + BRANCH_ENV, 1))
        repo = GitRepo.__new__(GitRepo)
        repo.root = project.root
        repo.git("init", "-q", "-b", "main")
        repo.write(".gitignore", "releases/\nsfenv-plan.md\n")
        shared = tmp_path / "shared.git"
        subprocess.run(["git", "init", "--quiet", "--bare", str(shared)], check=True)
        repo.git("remote", "add", "origin", str(shared))
        project.ok("ci", "init", provider)
        for name, value in ci_variables(provider, api.url, int(PR)).items():
            monkeypatch.setenv(name, value)
        yield project, repo, api, shared


def _open_pull_request(project: Project, repo: GitRepo) -> None:
    """The team's repository is dev as source; the pull request adds a field and a set."""
    project.ok("export", "dev", str(project.root), "--format", "source")
    repo.commit("dev as source", author="Ann Admin")
    repo.git("checkout", "-q", "-b", "fleet")
    repo.write("force-app/main/default/objects/Account/fields/Fleet_Size__c.field-meta.xml",
               NEW_FIELD)
    repo.write("force-app/main/default/permissionsets/Fleet_Manager.permissionset-meta.xml",
               PERMSET)
    repo.commit("Account.Fleet_Size__c", author="Ben Builder")


def _merge(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #12", "fleet")


def _check_comment(api, train: str) -> None:
    assert len(api.comments) == 1
    body = api.comments[0]["body"]
    # the field, the set and the set's grant of the field
    assert body.startswith(MARKER + f"\n**sfenv plan {train}: branch → dev: 3 to add, ")
    assert "`Account.Fleet_Size__c` — Ben Builder" in body
    assert "### Checklist (1 step)" in body and "(`permset-assign.Fleet_Manager`)" in body


def _log(shared, train: str) -> str:
    return subprocess.run(["git", "--git-dir", str(shared), "show",
                           f"refs/heads/sfenv/releases:releases/{train}/log.json"],
                          capture_output=True, text=True, check=True).stdout


def _dev_has_the_field(project: Project) -> bool:
    store = SnapshotStore(project.root)
    return "<fullName>Fleet_Size__c</fullName>" in store.read_file(
        store.head("dev"), "objects/Account.object").decode()


@pytest.mark.slow  # starts three local orgs
def test_github_pull_request_then_merge_jobs_validate_comment_and_deploy(tmp_path, monkeypatch):
    with _team(tmp_path, monkeypatch, "github") as (project, repo, github, shared):
        nightly = _job_commands(project, "sfenv-nightly.yml", "backup")
        for env in ("dev", "qa", "prod"):  # the nightly matrix fills the shared repository
            for command in nightly:
                _replay(project, command, **{"${{ matrix.env }}": env})
        _open_pull_request(project, repo)
        pr_number = {"${{ github.event.pull_request.number }}": PR}
        for command in _job_commands(project, "sfenv-pr.yml", "validate"):
            _replay(project, command, **pr_number)
        _check_comment(github, "pr-12")
        assert not _dev_has_the_field(project)  # validated only
        # a second push: the train is rebuilt, validated again, the one comment updated
        repo.write("force-app/main/default/objects/Account/fields/Fleet_Size__c.field-meta.xml",
                   NEW_FIELD.replace("Fleet Size", "Fleet Size (vehicles)"))
        repo.commit("label", author="Ben Builder")
        for command in _job_commands(project, "sfenv-pr.yml", "validate"):
            _replay(project, command, **pr_number)
        _check_comment(github, "pr-12")
        assert [m for m, _ in github.requests].count("PATCH") == 1

        # merged: the merge job promotes the train the pull request validated
        _merge(repo)
        for command in _job_commands(project, "sfenv-merge.yml", "deploy"):
            _replay(project, command, **pr_number)
        assert _dev_has_the_field(project)
        store = SnapshotStore(project.root)
        assert "Fleet Size (vehicles)" in store.read_file(store.head("dev"),
                                                          "objects/Account.object").decode()
        log = _log(shared, "pr-12")
        assert '"validated"' in log and '"deployed"' in log
        assert len(github.comments) == 1


@pytest.mark.slow  # starts three local orgs
def test_gitlab_merge_request_then_merge_jobs_validate_comment_and_deploy(tmp_path, monkeypatch):
    with _team(tmp_path, monkeypatch, "gitlab") as (project, repo, gitlab, shared):
        doc = yaml.safe_load((project.root / ".gitlab-ci.yml").read_text())
        for env in ("dev", "qa", "prod"):
            for command in doc[f"backup-{env}"]["script"]:
                _replay(project, command)
        _open_pull_request(project, repo)
        for command in doc["sfenv-pr"]["script"]:
            _replay(project, command, **{"$CI_MERGE_REQUEST_IID": PR})
        _check_comment(gitlab, "mr-12")
        assert not _dev_has_the_field(project)

        _merge(repo)
        short = repo.git("rev-parse", "--short", "HEAD")
        for command in doc["sfenv-deploy"]["script"]:
            _replay(project, command, **{"$CI_COMMIT_SHORT_SHA": short})
        assert _dev_has_the_field(project)
        assert '"validated"' in _log(shared, "mr-12")
        assert '"deployed"' in _log(shared, f"main-{short}")
