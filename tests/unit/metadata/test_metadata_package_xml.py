import pytest

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.package_xml import Package, parse_package, write_package
from sfenv.errors import MetadataError

C = ComponentId
NAMES = ["Opportunity-Opp & Deals", "Account-Account Layout", "Case-Case Layout v1.2", "Überblick-Ä Layout"]


def test_package_xml_escapes_and_sorts_member_names():
    pkg = Package.of([C("Layout", n) for n in NAMES] + [C("ApexClass", "Zeta"), C("ApexClass", "*")], "60.0")
    assert write_package(pkg).decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Package xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        "    <types>\n        <members>*</members>\n        <members>Zeta</members>\n"
        "        <name>ApexClass</name>\n    </types>\n"
        "    <types>\n        <members>Account-Account Layout</members>\n"
        "        <members>Case-Case Layout v1.2</members>\n"
        "        <members>Opportunity-Opp &amp; Deals</members>\n"
        "        <members>Überblick-Ä Layout</members>\n        <name>Layout</name>\n    </types>\n"
        "    <version>60.0</version>\n</Package>\n")


def test_package_round_trips_names_with_spaces_dots_ampersands_and_unicode():
    pkg = Package.of([C("Layout", n) for n in NAMES] + [C("Report", "Sales/Q1.Pipeline")], "61.0")
    back = parse_package(write_package(pkg), "package.xml")
    assert back.version == "61.0"
    assert back.components() == sorted([C("Layout", n) for n in NAMES] + [C("Report", "Sales/Q1.Pipeline")])
    assert write_package(back) == write_package(pkg)


def test_parse_package_rejects_other_documents():
    with pytest.raises(MetadataError, match=r"^p\.xml:1: root element is <Role>"):
        parse_package(b"<Role/>", "p.xml")
    with pytest.raises(MetadataError, match="without <name>"):
        parse_package(b"<Package><types><members>a</members></types></Package>", "p.xml")
