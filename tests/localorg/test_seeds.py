"""The Acme seed orgs: valid metadata in Salesforce's byte format, and the differences between
prod, qa and dev that the rest of sfenv (compare, checklist, demo) relies on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import parse_xml, write_xml
from sfenv.errors import ConfigError
from sfenv.localorg.seeds import ACME_DIR, ENV_VALUES, build_acme, list_seeds, materialize

NS = "{http://soap.sforce.com/2006/04/metadata}"
SEEDS = ("acme-prod", "acme-qa", "acme-dev")
XML_SUFFIXES = (".object", ".layout", ".profile", ".permissionset", ".role", ".group", ".queue",
                ".sharingRules", ".settings", ".workflow", ".approvalProcess", ".assignmentRules",
                ".escalationRules", ".labels", ".report", ".dashboard", ".flow", ".app", ".tab",
                ".namedCredential", ".remoteSite", ".globalValueSet", ".customPermission", "-meta.xml")


@pytest.fixture(scope="module")
def orgs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("seeds")
    out = {}
    for seed in SEEDS:
        materialize(seed, root / seed)
        out[seed] = root / seed
    return out


def files_of(org: Path) -> dict[str, bytes]:
    return {p.relative_to(org).as_posix(): p.read_bytes() for p in sorted(org.rglob("*"))
            if p.is_file() and ".localorg" not in p.parts}


def root_of(org: Path, rel: str) -> etree._Element:
    return parse_xml((org / rel).read_bytes(), rel)


def child(root: etree._Element, tag: str, full_name: str) -> etree._Element | None:
    for el in root.iter(NS + tag):
        if el.findtext(NS + "fullName") == full_name:
            return el
    return None


def state(org: Path) -> dict:
    return json.loads((org / ".localorg" / "seed.json").read_text("utf-8"))


@pytest.mark.parametrize("seed", SEEDS)
def test_every_xml_file_parses_and_is_in_salesforce_byte_format(orgs, seed):
    xml_files = [p for p in files_of(orgs[seed]) if p.endswith(XML_SUFFIXES)]
    assert len(xml_files) > 60
    for rel in xml_files:
        data = (orgs[seed] / rel).read_bytes()
        root = parse_xml(data, rel)
        assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n'), rel
        assert root.nsmap.get(None) == "http://soap.sforce.com/2006/04/metadata", rel
        assert b"\r" not in data and b"\t" not in data and data.endswith(b">\n"), rel
        assert write_xml(root) == data, f"{rel} differs from Salesforce's byte format"


@pytest.mark.parametrize("seed", SEEDS)
def test_every_file_belongs_to_a_known_component(orgs, seed):
    registry = default_registry()
    unknown = [p for p in files_of(orgs[seed]) if registry.component_of(p) is None]
    assert unknown == []


def test_prod_has_between_80_and_150_metadata_files(orgs):
    assert 80 <= len(files_of(orgs["acme-prod"])) <= 150


def test_base_files_are_already_canonical():
    for path in sorted((ACME_DIR / "base").rglob("*")):
        if path.is_file() and path.name.endswith(XML_SUFFIXES):
            data = path.read_bytes()
            assert write_xml(parse_xml(data, str(path))) == data, path


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_json_is_well_formed(orgs, seed):
    data = state(orgs[seed])
    assert set(data) >= {"org_name", "is_sandbox", "instance_name", "users", "components",
                         "audit_trail"}
    assert data["is_sandbox"] is (seed != "acme-prod")
    assert data["users"][0]["username"] == ENV_VALUES[seed]["username_admin"]
    assert data["users"][0]["profile"] == "System Administrator"
    for user in data["users"]:
        assert set(user) == {"username", "name", "email", "profile", "is_active"}
    date = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    for cid, props in data["components"].items():
        assert ":" in cid
        assert set(props) == {"lastModifiedDate", "lastModifiedByName", "createdDate",
                              "createdByName"}
        assert re.fullmatch(date, props["lastModifiedDate"]), cid
        assert props["createdDate"] <= props["lastModifiedDate"], cid
    rows = data["audit_trail"]
    assert [r["CreatedDate"] for r in rows] == sorted((r["CreatedDate"] for r in rows), reverse=True)
    for row in rows:
        assert set(row) >= {"CreatedDate", "CreatedByName", "Action", "Section", "Display"}
        assert re.fullmatch(date, row["CreatedDate"])


@pytest.mark.parametrize("seed", SEEDS)
def test_every_component_on_disk_has_dates_and_authors(orgs, seed):
    registry = default_registry()
    on_disk = {str(registry.component_of(p)) for p in files_of(orgs[seed])}
    assert on_disk <= set(state(orgs[seed])["components"])


def test_materialize_is_deterministic(tmp_path):
    materialize("acme-dev", tmp_path / "a")
    materialize("acme-dev", tmp_path / "b")
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    assert state(tmp_path / "a") == state(tmp_path / "b")


def test_prod_hotfix_lengthened_region_and_deactivated_region_format(orgs):
    def region(seed):
        root = root_of(orgs[seed], "objects/Account.object")
        return (child(root, "fields", "Region__c").findtext(NS + "length"),
                child(root, "validationRules", "Region_Format").findtext(NS + "active"))
    assert region("acme-prod") == ("120", "false")
    assert region("acme-qa") == ("80", "true")
    assert region("acme-dev") == ("80", "true")
    comps = state(orgs["acme-prod"])["components"]
    assert comps["CustomField:Account.Region__c"]["lastModifiedByName"] == "Priya Patel"
    assert comps["CustomField:Account.Region__c"]["lastModifiedDate"] == "2026-09-29T16:42:11.000Z"
    assert comps["ValidationRule:Account.Region_Format"]["lastModifiedByName"] == "Priya Patel"
    rows = [r for r in state(orgs["acme-prod"])["audit_trail"] if r["CreatedByName"] == "Priya Patel"
            and r["CreatedDate"].startswith("2026-09-29")]
    assert len(rows) == 2 and all(r["Section"] == "Customize Accounts" for r in rows)
    qa = state(orgs["acme-qa"])["components"]["CustomField:Account.Region__c"]
    assert qa["lastModifiedDate"] < "2026-09-01"


def test_qa_holds_the_next_release_that_prod_lacks(orgs):
    prod, qa = files_of(orgs["acme-prod"]), files_of(orgs["acme-qa"])
    assert "classes/InvoiceReminderService.cls" in qa and "classes/InvoiceReminderService.cls" not in prod
    assert child(root_of(orgs["acme-qa"], "objects/Invoice__c.object"), "fields", "Payment_Terms__c") is not None
    assert child(root_of(orgs["acme-prod"], "objects/Invoice__c.object"), "fields", "Payment_Terms__c") is None
    assert b"Payment_Terms__c" in qa["layouts/Invoice__c-Invoice Layout.layout"]
    assert b"Payment_Terms__c" not in prod["layouts/Invoice__c-Invoice Layout.layout"]
    assert child(root_of(orgs["acme-qa"], "labels/CustomLabels.labels"), "labels", "Invoice_Reminder_Subject") is not None
    assert child(root_of(orgs["acme-prod"], "labels/CustomLabels.labels"), "labels", "Invoice_Reminder_Subject") is None


def test_dev_holds_work_not_yet_in_qa(orgs):
    dev, qa = orgs["acme-dev"], orgs["acme-qa"]
    for obj, name in (("Account", "Customer_Since__c"), ("Invoice__c", "Discount__c")):
        assert child(root_of(dev, f"objects/{obj}.object"), "fields", name) is not None
        assert child(root_of(qa, f"objects/{obj}.object"), "fields", name) is None
    role = root_of(dev, "roles/EMEA_Sales_Manager.role")
    assert role.findtext(NS + "parentRole") == "VP_Sales"
    assert not (qa / "roles/EMEA_Sales_Manager.role").exists()
    assert root_of(dev, "objects/Project__c.object").findtext(NS + "sharingModel") == "Read"
    assert root_of(qa, "objects/Project__c.object").findtext(NS + "sharingModel") == "Private"
    assert (dev / "groups/Finance_Approvers.group").exists()
    assert not (qa / "groups/Finance_Approvers.group").exists()
    assert state(dev)["group_members"]["Finance_Approvers"]
    assert not (dev / "classes/InvoicePdfLegacy.cls").exists()
    assert (qa / "classes/InvoicePdfLegacy.cls").exists()
    assert b"InvoicePdfLegacy" not in (dev / "profiles/Admin.profile").read_bytes()
    # dev also carries qa's release
    assert (dev / "classes/InvoiceReminderService.cls").exists()
    manual = [r for r in state(dev)["audit_trail"] if r["Section"] == "Manage Currencies"]
    assert manual and manual[0]["Display"] == "Activated currency EUR"
    assert not [r for r in state(qa)["audit_trail"] if r["Section"] == "Manage Currencies"]


def test_role_hierarchy_is_at_least_three_levels_deep(orgs):
    roles = {p.stem: root_of(orgs["acme-prod"], f"roles/{p.name}").findtext(NS + "parentRole")
             for p in (orgs["acme-prod"] / "roles").iterdir()}
    def depth(role):
        return 1 if not roles[role] else 1 + depth(roles[role])
    assert max(depth(r) for r in roles) >= 4
    assert all(parent is None or parent in roles for parent in roles.values())


@pytest.mark.parametrize("seed", SEEDS)
def test_environment_values_are_the_orgs_own(orgs, seed):
    files = b"".join(files_of(orgs[seed]).values())
    mine = ENV_VALUES[seed]
    assert f"<endpoint>{mine['billing_endpoint']}</endpoint>".encode() in files
    assert f"<email>{mine['support_email']}</email>".encode() in files
    assert f"<user>{mine['username_tom']}</user>".encode() in files
    for other in SEEDS:
        if other != seed:
            for key in ("billing_endpoint", "support_email", "username_tom"):
                assert f">{ENV_VALUES[other][key]}<".encode() not in files, (other, key)


def test_env_values_have_the_same_keys_and_usernames_match_users():
    keys = {seed: set(values) for seed, values in ENV_VALUES.items()}
    assert keys["acme-prod"] == keys["acme-qa"] == keys["acme-dev"]
    for seed in SEEDS:
        users = {u["username"] for u in build_acme(seed)[1]["users"]}
        names = {v for k, v in ENV_VALUES[seed].items() if k.startswith("username_")}
        assert names <= users


def test_sandbox_usernames_carry_the_sandbox_suffix(orgs):
    qa = [u["username"] for u in state(orgs["acme-qa"])["users"]]
    assert qa[0] == "admin@acme.qa.example" and "priya.patel@acme.example.qa" in qa
    dev = [u["username"] for u in state(orgs["acme-dev"])["users"]]
    assert dev[0] == "admin@acme.dev.example" and "jamal.wright@acme.example.dev" in dev


def test_unknown_seed_is_a_config_error_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="acme-uat"):
        materialize("acme-uat", tmp_path / "x")


def test_materialize_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        materialize("acme-qa", tmp_path)


def test_list_seeds_names_the_acme_orgs_and_the_generator():
    names = list_seeds()
    assert {"acme-prod", "acme-qa", "acme-dev"} <= set(names)
    assert any(n.startswith("large:") for n in names)


def test_every_seed_username_has_a_dotted_domain_as_the_sf_cli_expects(orgs):
    for seed, folder in orgs.items():
        for user in state(folder)["users"]:
            domain = user["username"].partition("@")[2]
            assert "." in domain.strip("."), (seed, user["username"])
