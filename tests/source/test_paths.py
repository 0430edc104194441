"""Where a source file belongs when feature folders reuse a type's folder name."""

from __future__ import annotations

from sfenv.core.metadata.registry import default_registry
from sfenv.io.source.paths import locate


def _located(path: str) -> tuple[str, str] | None:
    registry = default_registry()
    found = locate(path, registry, registry.source)
    return (found.type, found.rel) if found else None


def test_a_feature_folder_named_components_holds_classes_not_apex_components():
    # nav-crm-arbeidsgiver-base keeps features under force-app/components/<feature>/
    base = "force-app/components/activityTimeline"
    assert _located(f"{base}/classes/Ctl.cls") == ("ApexClass", "classes/Ctl.cls")
    assert _located(f"{base}/classes/Ctl.cls-meta.xml") == ("ApexClass", "classes/Ctl.cls-meta.xml")
    assert _located(f"{base}/lwc/timeline/timeline.js") == (
        "LightningComponentBundle", "lwc/timeline/timeline.js")
    assert _located(f"{base}/objects/X__mdt/fields/F__c.field-meta.xml") == (
        "CustomObject", "objects/X__mdt/fields/F__c.field-meta.xml")


def test_apex_components_and_static_resource_folders_still_locate():
    assert _located("force-app/main/default/components/Nav.component") == (
        "ApexComponent", "components/Nav.component")
    assert _located("force-app/main/default/staticresources/lib/classes/x.js") == (
        "StaticResource", "staticresources/lib/classes/x.js")


def test_classes_in_sub_folders_are_classes_named_by_their_file():
    # nav-crm-nks-base keeps classes/saf-wrappers/*.cls; the CLI names them by file name
    base = "force-app/main/default/classes/saf-wrappers"
    assert _located(f"{base}/NKS_SafBruker.cls") == ("ApexClass", "classes/NKS_SafBruker.cls")
    assert _located(f"{base}/NKS_SafBruker.cls-meta.xml") == (
        "ApexClass", "classes/NKS_SafBruker.cls-meta.xml")
