"""Declared environment values in release trains: not a change when they are the only
difference, stored as placeholders when a component changes for real, and substituted with
each target's values on promotion (or refused, before anything runs, when undeclared)."""

from __future__ import annotations

import json
import subprocess

import pytest

from sfenv.config.model import Config, EnvConfig
from sfenv.core.compare.neutralize import SideValues
from sfenv.core.metadata.ziputil import read_zip
from sfenv.errors import ReleaseError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.promote.promote import built_src, env_values, promote, target_zips
from sfenv.services.train.envvalues import substitute, target_values
from sfenv.services.train.train import RELEASES_REF, build, plan

H = '<?xml version="1.0" encoding="UTF-8"?>\n'
NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"'

VALUES = {
    "dev": {"billing_endpoint": "https://api.dev.billing.example",
            "support_email": "support-dev@acme.example", "username_suffix": ".dev"},
    "qa": {"billing_endpoint": "https://api.qa.billing.example",
           "support_email": "support-qa@acme.example", "username_suffix": ".qa"},
    "prod": {"billing_endpoint": "https://api.billing.example",
             "support_email": "support@acme.example"},  # production: no username suffix
}


def named_credential(endpoint: str, label: str = "Billing") -> bytes:
    return (H + f"<NamedCredential {NS}>\n    <endpoint>{endpoint}</endpoint>\n"
            f"    <label>{label}</label>\n    <principalType>NamedUser</principalType>\n"
            "    <protocol>Password</protocol>\n</NamedCredential>\n").encode()


def queue(email: str, user: str, name: str = "Support") -> bytes:
    return (H + f"<Queue {NS}>\n    <email>{email}</email>\n    <name>{name}</name>\n"
            "    <queueMembers>\n        <users>\n"
            f"            <user>{user}</user>\n        </users>\n    </queueMembers>\n"
            "    <queueSobject>\n        <sobjectType>Case</sobjectType>\n    </queueSobject>\n"
            "</Queue>\n").encode()


def alert(name: str, sender: str, description: str) -> str:
    return (f"    <alerts>\n        <fullName>{name}</fullName>\n"
            f"        <description>{description}</description>\n"
            "        <protected>false</protected>\n        <recipients>\n"
            "            <type>owner</type>\n        </recipients>\n"
            f"        <senderAddress>{sender}</senderAddress>\n"
            "        <senderType>OrgWideEmailAddress</senderType>\n    </alerts>\n")


def workflow(*alerts: str) -> bytes:
    return (H + f"<Workflow {NS}>\n" + "".join(alerts) + "</Workflow>\n").encode()


def org(env: str, *, real_change: bool) -> dict[str, bytes]:
    """The same org in each env, with that env's values; dev also holds real changes."""
    v = VALUES[env]
    suffix = v.get("username_suffix", "")
    return {
        "namedCredentials/Billing.namedCredential": named_credential(v["billing_endpoint"]),
        "queues/Support.queue": queue(v["support_email"], f"tom.becker@acme{suffix}"),
        "queues/Escalations.queue": queue(v["support_email"], f"ana.lima@acme{suffix}",
                                          "Escalations (24/7)" if real_change else "Escalations"),
        "workflows/Case.workflow": workflow(
            alert("Case_Opened", v["support_email"], "Case opened"),
            alert("Case_Escalated", v["support_email"],
                  "Case escalated to tier 2" if real_change else "Case escalated")),
    }


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    envs = {n: EnvConfig(name=n, owner=f"{n} owner", production=(n == "prod"),
                         values=dict(VALUES[n])) for n in ("dev", "qa", "prod")}
    config = Config(file=root / "sfenv.yml", root=root, project="acme", api_version="62.0",
                    environments=envs, stages=[["dev"], ["qa"], ["prod"]])
    store = SnapshotStore(root)
    store.write_snapshot("dev", org("dev", real_change=True), {"env": "dev"}, expected_old=None)
    for env in ("qa", "prod"):
        store.write_snapshot(env, org(env, real_change=False), {"env": env}, expected_old=None)
    return config, store


def planned(result) -> list[str]:
    return [i.component for i in result.adds + result.changes + result.deletes]


def test_components_differing_only_in_declared_values_are_not_in_the_plan(project):
    config, store = project
    store.write_snapshot("dev", org("dev", real_change=False), {"env": "dev"},
                         expected_old=store.head("dev"))
    assert planned(plan(config, store, "R1")) == []
    with pytest.raises(ReleaseError, match="nothing to release"):
        build(config, store, "R1")


def test_without_declared_values_the_env_values_would_be_released(project):
    """The guard on the test above: the snapshots really do differ in those values."""
    config, store = project
    for env in config.environments.values():
        env.values = {}
    assert "NamedCredential:Billing" in planned(plan(config, store, "R1"))


def test_real_changes_are_packaged_with_placeholders_recorded_in_train_and_notes(project):
    config, store = project
    result = plan(config, store, "R1")
    assert planned(result) == ["Queue:Escalations", "WorkflowAlert:Case.Case_Escalated"]
    built = build(config, store, "R1")
    assert built.placeholders == {"support_email": ["Queue:Escalations",
                                                    "WorkflowAlert:Case.Case_Escalated"],
                                  "username_suffix": ["Queue:Escalations"]}
    head = store.ref_commit(RELEASES_REF)
    src = built_src(store, built)
    assert b"<email>{{support_email}}</email>" in src["queues/Escalations.queue"]
    assert b"<user>ana.lima@acme{{username_suffix}}</user>" in src["queues/Escalations.queue"]
    assert b"support-dev@" not in b"".join(src.values()) and b".dev<" not in src[
        "queues/Escalations.queue"]
    members = read_zip(store.read_file(head, "releases/R1/package.zip"), "package.zip")
    assert members["queues/Escalations.queue"] == src["queues/Escalations.queue"]
    train = json.loads(store.read_file(head, "releases/R1/train.json"))
    assert train["placeholders"] == built.placeholders
    notes = store.read_file(head, "releases/R1/RELEASE_NOTES.md").decode()
    assert "{{support_email}}" in notes and "{{username_suffix}}" in notes


@pytest.mark.parametrize("env, email, user", [
    ("qa", b"support-qa@acme.example", b"ana.lima@acme.qa"),
    ("prod", b"support@acme.example", b"ana.lima@acme"),
])
def test_each_target_gets_its_own_values_and_usernames_its_own_suffix(project, env, email, user):
    config, store = project
    built = build(config, store, "R1")
    values = env_values(config, built, env)
    (zip_bytes,) = target_zips(store, built, values)
    members = read_zip(zip_bytes, "package.zip")
    assert members["queues/Escalations.queue"] == queue(
        email.decode(), user.decode(), "Escalations (24/7)")
    assert f"<senderAddress>{email.decode()}</senderAddress>".encode() in members[
        "workflows/Case.workflow"]
    assert b"{{" not in b"".join(members.values())
    assert target_zips(store, built, values) == [zip_bytes]  # deterministic per target
    assert built_src(store, built, values)["queues/Escalations.queue"] == members[
        "queues/Escalations.queue"]


def test_a_placeholder_the_target_does_not_declare_is_refused_before_the_backup(project):
    config, store = project
    built = build(config, store, "R1")
    del config.environments["qa"].values["support_email"]
    calls = []

    def connect(*args, **kwargs):
        calls.append(args)
        raise AssertionError("nothing may reach the org")

    with pytest.raises(ReleaseError) as err:
        promote(config, store, built.name, "qa", connect=connect)
    message = str(err.value)
    assert "{{support_email}}" in message and "Queue:Escalations" in message
    assert "qa declares no value" in message
    assert calls == [] and store.tags("backup/") == {}


def test_a_sandbox_without_a_username_suffix_is_refused_production_needs_none():
    env = EnvConfig(name="uat", values={"support_email": "s@x"})
    uses = {"username_suffix": ["Queue:Support"]}
    with pytest.raises(ReleaseError, match=r"\{\{username_suffix\}\} in Queue:Support.*uat"):
        target_values("uat", env, uses, "R1")
    env.production = True
    assert target_values("uat", env, uses, "R1") == {"username_suffix": ""}


def test_neutralise_then_substitute_round_trips_values_escaping_and_suffix():
    dev = SideValues.of({"endpoint": "https://dev.example/?a=1&b=2", "username_suffix": ".dev"})
    original = (H + "<X><url>https://dev.example/?a=1&amp;b=2</url>"
                "<user>ana@acme.example.dev</user><user>bo@other.dev.example</user></X>\n").encode()
    neutral = dev.apply(original, mark_suffix=True)
    assert neutral == (H + "<X><url>{{endpoint}}</url><user>ana@acme.example{{username_suffix}}"
                       "</user><user>bo@other.dev.example</user></X>\n").encode()
    assert dev.apply(original) == neutral.replace(b"{{username_suffix}}", b"")  # compare's view
    qa = {"endpoint": "https://qa.example/?a=1&b=2", "username_suffix": ".qa"}
    assert substitute(neutral, qa) == (
        H + "<X><url>https://qa.example/?a=1&amp;b=2</url><user>ana@acme.example.qa</user>"
        "<user>bo@other.dev.example</user></X>\n").encode()
    assert substitute(b"x = '{{endpoint}}'; // {{other}}\n", qa) == (
        b"x = 'https://qa.example/?a=1&b=2'; // {{other}}\n")  # raw outside XML
