"""package.xml is written as lines (a 235,000-member package through the element writer was
14 s of a 60k plan; issue 24): the bytes are the tree writer's, whatever the member names."""

from __future__ import annotations

import pytest

from sfenv.core.metadata.package_xml import Package, _write_package_tree, write_package

NAMES = ["Account", "*", "A&B", "x<y>z", 'say "hi"', "it's", "Übersicht/Bericht", "a b ",
         " ", "", "line\rbreak", "tab\there", "😀 emoji", "Folder/Report-1.2"]


@pytest.mark.parametrize("pkg", [
    Package({"ApexClass": ["B", "A", "A"], "CustomObject": NAMES}, "62.0"),
    Package({"Report": NAMES, "Zeta": ["z"], "Alpha": []}, ""),
    Package({}, "62.0"),
    Package({}, ""),
    Package({"Empty": []}, ""),
    Package({"A&T<ype>": ["m"]}, "6&2"),
], ids=["members", "no-version", "version-only", "empty", "only-empty-types", "escaped-type"])
def test_the_line_writer_gives_the_tree_writers_bytes(pkg):
    assert write_package(pkg) == _write_package_tree(pkg)


def test_a_member_no_xml_element_can_hold_is_still_refused():
    with pytest.raises(ValueError):
        write_package(Package({"ApexClass": ["bad\x01name"]}, "62.0"))
