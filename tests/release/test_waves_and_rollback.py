"""Waves above the deploy limits, and rollback packages that undo exactly one promotion."""

from __future__ import annotations

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.package_xml import parse_package
from sfenv.core.metadata.registry import default_registry
from sfenv.services.promote.rollback import changes_between, rollback_package
from sfenv.services.promote.verify import verify
from sfenv.services.train.model import Limits
from sfenv.services.train.package import assemble, digest, split_manual
from sfenv.services.train.waves import split

API = "62.0"
META = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="http://soap.sforce.com/'
        b'2006/04/metadata">\n    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n'
        b'</ApexClass>\n')


def classes(names, body="// v1"):
    tree = {}
    for n in names:
        tree[f"classes/{n}.cls"] = f"public class {n} {{ {body} }}\n".encode()
        tree[f"classes/{n}.cls-meta.xml"] = META
    return tree


def obj(fields, sharing="ReadWrite"):
    inner = "".join(f"    <fields>\n        <fullName>{f}</fullName>\n        <label>{f}</label>\n"
                    f"        <type>Text</type>\n    </fields>\n" for f in fields)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="http://soap.sforce.com'
            f'/2006/04/metadata">\n{inner}    <sharingModel>{sharing}</sharingModel>\n'
            f'</CustomObject>\n').encode()


def test_small_package_is_one_wave_with_the_whole_package():
    registry = default_registry()
    new = classes(["A", "B"])
    pkg, units = assemble(changes_between({}, new, registry), new, registry, API)
    waves = split(pkg, units, {}, Limits(), registry, API)
    assert len(waves) == 1
    assert waves[0][1] == pkg.zip_members()


def test_package_over_the_file_limit_is_split_into_waves_each_within_it():
    registry = default_registry()
    names = [f"C{i:02d}" for i in range(10)]
    old = classes(["Gone"])
    new = classes(names)
    pkg, units = assemble(changes_between(old, new, registry), new, registry, API)
    waves = split(pkg, units, {}, Limits(max_files=7, max_bytes=10**9), registry, API)
    assert len(waves) > 1
    seen: list[str] = []
    for number, (wave, members) in enumerate(waves, 1):
        assert wave.number == number
        assert len(members) <= 7
        manifest = parse_package(members["package.xml"], "package.xml")
        assert sorted(f"ApexClass:{m}" for m in manifest.types.get("ApexClass", [])) == wave.members
        seen += wave.members
    assert sorted(seen) == [f"ApexClass:{n}" for n in names]
    # deletions happen once, after everything is deployed
    assert [w.has_destructive for w, _ in waves] == [False] * (len(waves) - 1) + [True]
    assert "destructiveChangesPost.xml" in waves[-1][1]


def test_waves_put_what_a_component_needs_in_an_earlier_wave():
    registry = default_registry()
    new = classes(["A1", "B1", "Z1"])
    pkg, units = assemble(changes_between({}, new, registry), new, registry, API)
    # A1 needs Z1: Z1 must not come after A1
    needs = {ComponentId("ApexClass", "A1"): {ComponentId("ApexClass", "Z1")}}
    waves = split(pkg, units, needs, Limits(max_files=3, max_bytes=10**9), registry, API)
    order = [m for w, _ in waves for m in w.members]
    assert order.index("ApexClass:Z1") < order.index("ApexClass:A1")


def test_size_limit_also_splits():
    registry = default_registry()
    new = classes(["A", "B", "C"], body="x" * 5000)
    pkg, units = assemble(changes_between({}, new, registry), new, registry, API)
    waves = split(pkg, units, {}, Limits(max_files=10_000, max_bytes=9000), registry, API)
    assert len(waves) == 3


def test_manual_types_are_held_out_of_the_package():
    registry = default_registry()
    old = {}
    new = {**classes(["A"]), "objects/Account.object": obj(["Region__c"])}
    packaged, manual = split_manual(changes_between(old, new, registry), ["CustomObject"])
    assert {str(c.component) for c in manual} == {"CustomObject:Account",
                                                  "CustomField:Account.Region__c"}
    pkg, _ = assemble(packaged, new, registry, API)
    assert not any("objects/" in p for p in pkg.files)


def test_digest_changes_with_any_byte_of_the_package():
    registry = default_registry()
    new = classes(["A"])
    pkg, _ = assemble(changes_between({}, new, registry), new, registry, API)
    other = dict(pkg.files)
    other["src/classes/A.cls"] += b" "
    assert digest(pkg.files) == digest(dict(pkg.files))
    assert digest(pkg.files) != digest(other)


def test_rollback_restores_changed_recreates_deleted_and_destroys_added():
    registry = default_registry()
    before = {**classes(["Kept"], "// old"), **classes(["Dropped"]),
              "objects/Account.object": obj(["Old__c"], "Private")}
    after = {**classes(["Kept"], "// new"), **classes(["Added"]),
             "objects/Account.object": obj(["New__c"], "Private")}
    train = [ComponentId("ApexClass", "Kept"), ComponentId("ApexClass", "Added"),
             ComponentId("ApexClass", "Dropped"), ComponentId("CustomField", "Account.New__c"),
             ComponentId("CustomField", "Account.Old__c")]
    pkg, changes = rollback_package(train, before, after, registry, API)
    assert pkg.files["src/classes/Kept.cls"] == before["classes/Kept.cls"]
    assert pkg.files["src/classes/Dropped.cls"] == before["classes/Dropped.cls"]
    destroyed = parse_package(pkg.files["destructiveChangesPost.xml"], "d").components()
    assert set(destroyed) == {ComponentId("ApexClass", "Added"),
                              ComponentId("CustomField", "Account.New__c")}
    assert "<fullName>Old__c</fullName>" in pkg.files["src/objects/Account.object"].decode()
    # deploying the rollback over `after` gives `before` for the train's components
    check = verify(pkg.src(), pkg.deployed, pkg.deleted, before, registry)
    assert check.ok, check.mismatches


def test_rollback_leaves_components_outside_the_train_alone():
    registry = default_registry()
    before = {**classes(["Mine"], "// old"), **classes(["Theirs"], "// old")}
    after = {**classes(["Mine"], "// new"), **classes(["Theirs"], "// new")}
    pkg, _ = rollback_package([ComponentId("ApexClass", "Mine")], before, after, registry, API)
    assert "src/classes/Mine.cls" in pkg.files
    assert "src/classes/Theirs.cls" not in pkg.files


def test_verification_reports_a_component_that_differs_after_deploy():
    registry = default_registry()
    new = classes(["A", "B"], "// v2")
    pkg, _ = assemble(changes_between({}, new, registry), new, registry, API)
    after = {**classes(["A"], "// v2"), **classes(["B"], "// v1")}
    result = verify(pkg.src(), pkg.deployed, pkg.deleted, after, registry)
    assert not result.ok
    assert result.mismatches == [{"component": "ApexClass:B", "problem": "differs from the package"}]


def test_manual_types_name_patterns_hold_back_matching_components_only():
    """`manual_types: ["Group:*"]` (sfenv.yml's template example) held nothing back before."""
    registry = default_registry()
    new = {**classes(["A", "LegacyB"]), "objects/Account.object": obj(["Region__c"])}
    changes = changes_between({}, new, registry)
    packaged, manual = split_manual(changes, ["ApexClass:Legacy*", "CustomObject:Account"])
    assert {str(c.component) for c in manual} == {"ApexClass:LegacyB", "CustomObject:Account",
                                                  "CustomField:Account.Region__c"}
    assert {str(c.component) for c in packaged} == {"ApexClass:A"}
