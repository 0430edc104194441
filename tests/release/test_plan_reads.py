"""A plan reads the files it packages and checks in batches, not one git process per file:
on a real org pair (1,000 files differing) one process per file was most of the plan's time."""

from __future__ import annotations

import subprocess

from sfenv.config.model import Config, EnvConfig
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.train.train import build, plan

H = '<?xml version="1.0" encoding="UTF-8"?>\n'
NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"'
META = (H + f"<ApexClass {NS}>\n    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n"
        "</ApexClass>\n").encode()
CLASSES = 40


def _object(name: str, *fields: str) -> bytes:
    body = "".join(f"    <fields>\n        <fullName>{f}</fullName>\n        <label>{f}</label>\n"
                   "        <type>Number</type>\n    </fields>\n" for f in fields)
    return (H + f"<CustomObject {NS}>\n{body}    <label>{name}</label>\n"
            "    <sharingModel>ReadWrite</sharingModel>\n</CustomObject>\n").encode()


def _project(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    envs = {n: EnvConfig(name=n, production=(n == "prod")) for n in ("dev", "prod")}
    config = Config(file=root / "sfenv.yml", root=root, project="acme", api_version="62.0",
                    environments=envs, stages=[["dev"], ["prod"]])
    objects = {f"objects/Obj{i}__c.object": _object(f"Obj{i}", "Amount__c") for i in range(10)}
    prod = dict(objects)
    dev = {p: _object(p[8:-7], "Amount__c", "Rate__c") for p in objects}  # a field on each
    for i in range(CLASSES):  # new classes: same meta bytes, so one blob for all their meta files
        dev[f"classes/New{i}.cls"] = f"public class New{i} {{}}\n".encode()
        dev[f"classes/New{i}.cls-meta.xml"] = META
    store = SnapshotStore(root)
    store.write_snapshot("prod", prod, {}, expected_old=None)
    store.write_snapshot("dev", dev, {}, expected_old=None)
    return config, store


def _count_reads(store: SnapshotStore) -> dict[str, int]:
    counts = {"single": 0, "batches": 0}
    read_blob, read_blobs = store.read_blob, store.read_blobs

    def one(sha):
        counts["single"] += 1
        return read_blob(sha)

    def many(shas):
        counts["batches"] += 1
        return read_blobs(shas)

    store.read_blob, store.read_blobs = one, many
    return counts


def test_plan_and_build_read_packaged_and_checked_files_in_batches(tmp_path):
    config, store = _project(tmp_path)
    counts = _count_reads(store)
    planned = plan(config, store, "R1", source="dev", target="prod")
    assert len(planned.adds) == CLASSES + 10 and planned.files == 2 * CLASSES + 10 + 1
    assert not planned.dependency_problems  # each new field's object was found in prod
    assert counts["single"] <= 2, counts  # was one git process per packaged or checked file
    built = build(config, SnapshotStore(config.root), "R1", source="dev", target="prod")
    assert built.files == planned.files
