"""`kind: git` and `kind: dir` environments: `sfenv pull` turns a branch or a folder of an sfdx
project into a snapshot that `diff` compares like an org's."""

from __future__ import annotations

import contextlib
import json

from click.testing import CliRunner

from sfenv.cli import main
from sfenv.io.store.snapshots import SnapshotStore
from tests.source.gitrepo import GitRepo
from tests.source.helpers import CASES

FIELD = "force-app/main/default/objects/Vehicle__c/fields/Plate__c.field-meta.xml"
CONFIG = """project: fleet
api_version: "62.0"
environments:
  main:
    kind: git
    ref: main
  feature:
    kind: git
    ref: feature/plates
  folder:
    kind: dir
    path: .
    values:
      TRACK_HOST: track.qa.example.com
path: [main, folder]
"""


def _cli(root, *args):
    with contextlib.chdir(root):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _project(tmp_path) -> GitRepo:
    repo = GitRepo(tmp_path / "fleet")
    repo.copy_tree(CASES / "convert" / "c01-custom-object" / "from")
    repo.write("sfenv.yml", CONFIG)
    repo.commit("first version", author="Ann Admin")
    return repo


def test_pull_of_a_git_env_writes_the_branch_as_a_canonical_snapshot(tmp_path):
    repo = _project(tmp_path)
    result = _cli(repo.root, "pull", "main", "--json")
    assert result.exit_code == 0, result.output
    store = SnapshotStore(repo.root)
    files = store.files(store.head("main"))
    assert "objects/Vehicle__c.object" in files and "objects/Account.object" in files
    vehicle = store.read_blob(files["objects/Vehicle__c.object"]).decode()
    assert "<fullName>Plate__c</fullName>" in vehicle and "<sharingModel>Private" in vehicle
    index = json.loads(store.read_blob(files[".sfenv/components.json"]))
    assert index["CustomField:Vehicle__c.Plate__c"]["lastModifiedByName"] == "Ann Admin"
    assert json.loads(result.stdout)["counts_by_type"] == {"CustomObject": 2}
    # the user's working tree and branch are untouched
    assert repo.git("status", "--porcelain") == ""
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == "main"


def test_a_second_pull_of_an_unchanged_branch_makes_no_new_snapshot(tmp_path):
    repo = _project(tmp_path)
    _cli(repo.root, "pull", "main")
    first = SnapshotStore(repo.root).head("main")
    assert "unchanged" in _cli(repo.root, "pull", "main").output
    assert SnapshotStore(repo.root).head("main") == first


def test_diff_between_two_branches_names_the_changed_field_and_its_author(tmp_path):
    repo = _project(tmp_path)
    repo.git("checkout", "-q", "-b", "feature/plates")
    text = (repo.root / FIELD).read_text().replace("<length>20</length>", "<length>32</length>")
    repo.write(FIELD, text)
    repo.commit("longer plates", author="Ben Builder")
    repo.git("checkout", "-q", "main")
    assert _cli(repo.root, "pull", "main").exit_code == 0
    assert _cli(repo.root, "pull", "feature").exit_code == 0
    result = _cli(repo.root, "diff", "main", "feature", "--json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    assert [c["component"] for c in changes] == ["CustomField:Vehicle__c.Plate__c"]
    assert "Ben Builder" in result.stdout


def test_a_dir_env_reads_the_folder_with_replacements_from_declared_values(tmp_path):
    repo = _project(tmp_path)
    link = "force-app/main/default/objects/Vehicle__c/webLinks/Track.webLink-meta.xml"
    repo.write(link, (repo.root / link).read_text().replace("track.example.com", "TRACK_HOST"))
    project = json.loads((repo.root / "sfdx-project.json").read_text())
    project["replacements"] = [{"glob": "force-app/**/*.webLink-meta.xml",
                                "stringToReplace": "TRACK_HOST", "replaceWithEnv": "TRACK_HOST"}]
    repo.write("sfdx-project.json", json.dumps(project))
    assert _cli(repo.root, "pull", "folder").exit_code == 0  # uncommitted edits: a dir reads them
    store = SnapshotStore(repo.root)
    files = store.files(store.head("folder"))
    vehicle = store.read_blob(files["objects/Vehicle__c.object"]).decode()
    assert "https://track.qa.example.com/?id=" in vehicle


def test_an_unknown_ref_is_a_one_line_configuration_error(tmp_path):
    repo = _project(tmp_path)
    result = _cli(repo.root, "pull", "feature")
    assert result.exit_code == 2
    assert "no branch, tag or commit 'feature/plates'" in result.output
    assert "Traceback" not in result.output


def test_org_only_keys_on_a_git_env_are_refused_with_their_line(tmp_path):
    repo = _project(tmp_path)
    repo.write("sfenv.yml", CONFIG.replace("    ref: main\n", "    ref: main\n    username: a@b.c\n"))
    result = _cli(repo.root, "pull", "main")
    assert result.exit_code == 2
    assert "sfenv.yml:7: environment 'main': 'username' is for org environments" in result.output


def test_a_git_env_without_ref_and_a_dir_env_without_path_are_refused(tmp_path):
    repo = _project(tmp_path)
    for old, new, message in (
        ("    ref: main\n", "", "environment 'main': kind git needs ref"),
        ("    path: .\n", "", "environment 'folder': kind dir needs path"),
        ("    kind: git\n    ref: main\n", "    kind: svn\n", "kind must be one of org, git, dir"),
    ):
        repo.write("sfenv.yml", CONFIG.replace(old, new, 1))
        result = _cli(repo.root, "log", "main")
        assert result.exit_code == 2, result.output
        assert message in result.output and "sfenv.yml:" in result.output


def test_source_keys_on_an_org_env_are_refused(tmp_path):
    repo = _project(tmp_path)
    org = ("  prod:\n    username: a@b.c\n    password_env: PW\n    ref: main\n")
    repo.write("sfenv.yml", CONFIG.replace("environments:\n", "environments:\n" + org, 1))
    result = _cli(repo.root, "log", "prod")
    assert result.exit_code == 2
    assert "'ref' is for kind git or dir, not org" in result.output


def test_a_train_between_two_branches_builds_but_is_never_promoted_to_a_branch(tmp_path):
    repo = _project(tmp_path)
    repo.write("sfenv.yml", CONFIG.replace("path: [main, folder]", "path: [main, feature]"))
    repo.write(".gitignore", "releases/\n")
    repo.commit("path main -> feature")
    repo.git("branch", "feature/plates")
    repo.write(FIELD, (repo.root / FIELD).read_text().replace("<length>20</length>",
                                                              "<length>25</length>"))
    repo.commit("longer plates on main")
    assert _cli(repo.root, "pull", "main").exit_code == 0
    assert _cli(repo.root, "pull", "feature").exit_code == 0
    result = _cli(repo.root, "release", "build", "R1", "--from", "main", "--to", "feature")
    assert result.exit_code == 0, result.output
    result = _cli(repo.root, "release", "promote", "R1", "--to", "feature")
    assert result.exit_code == 2
    assert "feature is a git environment: trains are promoted to orgs" in result.output


def test_a_broken_xml_file_on_the_branch_is_a_one_line_error_naming_it(tmp_path):
    repo = _project(tmp_path)
    repo.write(FIELD, "<?xml version='1.0'?>\n<CustomField>\n  <length>20</length>\n")
    repo.commit("broken")
    result = _cli(repo.root, "pull", "main")
    assert result.exit_code == 2
    assert f"{FIELD}:" in result.output and "Traceback" not in result.output
    assert SnapshotStore(repo.root).head("main") is None  # no partial snapshot


def test_a_broken_layout_is_named_by_its_repository_path(tmp_path):
    repo = _project(tmp_path)
    layout = "force-app/main/default/layouts/Vehicle__c-Main.layout-meta.xml"
    repo.write(layout, "<?xml version='1.0'?>\n<Layout>\n")
    repo.commit("broken layout")
    result = _cli(repo.root, "pull", "main")
    assert result.exit_code == 2
    assert f"error: {layout}:" in result.output
