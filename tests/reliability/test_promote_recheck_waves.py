"""The re-check before the deploy call (issue 22) runs before every wave's deploy: a train over
the deploy limits goes in waves, each validated then deployed, and a later wave's validation
opens the window again. A hand change in the target to a component of wave 2, made while wave 1
deployed, is named and refused (wave 1 stays deployed, the backup is kept), or, named with
--overwrite, recorded as overwritten."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.testing import running_org
from sfenv.services.promote import deploy_steps
from sfenv.services.records import release_log
from sfenv.services.train import train as train_mod
from sfenv.services.train.model import Limits
from tests.projects import Project, write_config
from tests.reliability.promote_kit import after_first_deploy

ENVS = ("dev", "qa")
CLASSES = ("A0", "B0")
META = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="http://soap.sforce.com/'
        b'2006/04/metadata">\n    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n'
        b'</ApexClass>\n')


def body(name: str, value: str) -> bytes:
    return f"public class {name} {{ // {value}\n}}\n".encode()


def seed(folder: Path) -> None:
    (folder / "classes").mkdir(parents=True)
    for name in CLASSES:
        (folder / "classes" / f"{name}.cls").write_bytes(body(name, "v0"))
        (folder / "classes" / f"{name}.cls-meta.xml").write_bytes(META)
    (folder / ".localorg").mkdir()
    users = [{"username": f"{n.split()[0].lower()}@waves.example", "name": n,
              "profile": "System Administrator"} for n in ("Org Admin", "Hand User")]
    (folder / ".localorg" / "seed.json").write_text(json.dumps(
        {"org_name": "Wave Org", "is_sandbox": True, "users": users, "components": {},
         "audit_trail": []}))


def edit(project: Project, env: str, name: str, value: str) -> None:
    """A hand change of class `name` in `env`'s org, by Hand User."""
    org = project.orgs[env].server.org
    with org.lock:
        (org.metadata_dir / "classes" / f"{name}.cls").write_bytes(body(name, value))
        org.touch_components([f"ApexClass:{name}"], org.user_by_name("Hand User"))
        org.save()


def value(project: Project, env: str, name: str) -> str:
    text = (project.orgs[env].server.org.metadata_dir / "classes" / f"{name}.cls").read_text()
    return text.split("// ", 1)[1].split("\n", 1)[0]


def store(project: Project) -> SnapshotStore:
    return SnapshotStore(project.root)


def log(project: Project, train: str) -> list[dict]:
    s = store(project)
    return json.loads(s.read_file(s.ref_commit(train_mod.RELEASES_REF),
                                  f"releases/{train}/log.json"))


@pytest.fixture
def project(tmp_path, monkeypatch) -> Iterator[Project]:
    """dev → qa; dev changes both classes; R1 is built in two waves (three files a deploy:
    a class and its meta file, and the wave's package.xml)."""
    with ExitStack() as stack:
        orgs = {}
        for env in ENVS:
            seed(tmp_path / "orgs" / env)
            orgs[env] = stack.enter_context(running_org(tmp_path / "orgs" / env))
        root = tmp_path / "project"
        root.mkdir()
        config = write_config(root, orgs, monkeypatch, production=None, extra="manifest: core")
        p = Project(root, config, orgs)
        for env in ENVS:
            p.ok("pull", env, "--quiet")
        for name in CLASSES:
            edit(p, "dev", name, "v1")
        p.ok("pull", "dev", "--quiet")
        monkeypatch.setattr(train_mod, "Limits", lambda: Limits(max_files=3, max_bytes=10**9))
        p.ok("release", "build", "R1")
        yield p


def second_wave(project: Project) -> str:
    """The class R1 deploys in its second wave."""
    s = store(project)
    waves = json.loads(s.read_file(s.ref_commit(train_mod.RELEASES_REF),
                                   "releases/R1/train.json"))["waves"]
    assert len(waves) == 2, waves
    (member,) = waves[1]["members"]
    return member.split(":", 1)[1]


@pytest.fixture
def hand_change_after_wave_1(project, monkeypatch) -> str:
    """qa's Hand User edits the class of wave 2 as soon as wave 1's deploy has finished."""
    name = second_wave(project)
    after_first_deploy(monkeypatch, lambda: edit(project, "qa", name, "hand"))
    return name


def test_a_hand_change_to_wave_2_made_while_wave_1_deployed_is_named_and_refused(
        project, hand_change_after_wave_1):
    name = hand_change_after_wave_1
    result = project.cli("release", "promote", "R1", "--to", "qa")
    assert result.exit_code == 1, result.output
    assert f"ApexClass:{name}: changed in the target by Hand User" in result.output
    assert "1 earlier wave deployed, the rest not" in result.output
    assert value(project, "qa", name) == "hand", "the hand change was overwritten"
    entry = [e for e in log(project, "R1") if e["env"] == "qa"][-1]
    assert entry["result"] == "refused" and len(entry["deploy_ids"]) == 1, entry
    assert [c["component"] for c in entry["conflicts"]] == [f"ApexClass:{name}"]
    assert entry["backup_tag"], "the backup of a half-deployed train was dropped"
    assert "recheck-2" not in entry["steps_done"] and "wait-1" in entry["steps_done"]


def test_overwrite_names_the_wave_2_change_and_the_record_says_so(project,
                                                                  hand_change_after_wave_1):
    name = hand_change_after_wave_1
    result = project.cli("release", "promote", "R1", "--to", "qa", "--overwrite",
                         f"ApexClass:{name}")
    assert result.exit_code == 0, result.output
    assert all(value(project, "qa", n) == "v1" for n in CLASSES)
    entry = [e for e in log(project, "R1") if e["env"] == "qa"][-1]
    assert entry["result"] == "deployed" and len(entry["deploy_ids"]) == 2, entry
    assert [(c["component"], c["changed_by"]) for c in entry["overwrites"]] == [
        (f"ApexClass:{name}", "Hand User")]
    assert f"overwriting qa's change (--overwrite): ApexClass:{name}" in result.output


def test_nothing_changed_between_the_waves_deploys_both(project):
    result = project.cli("release", "promote", "R1", "--to", "qa")
    assert result.exit_code == 0, result.output
    assert "re-checked qa before the deploy of the wave 2/2: nothing the train carries " \
           "changed" in result.output
    entry = [e for e in log(project, "R1") if e["env"] == "qa"][-1]
    assert entry["steps_done"][2:10] == ["validate-1", "recheck", "deploy-1", "wait-1",
                                         "validate-2", "recheck-2", "deploy-2", "wait-2"], entry
    assert not entry["overwrites"]


def test_a_rerun_of_an_entry_logged_before_later_waves_had_a_re_check_resumes(project,
                                                                               monkeypatch):
    """An entry whose done steps list only `recheck` (wave 1), as logged before this change,
    interrupted after wave 2 was validated: the rerun re-checks wave 2 and deploys it once."""
    real = deploy_steps.deploy

    class Stop(BaseException):
        pass

    def stop(p, number):
        if number == 2:
            raise Stop()
        return real(p, number)

    monkeypatch.setattr(deploy_steps, "deploy", stop)
    with pytest.raises(Stop):
        project.cli("release", "promote", "R1", "--to", "qa")
    monkeypatch.setattr(deploy_steps, "deploy", real)
    entry = release_log.read_log(store(project), "R1")[-1]
    assert entry.result == "in_progress" and "recheck-2" in entry.steps_done, entry
    entry.steps_done.remove("recheck-2")  # as logged before later waves had a re-check
    release_log.append(store(project), "R1", entry)
    result = project.cli("release", "promote", "R1", "--to", "qa")
    assert result.exit_code == 0, result.output
    assert "re-checked qa before the deploy of the wave 2/2" in result.output
    assert all(value(project, "qa", n) == "v1" for n in CLASSES)
    deployed = [e for e in log(project, "R1") if e["env"] == "qa" and e["deploy_ids"]]
    assert len(deployed) == 1 and len(deployed[0]["deploy_ids"]) == 2, deployed
    assert deployed[0]["result"] == "deployed", deployed
