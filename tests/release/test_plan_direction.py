"""`release plan/build`: a target that is not the next stage is warned about, a backwards one
refused without --hotfix; the plan names the target's own changes it would overwrite."""

from __future__ import annotations

import json
import subprocess

import pytest

from sfenv.config.model import Config, EnvConfig
from sfenv.errors import ReleaseError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.train.train import RELEASES_REF, build, plan
from sfenv.views.release import plan_text

META = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="http://soap.sforce.com/'
        b'2006/04/metadata">\n    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n'
        b'</ApexClass>\n')


def cls(name: str, body: str) -> dict[str, bytes]:
    return {f"classes/{name}.cls": f"public class {name} {{{body}}}\n".encode(),
            f"classes/{name}.cls-meta.xml": META}


def index(entries: dict[str, tuple[str, str]]) -> bytes:
    return json.dumps({c: {"lastModifiedByName": who, "lastModifiedDate": when}
                       for c, (who, when) in entries.items()}).encode()


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    envs = {n: EnvConfig(name=n, owner=n, production=(n == "prod")) for n in ("dev", "qa", "prod")}
    config = Config(file=root / "sfenv.yml", root=root, project="acme", api_version="62.0",
                    environments=envs, stages=[["dev"], ["qa"], ["prod"]])
    store = SnapshotStore(root)
    dev = {**cls("Billing", " // v2 "), **cls("Tax", " // dev "),
           ".sfenv/components.json": index({"ApexClass:Billing": ("Dana Dev", "2026-01-01T00:00:00Z"),
                                            "ApexClass:Tax": ("Dana Dev", "2026-01-01T00:00:00Z")})}
    # qa changed Tax by hand after dev did: promoting dev's Tax would overwrite Priya's change
    qa = {**cls("Billing", " // v1 "), **cls("Tax", " // hotfix "),
          ".sfenv/components.json": index({"ApexClass:Billing": ("Old", "2025-01-01T00:00:00Z"),
                                           "ApexClass:Tax": ("Priya Patel", "2026-02-01T00:00:00Z")})}
    for env, files in (("dev", dev), ("qa", qa), ("prod", qa)):
        store.write_snapshot(env, files, {"env": env}, expected_old=None)
    return config, store


def test_plan_names_the_targets_own_change_it_would_overwrite(project):
    config, store = project
    result = plan(config, store, "R1")
    assert [(c["component"], c["status"], c["by"]) for c in result.conflicts] == [
        ("ApexClass:Tax", "drift", "Priya Patel")]
    assert ("would overwrite qa's change by Priya Patel on 2026-02-01T00:00:00Z: ApexClass:Tax"
            in plan_text(result))


def test_plan_to_a_stage_that_is_not_the_next_one_warns(project):
    config, store = project
    result = plan(config, store, "R1", source="dev", target="prod")
    assert result.warnings == ["prod is not the next stage after dev: it skips qa "
                               "(promoting it will need --hotfix)"]
    assert "warning: prod is not the next stage after dev" in plan_text(result)
    assert plan(config, store, "R1", source="dev", target="qa").warnings == []


@pytest.mark.parametrize("source,target", [("prod", "dev"), ("qa", "dev"), ("prod", "qa")])
def test_backwards_plan_and_build_are_refused_without_hotfix(project, source, target):
    config, store = project
    with pytest.raises(ReleaseError, match=f"{target} is upstream of {source}.*--hotfix"):
        plan(config, store, "R1", source=source, target=target)
    with pytest.raises(ReleaseError, match="--hotfix"):
        build(config, store, "R1", source=source, target=target)
    assert store.ref_commit(RELEASES_REF) is None


def test_backwards_build_with_hotfix_is_built_with_a_warning(project):
    config, store = project
    built = build(config, store, "HF1", source="qa", target="dev", hotfix=True)
    assert built.commit and built.warnings and "upstream of qa" in built.warnings[0]


def test_build_that_cannot_write_its_folder_commits_and_tags_nothing(project):
    """Issue 13: the folder used to be written after the commit and tag, so a failure left a
    train "already built" whose package.zip never reached the disk."""
    config, store = project
    (config.root / "releases").write_text("a file where the folder should be\n")
    with pytest.raises(ReleaseError, match="cannot write the train's folder"):
        build(config, store, "R1")
    assert store.ref_commit(RELEASES_REF) is None
    assert store.ref_commit("refs/tags/release/R1") is None


def test_building_again_writes_a_missing_folder_from_the_ref(project):
    import shutil

    config, store = project
    built = build(config, store, "R1")
    shutil.rmtree(built.folder)
    with pytest.raises(ReleaseError, match="already built.*written again"):
        build(config, store, "R1")
    assert (config.root / "releases" / "R1" / "package.zip").is_file()
