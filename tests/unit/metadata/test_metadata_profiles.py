import pytest

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.profiles import filter_profile, merge_profiles, section_entries
from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import canonicalize, local_name, parse_xml

C = ComponentId


@pytest.fixture
def profile(fixtures):
    return (fixtures / "canonical" / "from" / "profiles" / "Sales.profile").read_bytes()


def _entries(data):
    root = parse_xml(data, "p")
    return {(local_name(el), cid.full_name)
            for el, cid in section_entries(root, default_registry().get("Profile"))}


def test_filter_keeps_only_sections_naming_retrieved_components(profile):
    out = filter_profile(profile, {C("CustomField", "Account.Region__c"), C("ApexClass", "Zeta")})
    assert _entries(out) == {("fieldPermissions", "Account.Region__c"), ("classAccesses", "Zeta")}


def test_filter_keeps_the_profiles_own_settings(profile):
    out = filter_profile(profile, set())
    assert _entries(out) == set()
    for own in (b"<userPermissions>", b"<name>ViewSetup</name>", b"<loginIpRanges>",
                b"<custom>true</custom>", b"<userLicense>Salesforce</userLicense>"):
        assert own in out


def test_field_permission_kept_when_its_whole_object_was_retrieved(profile):
    out = filter_profile(profile, {C("CustomObject", "Account")})
    assert _entries(out) == {("fieldPermissions", "Account.Region__c"), ("objectPermissions", "Account"),
                             ("recordTypeVisibilities", "Account.Partner"),
                             ("tabVisibilities", "standard-Account")}


def test_wildcard_members_count_as_retrieved(profile):
    out = filter_profile(profile, {C("ApexClass", "*"), C("Layout", "*")})
    assert _entries(out) == {("classAccesses", "Alpha"), ("classAccesses", "Zeta"),
                             ("layoutAssignments", "Account-Account Layout")}
    assert out.count(b"<layoutAssignments>") == 2


def test_merging_chunked_retrieves_gives_the_whole_profile(profile, registry):
    parts = [
        filter_profile(profile, {C("CustomObject", "Account"), C("Layout", "Account-Account Layout")}),
        filter_profile(profile, {C("CustomField", "Opportunity.Stage_Notes__c"), C("ApexClass", "*"),
                                 C("ApexPage", "RegionMap")}),
        filter_profile(profile, {C("CustomObject", "Region__c"), C("CustomTab", "Region__c"),
                                 C("CustomApplication", "Sales_App")}),
    ]
    merged = merge_profiles(parts)
    assert merged == canonicalize("profiles/Sales.profile", profile, registry)
    assert merge_profiles(list(reversed(parts))) == merged


def test_merge_does_not_duplicate_entries_present_in_several_parts(profile):
    part = filter_profile(profile, {C("CustomObject", "Account")})
    assert merge_profiles([part, part, part]) == part


def test_related_types_cover_every_section():
    assert {"CustomObject", "CustomField", "ApexClass", "ApexPage", "CustomTab", "CustomApplication",
            "RecordType", "Layout", "CustomPermission", "Flow", "ExternalDataSource"} <= set(
        default_registry().get("Profile").retrieved_with)
