"""`sfenv delta` refusing a commit whose files are broken: one line, exit 2, naming the file the
way the user finds it in the repository (`<commit>:<path>` or `@<commit>/sfdx-project.json`),
never sfenv's converted Metadata API file nor the folder the repository is checked out in.
Both cases come from the corpora walk (docs/wave3/walk-3.md)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from click.testing import CliRunner

from sfenv.cli import main
from tests.source.gitrepo import NEW_FIELD, GitRepo

PROJECT = '{"packageDirectories": [{"path": "force-app", "default": true}], ' \
          '"sourceApiVersion": "62.0"}'
OBJECT = """<?xml version="1.0" encoding="UTF-8"?>
<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">
    <label>Person</label>
</CustomObject>
"""
FIELDS = "force-app/main/default/objects/Person__c/fields"
CLASS = "force-app/main/default/classes/Hello.cls"


def project(root: Path) -> GitRepo:
    repo = GitRepo(root)
    repo.write("sfdx-project.json", PROJECT)
    repo.write("force-app/main/default/objects/Person__c/Person__c.object-meta.xml", OBJECT)
    repo.write(f"{FIELDS}/Fleet_Size__c.field-meta.xml", NEW_FIELD)
    repo.write(CLASS, "public class Hello {}\n")
    repo.write(CLASS + "-meta.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass '
               'xmlns="http://soap.sforce.com/2006/04/metadata"><apiVersion>62.0</apiVersion>'
               '<status>Active</status></ApexClass>\n')
    repo.commit("first")
    return repo


def delta(repo: GitRepo, old: str, new: str):
    with contextlib.chdir(repo.root):
        return CliRunner().invoke(main, ["delta", old, new], catch_exceptions=False)


def test_a_field_file_holding_only_a_label_is_refused_naming_the_field_file(tmp_path):
    """nav-crm-nks-base 94649da599..ea56733afc added a field file holding the one line
    `<label>…</label>`; the refusal named `objects/Person__c.object:3`, a file sfenv makes."""
    repo = project(tmp_path / "repo")
    repo.write(f"{FIELDS}/Verified__c.field-meta.xml", "    <label>Last Verified</label>\n")
    new = repo.commit("a field file without its field")
    result = delta(repo, "HEAD~1", "HEAD")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {new[:12]}:{FIELDS}/Verified__c.field-meta.xml:1: ")
    assert "<fullName>" in lines[0]
    assert "Person__c.object" not in lines[0]


def test_a_broken_project_file_both_commits_share_is_named_at_the_commit(tmp_path):
    """nav-crm-nks-base 54f167d209..eeed24ab6c: both commits hold the same broken
    `sfdx-project.json`; the refusal named `<checkout folder>/sfdx-project.json` where the
    pairs around it said `@<commit>/sfdx-project.json`."""
    repo = project(tmp_path / "repo")
    repo.write("sfdx-project.json", PROJECT + "\n}\n")
    broken = repo.commit("a project file that is not JSON")
    repo.write(CLASS, "public class Hello { }\n")
    repo.commit("a change beside it")
    for old, new, named in (("HEAD~2", "HEAD~1", broken), ("HEAD~1", "HEAD", broken)):
        result = delta(repo, old, new)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"error: @{named[:12]}/sfdx-project.json: not valid JSON: ")
        assert str(tmp_path) not in lines[0]


def test_a_broken_project_file_under_path_is_named_with_its_folder(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.write("org/sfdx-project.json", PROJECT + "\n}\n")
    repo.write("org/force-app/main/default/classes/Hello.cls", "public class Hello {}\n")
    first = repo.commit("first")
    repo.write("org/force-app/main/default/classes/Hello.cls", "public class Hello { }\n")
    repo.commit("second")
    with contextlib.chdir(repo.root):
        result = CliRunner().invoke(main, ["delta", "HEAD~1", "HEAD", "--path", "org"],
                                    catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith(
        f"error: @{first[:12]}/org/sfdx-project.json: not valid JSON: ")


def test_a_commit_removing_the_field_file_without_its_name_is_not_refused(tmp_path):
    """f60d4bef23..c5b305a46a of the same corpus: the next commit of the branch removed the
    file. The converter keeps such a file as it is (only what needs the field's name refuses),
    so the pair that repairs it is computed, as before."""
    repo = project(tmp_path / "repo")
    repo.write(f"{FIELDS}/Verified__c.field-meta.xml", "    <label>Last Verified</label>\n")
    repo.commit("a field file without its field")
    repo.remove(f"{FIELDS}/Verified__c.field-meta.xml")
    repo.commit("removed again")
    result = delta(repo, "HEAD~1", "HEAD")
    assert result.exit_code == 0, result.output
    assert "to deploy" in result.output


def test_a_new_package_version_does_not_read_the_files_the_pair_leaves_alone(tmp_path):
    """nav-crm-nks-base from c341f9a5f6 (2025-10-07): a flexipage committed with merge-conflict
    markers stayed for weeks, and every pair that also bumped `versionNumber` in
    sfdx-project.json read both whole trees and was refused for that file, which the pair did
    not touch (55 pairs). The package version decides nothing about how files are read."""
    repo = project(tmp_path / "repo")
    repo.write("force-app/main/default/flexipages/Broken.flexipage-meta.xml",
               "<FlexiPage>\n<<<<<<< HEAD\n</FlexiPage>\n")
    repo.commit("a file left broken")
    repo.write("sfdx-project.json", PROJECT.replace('"default": true', '"default": true, '
                                                    '"versionNumber": "0.2.0.NEXT"'))
    repo.write(CLASS, "public class Hello { }\n")
    repo.commit("the next package version, and a class")
    result = delta(repo, "HEAD~1", "HEAD")
    assert result.exit_code == 0, result.output
    assert "deploy ApexClass: Hello" in result.output
    # moving the package directory changes what every file is: the whole trees are read
    repo.write("sfdx-project.json", PROJECT.replace('"force-app"', '"force-app/main"'))
    repo.commit("another package directory")
    result = delta(repo, "HEAD~1", "HEAD")
    assert result.exit_code == 2
    assert "Broken.flexipage-meta.xml" in result.output
