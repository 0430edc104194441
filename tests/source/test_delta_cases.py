"""Fixture cases of `sfenv delta`: two commits (`from/`, `to/`) of a repository give exactly
the package in `expected/` (package.xml, destructive manifests, src/ files), byte for byte."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from tests.source.gitrepo import GitRepo
from tests.source.helpers import CASES, read_tree, tree_differences

DELTA = sorted(p for p in (CASES / "delta").iterdir() if p.is_dir())


def two_commits(case: Path, root: Path) -> GitRepo:
    repo = GitRepo(root)
    repo.copy_tree(case / "from")
    repo.commit("from")
    for child in root.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    repo.copy_tree(case / "to")
    repo.commit("to")
    return repo


def run_delta(repo: GitRepo, out: Path, *extra: str):
    with contextlib.chdir(repo.root):
        return CliRunner().invoke(main, ["delta", "HEAD~1", "HEAD", "--out", str(out), *extra],
                                  catch_exceptions=False)


@pytest.mark.parametrize("case", DELTA, ids=[p.name for p in DELTA])
def test_delta_between_two_commits_is_the_expected_package(case, tmp_path):
    repo = two_commits(case, tmp_path / "repo")
    result = run_delta(repo, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert tree_differences(read_tree(tmp_path / "out"), read_tree(case / "expected")) == []


def test_standard_fields_and_objects_are_held_not_deleted(tmp_path):
    repo = two_commits(CASES / "delta" / "d03-standard-never-deleted", tmp_path / "repo")
    result = run_delta(repo, tmp_path / "out", "--json")
    data = json.loads(result.stdout)
    assert data["destructive"] == {"CustomField": ["Account.Region__c", "Contact.Nick__c"]}
    assert {h["component"] for h in data["held"]} == {"CustomField:Account.Industry",
                                                      "CustomObject:Contact"}


def test_a_renamed_class_is_deployed_under_its_new_name_and_deleted_under_the_old(tmp_path):
    repo = two_commits(CASES / "delta" / "d01-renamed-class", tmp_path / "repo")
    data = json.loads(run_delta(repo, tmp_path / "out", "--json").stdout)
    assert data["package"] == {"ApexClass": ["NewName"]}
    assert data["destructive"] == {"ApexClass": ["OldName"]}


def test_an_unknown_commit_is_a_one_line_error(tmp_path):
    repo = two_commits(CASES / "delta" / "d01-renamed-class", tmp_path / "repo")
    with contextlib.chdir(repo.root):
        result = CliRunner().invoke(main, ["delta", "nope", "HEAD"], catch_exceptions=False)
    assert result.exit_code == 2
    assert "no branch, tag or commit 'nope'" in result.output


def test_a_translation_ships_only_changed_entries_and_holds_removed_ones(tmp_path):
    repo = two_commits(CASES / "delta" / "d07-translation-trimmed", tmp_path / "repo")
    data = json.loads(run_delta(repo, tmp_path / "out", "--json").stdout)
    assert data["package"] == {"CustomObjectTranslation": ["Vehicle__c-es"]}
    assert data["destructive"] == {}
    assert data["held"] == [{"component": "CustomFieldTranslation:Vehicle__c-es.Color__c",
                             "reason": "a removed entry: remove it by hand"}]


def test_source_format_output_has_the_changed_field_only_in_sfdx_git_delta_layout(tmp_path):
    repo = two_commits(CASES / "delta" / "d02-field-moved-between-package-dirs", tmp_path / "repo")
    result = run_delta(repo, tmp_path / "out", "--format", "source")
    assert result.exit_code == 0, result.output
    got = read_tree(tmp_path / "out")
    assert sorted(got) == ["destructiveChanges/destructiveChanges.xml", "destructiveChanges/package.xml",
                           "force-app/main/default/objects/Vehicle__c/Vehicle__c.object-meta.xml",
                           "force-app/main/default/objects/Vehicle__c/fields/Km__c.field-meta.xml",
                           "package/package.xml"]
    assert b"<length>12</length>" in got["force-app/main/default/objects/Vehicle__c/fields/Km__c.field-meta.xml"]
    assert b"<members>Vehicle__c.Km__c</members>" in got["package/package.xml"]


def test_a_class_whose_body_was_deleted_is_deleted_and_its_left_meta_file_named(tmp_path):
    """nks-4 (646a4f6c): the commit deletes `X.cls` and keeps `X.cls-meta.xml`. A class without
    a body cannot deploy, so it is deleted (as sfdx-git-delta does) and the warning names the
    file left behind."""
    repo = two_commits(CASES / "delta" / "d09-class-body-deleted-meta-kept", tmp_path / "repo")
    data = json.loads(run_delta(repo, tmp_path / "out", "--json").stdout)
    assert data["package"] == {}
    assert data["destructive"] == {"ApexClass": ["Handler"]}
    assert any("classes/Kafka/Handler.cls-meta.xml" in w and "Handler.cls" in w
               for w in data["warnings"]), data["warnings"]


def test_a_walk_cache_gives_the_same_delta_and_is_reused(tmp_path):
    """`make corpora` passes one cache of canonical files to the deltas of consecutive pairs:
    the same result as without it, and a second pair over the same files parses nothing new."""
    from sfenv.services.train.delta import compute_delta

    repo = two_commits(CASES / "delta" / "d04-profile-trimmed-to-changed-entry", tmp_path / "repo")
    plain = compute_delta(repo.root, "HEAD~1", "HEAD")
    cache: dict[tuple[str, bytes], bytes] = {}
    first = compute_delta(repo.root, "HEAD~1", "HEAD", cache=cache)
    size = len(cache)
    second = compute_delta(repo.root, "HEAD~1", "HEAD", cache=cache)
    assert size > 0 and len(cache) == size
    for got in (first, second):
        assert (got.package, got.destructive, got.files) == \
            (plain.package, plain.destructive, plain.files)
