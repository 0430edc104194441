"""Generated large orgs: deterministic to the byte, sized as asked, valid Salesforce XML,
and mutations that report exactly what they changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import parse_xml, write_xml
from sfenv.errors import ConfigError
from sfenv.localorg.seeds import materialize
from sfenv.localorg.seeds.generate import generate_org, mutate_org, plan_counts


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for rel, data in tree(root).items():
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def test_same_inputs_give_byte_identical_trees(tmp_path):
    generate_org(tmp_path / "a", 800, seed=5)
    generate_org(tmp_path / "b", 800, seed=5)
    assert tree_hash(tmp_path / "a") == tree_hash(tmp_path / "b")


def test_another_rng_seed_gives_another_org(tmp_path):
    generate_org(tmp_path / "a", 800, seed=1)
    generate_org(tmp_path / "b", 800, seed=2)
    assert tree_hash(tmp_path / "a") != tree_hash(tmp_path / "b")


def test_counts_add_up_to_the_request_and_match_the_files(tmp_path):
    org = generate_org(tmp_path, 1000, seed=0)
    assert org.total == 1000 == len(org.components) == len(set(org.components))
    assert org.counts == plan_counts(1000)
    registry = default_registry()
    on_disk = {str(registry.component_of(p)) for p in tree(tmp_path)}
    assert on_disk == set(org.components)
    assert org.files == len(tree(tmp_path))
    for kind in ("ApexClass", "CustomObject", "Layout", "Profile", "Report", "ReportFolder",
                 "EmailTemplate", "LightningComponentBundle", "CustomLabels", "Role", "Queue"):
        assert org.counts[kind] >= 1, kind


def test_generated_xml_is_in_salesforce_byte_format(tmp_path):
    generate_org(tmp_path, 400, seed=3)
    checked = 0
    for rel, data in tree(tmp_path).items():
        if rel.endswith((".cls", ".trigger", ".js", ".html", ".email", ".resource")):
            continue
        assert write_xml(parse_xml(data, rel)) == data, rel
        checked += 1
    assert checked > 200


def test_too_small_an_org_is_a_config_error():
    with pytest.raises(ConfigError, match="large:10"):
        plan_counts(10)


def test_large_seed_of_12000_components_exceeds_the_10000_file_retrieve_limit(tmp_path):
    materialize("large:12000", tmp_path)
    files = [p for p in tmp_path.rglob("*") if p.is_file() and ".localorg" not in p.parts]
    assert len(files) > 10_000
    state = json.loads((tmp_path / ".localorg" / "seed.json").read_text("utf-8"))
    assert len(state["components"]) == 12000
    assert state["users"][0]["profile"] == "System Administrator"


def test_mutations_are_deterministic_and_reported(tmp_path):
    for name in ("a", "b"):
        materialize("large:600:1", tmp_path / name)
    before = tree(tmp_path / "a")
    changed_a = mutate_org(tmp_path / "a", 40, seed=9)
    changed_b = mutate_org(tmp_path / "b", 40, seed=9)
    assert changed_a == changed_b and 20 <= len(changed_a) <= 40
    assert tree_hash(tmp_path / "a") == tree_hash(tmp_path / "b")
    after = tree(tmp_path / "a")
    registry = default_registry()
    differing = {str(registry.component_of(p)) for p in set(before) | set(after)
                 if before.get(p) != after.get(p) and not p.startswith(".localorg/")}
    assert differing == set(changed_a)
    state = json.loads((tmp_path / "a" / ".localorg" / "seed.json").read_text("utf-8"))
    latest = max(v["lastModifiedDate"] for cid, v in state["components"].items()
                 if cid not in changed_a)
    for cid in changed_a:
        if cid in state["components"]:
            assert state["components"][cid]["lastModifiedDate"] > latest
        else:
            assert cid.startswith("ApexClass:") and not any(
                p.startswith(f"classes/{cid.split(':')[1]}.") for p in after)
