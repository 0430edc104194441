"""plan and build against a snapshot store (no org): the releases ref, tag, export,
immutability, dependency checks and waves."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from sfenv.config.model import Config, EnvConfig
from sfenv.core.metadata.package_xml import parse_package
from sfenv.core.metadata.ziputil import read_zip
from sfenv.errors import DependencyError, ReleaseError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.train.model import Limits
from sfenv.services.train.train import RELEASES_REF, Scope, build, load_train, plan

H = '<?xml version="1.0" encoding="UTF-8"?>\n'
NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"'
CLS_META = (H + f"<ApexClass {NS}>\n    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n"
            "</ApexClass>\n").encode()


def field(name: str, extra: str = "") -> str:
    return (f"    <fields>\n        <fullName>{name}</fullName>\n{extra}        <label>{name}</label>\n"
            f"        <type>Number</type>\n    </fields>\n")


def invoice(*fields: str) -> bytes:
    return (H + f"<CustomObject {NS}>\n" + "".join(fields) + "    <label>Invoice</label>\n"
            "    <sharingModel>ReadWrite</sharingModel>\n</CustomObject>\n").encode()


def cls(name: str, body: str = "") -> dict[str, bytes]:
    return {f"classes/{name}.cls": f"public class {name} {{{body}}}\n".encode(),
            f"classes/{name}.cls-meta.xml": CLS_META}


def index(entries: dict[str, str]) -> bytes:
    lines = [f'"{cid}": ' + json.dumps({"lastModifiedByName": who,
                                        "lastModifiedDate": "2026-01-02T03:04:05.000Z"})
             for cid, who in sorted(entries.items())]
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode()


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "README.md").write_text("user's own file\n")
    envs = {n: EnvConfig(name=n, owner=f"{n} owner", production=(n == "prod"))
            for n in ("dev", "qa", "prod")}
    config = Config(file=root / "sfenv.yml", root=root, project="acme", api_version="62.0",
                    environments=envs, stages=[["dev"], ["qa"], ["prod"]])
    store = SnapshotStore(root)
    dev = {**cls("Billing", " // v2 "), **cls("NewOne"),
           "objects/Invoice__c.object": invoice(field("Amount__c"), field("Discount__c")),
           ".sfenv/components.json": index({"ApexClass:Billing": "Ana Admin",
                                            "ApexClass:NewOne": "Bo Builder",
                                            "CustomObject:Invoice__c": "Cy Coder"})}
    qa = {**cls("Billing", " // v1 "), **cls("Legacy")}
    for env, files in (("dev", dev), ("qa", qa), ("prod", qa)):
        store.write_snapshot(env, files, {"env": env}, expected_old=None)
    return config, store


def test_plan_lists_adds_changes_deletes_with_who_and_size(project):
    config, store = project
    result = plan(config, store, "R1")
    assert (result.source, result.target) == ("dev", "qa")
    assert [i.component for i in result.changes] == ["ApexClass:Billing"]
    assert result.changes[0].last_modified_by == "Ana Admin"
    assert "ApexClass:NewOne" in [i.component for i in result.adds]
    assert [i.component for i in result.deletes] == ["ApexClass:Legacy"]
    assert result.files > 0 and result.bytes > 0
    assert store.ref_commit(RELEASES_REF) is None  # a plan writes nothing


def test_build_commits_on_the_releases_ref_tags_and_exports_without_touching_the_worktree(project):
    config, store = project
    root = Path(config.root)
    status_before = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                                   text=True).stdout
    built = build(config, store, "R1")
    head = store.ref_commit(RELEASES_REF)
    assert built.commit == head
    assert store.tags("release/") == {"release/R1": head}
    files = store.files(head)
    for name in ("package.xml", "destructiveChangesPost.xml", "package.zip", "changes.json",
                 "RELEASE_NOTES.md", "train.json", "src/classes/Billing.cls"):
        assert f"releases/R1/{name}" in files, name
    members = read_zip(store.read_file(head, "releases/R1/package.zip"), "package.zip")
    assert members["classes/Billing.cls"] == b"public class Billing { // v2 }\n"
    changes = json.loads(store.read_file(head, "releases/R1/changes.json"))
    assert changes["delete"] == {"ApexClass": ["Legacy"]}
    assert changes["modify"] == {"ApexClass": ["Billing"]}
    notes = store.read_file(head, "releases/R1/RELEASE_NOTES.md").decode()
    assert "ApexClass:NewOne" in notes and "Bo Builder" in notes
    train = json.loads(store.read_file(head, "releases/R1/train.json"))
    assert train["digest"] == built.digest and train["source"] == "dev"
    assert train["source_commit"] == store.head("dev") and train["target_commit"] == store.head("qa")
    # exported for people to read; the user's branch, index and files untouched
    assert (root / "releases/R1/package.xml").read_bytes() == store.read_file(
        head, "releases/R1/package.xml")
    status_after = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                                  text=True).stdout
    assert status_after.replace("?? releases/\n", "") == status_before
    assert subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root,
                          capture_output=True).returncode != 0  # no commit on the user's branch
    assert load_train(store, "R1").digest == built.digest


def test_a_built_train_is_immutable_unless_forced(project):
    config, store = project
    first = build(config, store, "R1")
    with pytest.raises(ReleaseError, match="already built"):
        build(config, store, "R1")
    again = build(config, store, "R1", force=True)
    assert again.commit != first.commit
    assert store.tags("release/")["release/R1"] == again.commit


def test_missing_dependency_names_both_ends(project):
    config, store = project
    scope = Scope(include=["CustomField:Invoice__c.Discount__c"])
    with pytest.raises(DependencyError) as err:
        build(config, store, "R2", scope=scope)
    assert ("CustomField:Invoice__c.Discount__c needs CustomObject:Invoice__c, which is neither "
            "in the package nor in qa") in str(err.value)
    problems = plan(config, store, "R2", scope=scope).dependency_problems
    assert [(p.component, p.needs) for p in problems] == [
        ("CustomField:Invoice__c.Discount__c", "CustomObject:Invoice__c")]


def test_with_dependencies_pulls_the_object_in_but_not_its_other_fields(project):
    config, store = project
    scope = Scope(include=["CustomField:Invoice__c.Discount__c"], with_dependencies=True)
    built = build(config, store, "R2", scope=scope)
    assert built.pulled_in == ["CustomObject:Invoice__c"]
    head = store.ref_commit(RELEASES_REF)
    body = store.read_file(head, "releases/R2/src/objects/Invoice__c.object").decode()
    assert "<fullName>Discount__c</fullName>" in body and "<label>Invoice</label>" in body
    assert "Amount__c" not in body
    manifest = parse_package(store.read_file(head, "releases/R2/package.xml"), "package.xml")
    assert manifest.types == {"CustomField": ["Invoice__c.Discount__c"],
                              "CustomObject": ["Invoice__c"]}


def test_manual_types_are_held_back_and_listed(project):
    config, store = project
    config.manual_types = ["CustomObject"]
    built = build(config, store, "R3")
    assert "CustomObject:Invoice__c" in built.manual
    assert not any(c.startswith(("CustomObject:", "CustomField:")) for c in built.components)
    notes = store.read_file(store.ref_commit(RELEASES_REF), "releases/R3/RELEASE_NOTES.md").decode()
    assert "Held back" in notes and "CustomObject:Invoice__c" in notes


def test_big_train_is_built_in_waves(project):
    config, store = project
    built = build(config, store, "R4", limits=Limits(max_files=4, max_bytes=10**9))
    assert len(built.waves) > 1
    files = store.files(store.ref_commit(RELEASES_REF))
    for wave in built.waves:
        assert f"releases/R4/waves/{wave.number}/package.zip" in files
    assert "releases/R4/package.zip" not in files


def test_bad_train_names_are_refused(project):
    config, store = project
    with pytest.raises(ReleaseError, match="invalid train name"):
        build(config, store, "../evil")
