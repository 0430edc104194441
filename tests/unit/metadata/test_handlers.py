"""Handlers: what a storage strategy means, asked of one object the registry names, so no
caller branches on `strategy == "..."` (issue 21)."""

from __future__ import annotations

import pytest

from sfenv.core.metadata.handlers import HANDLERS, BundleHandler, FolderHandler, handler_for
from sfenv.core.metadata.ids import ComponentId as C
from sfenv.core.metadata.registry import default_registry


def test_every_type_of_the_registry_has_the_handler_of_its_strategy():
    registry = default_registry()
    for t in registry.types:
        assert t.handler is HANDLERS[t.strategy], t.name
    assert {t.strategy for t in registry.types} == set(HANDLERS)


def test_an_unknown_strategy_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="unknown strategy 'zip' .known: xml, content, bundle, folder"):
        handler_for("zip")


@pytest.mark.parametrize(("cid", "main", "meta"), [
    (C("ApexClass", "A"), "classes/A.cls", "classes/A.cls-meta.xml"),
    (C("CustomObject", "Account"), "objects/Account.object", None),
    (C("CustomField", "Account.Region__c"), "objects/Account.object", None),
    (C("LightningComponentBundle", "card"), "lwc/card/card.js-meta.xml", None),
    (C("ReportFolder", "Sales/EMEA"), "reports/Sales/EMEA-meta.xml", "reports/Sales/EMEA-meta.xml"),
    (C("Document", "Shared/logo.png"), "documents/Shared/logo.png",
     "documents/Shared/logo.png-meta.xml"),
])
def test_paths_come_from_the_handler_and_lead_back_to_the_component(cid, main, meta):
    registry = default_registry()
    assert registry.expected_path(cid) == main
    assert registry.meta_path(cid) == meta
    assert registry.component_of(main) == registry.parent_id(cid)


def test_a_folder_is_packaged_under_its_content_type_and_its_metadata_api_name():
    registry = default_registry()
    folder = registry.get("ReportFolder")
    assert isinstance(folder.handler, FolderHandler)
    assert folder.handler.manifest_type(folder, "Report") == "Report"
    assert folder.handler.package_path(folder, "Sales", "reports/Sales.reportFolder-meta.xml") \
        == "reports/Sales-meta.xml"
    assert registry.mdapi_folder_path("reports/Sales.reportFolder-meta.xml") == "reports/Sales-meta.xml"
    assert registry.mdapi_folder_path("reports/Sales/Pipeline.report-meta.xml") is None


def test_a_bundle_owns_every_file_of_its_folder_and_its_side_meta_file():
    handler = BundleHandler()
    assert handler.bundle_name("card/__tests__/card.test.js") == "card"
    assert handler.bundle_name("site1.site-meta.xml") == "site1"
    assert handler.bundle_name("/x") is None


def test_the_ride_along_handler_is_the_registry_row_retrieved_with_related_types():
    from sfenv.core.metadata.profiles import RideAlong, filter_profile
    from sfenv.core.metadata.xmlio import NS

    handler = RideAlong(default_registry())
    assert handler.type.name == "Profile" and handler.type.retrieved_with
    profile = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Profile xmlns="{NS}">\n'
               "    <classAccesses>\n        <apexClass>A</apexClass>\n"
               "        <enabled>true</enabled>\n    </classAccesses>\n"
               "    <custom>false</custom>\n</Profile>\n").encode()
    kept = handler.filter(profile, {C("ApexClass", "B")})
    assert b"classAccesses" not in kept and b"<custom>false</custom>" in kept
    assert kept == filter_profile(profile, {C("ApexClass", "B")})
    assert handler.merge([kept, profile]) == handler.merge([profile, kept])
