"""Unknown types and members are exit 2 everywhere, a pull never empties a snapshot without
--full, and manifests are parsed in time linear in their size (issue 23, "a typo that empties
a snapshot" and "manifest parsing is quadratic")."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.package_xml import Package, parse_package
from sfenv.core.metadata.registry import default_registry
from sfenv.errors import MetadataError
from sfenv.io.store.snapshots import SnapshotStore
from tests.reliability.kit import untouched

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="http://soap.sforce.com/2006/04/metadata">\n'


def manifest(types: dict[str, list[str]]) -> bytes:
    body = "".join("    <types>\n" + "".join(f"        <members>{m}</members>\n" for m in ms)
                   + f"        <name>{t}</name>\n    </types>\n" for t, ms in types.items())
    return (HEAD + body + "    <version>62.0</version>\n</Package>\n").encode()


def _parse_seconds(members: int) -> float:
    data = manifest({"ApexClass": [f"Class{i:06d}" for i in range(members)]})
    started = time.perf_counter()
    pkg = parse_package(data, "m.xml")
    elapsed = time.perf_counter() - started
    assert len(pkg.types["ApexClass"]) == members
    return elapsed


def test_a_manifest_of_40000_members_parses_well_under_a_second():
    assert _parse_seconds(40_000) < 1.0


def test_manifest_parsing_grows_linearly_to_200000_members():
    small, large = _parse_seconds(40_000), _parse_seconds(200_000)
    assert large < 5.0, f"200,000 members took {large:.1f}s"
    # five times the members: linear is ~5x (~8x measured: allocation), quadratic ~25x
    assert large < 16 * max(small, 0.05), f"40k {small:.2f}s, 200k {large:.2f}s"


def test_adding_100000_members_one_by_one_is_linear():
    pkg = Package({}, "62.0")
    started = time.perf_counter()
    for i in range(100_000):
        pkg.add(ComponentId("ApexClass", f"C{i}"))
    pkg.add(ComponentId("ApexClass", "C5"))  # a duplicate is still dropped
    assert time.perf_counter() - started < 2.0
    assert len(pkg.types["ApexClass"]) == 100_000


def test_a_user_package_xml_with_a_misspelt_type_is_refused_with_its_line():
    data = manifest({"ApexClass": ["A"], "ApexClas": ["B"]})
    with pytest.raises(MetadataError) as err:
        parse_package(data, "m.xml", registry=default_registry())
    assert str(err.value).startswith("m.xml:9: unknown metadata type: ApexClas "
                                     "(did you mean ApexClass?)"), err.value
    assert parse_package(data, "m.xml").types["ApexClas"] == ["B"]  # org replies stay as sent


@contextmanager
def config_extra(project, extra: str):
    """`project`'s sfenv.yml with `extra` appended for the block, restored after."""
    path = project.config_path
    original = path.read_text()
    path.write_text(original + extra)
    try:
        yield
    finally:
        path.write_text(original)


def test_a_manifest_whose_only_member_is_misspelt_is_exit_2_and_the_snapshot_stays(dev):
    project, baseline = dev
    (project.root / "typo.xml").write_bytes(manifest({"ApexClass": ["InvoiceServic"]}))
    before = SnapshotStore(project.root).head("dev")
    with config_extra(project, "manifest: typo.xml\n"):
        result = project.cli("pull", "dev", "--quiet")
    line = untouched(project.root, "dev", before, result, 2)
    assert "typo.xml" in line and "ApexClass:InvoiceServic" in line, line
    assert "did you mean InvoiceService?" in line, line


def test_a_named_member_left_out_by_exclude_is_not_called_unknown(dev):
    project, _ = dev
    (project.root / "one.xml").write_bytes(manifest({"ApexClass": ["InvoiceService"]}))
    with config_extra(project, 'manifest: one.xml\nexclude: ["ApexClass:InvoiceService"]\n'):
        result = project.cli("pull", "dev", "--quiet")
    assert result.exit_code != 0  # nothing left to pull: refused, but not as a typo
    assert "does not have" not in result.output, result.output


def test_an_incremental_pull_that_would_remove_everything_needs_full(dev):
    project, _ = dev
    before = SnapshotStore(project.root).head("dev")
    with config_extra(project, 'exclude: ["*"]\n'):
        result = project.cli("pull", "dev", "--quiet")
    line = untouched(project.root, "dev", before, result, 3)
    assert "would remove all" in line and "`sfenv pull dev --full`" in line, line


def test_release_plan_with_a_misspelt_manifest_type_is_exit_2(dev):
    project, _ = dev
    (project.root / "m.xml").write_bytes(manifest({"ApexClas": ["InvoicePdfService"]}))
    result = project.cli("release", "plan", "R1", "--from", "dev", "--to", "dev",
                         "--manifest", str(project.root / "m.xml"))
    assert result.exit_code == 2, result.output
    assert "ApexClas (did you mean ApexClass?)" in result.output
