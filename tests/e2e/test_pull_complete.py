"""A default pull backs up everything the org has, says what it could not, and keeps odd files.

Each test adds to a seeded local org what real orgs hold and a curated list forgets: reports
and email templates in `unfiled$public`, standard value sets (not listable), translations,
topics for objects; a managed LWC whose `.js-meta.xml` is the text `(hidden)`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.mdapi import retrieve as md_retrieve
from sfenv.services.pull.accounting import completeness
from tests.projects import local_project

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
NS = ' xmlns="http://soap.sforce.com/2006/04/metadata"'


def xml(root: str, body: str) -> bytes:
    return f"{HEAD}<{root}{NS}>\n{body}</{root}>\n".encode()


EXTRA = {
    "reports/unfiled$public/Open_Cases.report": xml(
        "Report", "    <format>Tabular</format>\n    <name>Open Cases</name>\n"
                  "    <reportType>CaseList</reportType>\n"),
    "email/unfiled$public/Welcome.email": b"Welcome {!Contact.FirstName}\n",
    "email/unfiled$public/Welcome.email-meta.xml": xml(
        "EmailTemplate", "    <available>true</available>\n    <name>Welcome</name>\n"
                         "    <style>none</style>\n    <type>text</type>\n"),
    "standardValueSets/LeadSource.standardValueSet": xml(
        "StandardValueSet", "    <sorted>false</sorted>\n    <standardValue>\n"
                            "        <fullName>Web</fullName>\n        <default>false</default>\n"
                            "        <label>Web</label>\n    </standardValue>\n"),
    "objectTranslations/Account-fr.objectTranslation": xml(
        "CustomObjectTranslation", "    <caseValues>\n        <plural>false</plural>\n"
                                   "        <value>Compte</value>\n    </caseValues>\n"),
    "topicsForObjects/Account.topicsForObjects": xml(
        "TopicsForObjects", "    <enableTopics>true</enableTopics>\n"
                            "    <entityApiName>Account</entityApiName>\n"),
}
HIDDEN_META = "lwc/managedCard/managedCard.js-meta.xml"
HIDDEN = {"lwc/managedCard/managedCard.js": b"export default class ManagedCard {}\n",
          HIDDEN_META: b"(hidden)"}


def add_files(data_dir: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = data_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def snapshot(project, env: str) -> tuple[SnapshotStore, str, dict[str, bytes]]:
    store = SnapshotStore(project.root)
    commit = store.head(env)
    files = {p: store.read_blob(b) for p, b in store.files(commit).items()}
    return store, commit, files


@pytest.fixture
def dev(tmp_path, monkeypatch):
    with local_project(tmp_path, {"dev": "acme-dev"}, monkeypatch, production=None,
                       seed_types=False) as project:
        add_files(project.orgs["dev"].data_dir, {**EXTRA, **HIDDEN})
        yield project


def test_default_pull_keeps_unfiled_reports_standard_value_sets_and_translations(dev):
    result = dev.ok("pull", "dev")
    _, commit, files = snapshot(dev, "dev")
    for path in EXTRA:
        assert path in files, f"{path} not in the snapshot; pull said: {result.output}"
    index = json.loads(files[".sfenv/components.json"])
    assert "StandardValueSet:LeadSource" in index
    # standard value sets the org does not have are neither components nor warnings
    assert "StandardValueSet:AccountType" not in index
    assert "cannot be found" not in result.output
    assert "incomplete" not in result.output


def test_core_manifest_keeps_the_old_curated_list(dev):
    with (dev.root / "sfenv.yml").open("a") as fh:
        fh.write("manifest: core\n")
    dev.ok("pull", "dev")
    _, _, files = snapshot(dev, "dev")
    assert "topicsForObjects/Account.topicsForObjects" not in files
    assert "reports/unfiled$public/Open_Cases.report" in files


def test_a_meta_file_that_is_not_xml_is_kept_byte_for_byte_and_named(dev):
    result = dev.ok("pull", "dev")
    assert f"warning: {HIDDEN_META}: kept as retrieved, not normalised" in result.output
    _, first, files = snapshot(dev, "dev")
    assert files[HIDDEN_META] == b"(hidden)"
    assert files["lwc/managedCard/managedCard.js"] == HIDDEN["lwc/managedCard/managedCard.js"]

    (dev.orgs["dev"].data_dir / HIDDEN_META).write_bytes(b"(hidden) v2")
    dev.ok("pull", "dev", "--full")
    _, second, files = snapshot(dev, "dev")
    assert files[HIDDEN_META] == b"(hidden) v2"
    diff = dev.cli("diff", first, second, "--json")
    assert diff.exit_code == 0, diff.output
    changed = {(c["type"], c["name"]) for c in json.loads(diff.stdout)["changes"]}
    assert ("LightningComponentBundle", "managedCard") in changed


def test_components_the_org_lists_but_does_not_send_are_named_and_counted(dev, monkeypatch):
    real = md_retrieve.collect_files

    def lossy(inv, sel):  # an org that leaves two listed components out of its zips
        files, components = real(inv, sel)
        lost = ("reports/unfiled$public/Open_Cases.report", "classes/AccountScoring.cls")
        return {p: d for p, d in files.items() if p.removesuffix("-meta.xml") not in lost}, components

    monkeypatch.setattr(md_retrieve, "collect_files", lossy)
    result = dev.cli("pull", "dev")
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("dev: incomplete: 2 of ")
    assert "ApexClass:AccountScoring" in last and "Report:unfiled$public/Open_Cases" in last

    store, commit, files = snapshot(dev, "dev")
    accounting = store.meta(commit)["accounting"]
    assert accounting["totals"]["missing"] == 2
    assert accounting["types"]["ApexClass"]["missing"] == 1
    assert accounting["types"]["ApexClass"]["retrieved"] == accounting["types"]["ApexClass"]["listed"] - 1
    assert sorted(accounting["missing"]) == ["ApexClass:AccountScoring",
                                             "Report:unfiled$public/Open_Cases"]
    done = completeness(store, commit)
    assert done["complete"] is False and done["missing"] == 2 and done["percent"] < 100
    assert done["incomplete"] == last.removeprefix("dev: ")
    # not in the index, so that the next pull asks for them again
    assert "ApexClass:AccountScoring" not in json.loads(files[".sfenv/components.json"])

    monkeypatch.setattr(md_retrieve, "collect_files", real)
    again = dev.cli_json("pull", "dev")
    assert again["accounting"]["totals"]["missing"] == 0
    assert again["accounting"]["incomplete"] is None
    store, commit, files = snapshot(dev, "dev")
    assert "classes/AccountScoring.cls" in files
    assert completeness(store, commit)["complete"] is True


def test_excluded_by_config_is_counted_per_type(dev):
    with (dev.root / "sfenv.yml").open("a") as fh:
        fh.write('exclude: ["ApexClass:Billing*"]\n')
    pulled = dev.cli_json("pull", "dev")
    row = pulled["accounting"]["types"]["ApexClass"]
    assert row["excluded"] >= 1
    assert row["listed"] == row["retrieved"]
    _, _, files = snapshot(dev, "dev")
    assert not any(p.startswith("classes/Billing") for p in files)
