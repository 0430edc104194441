"""Permission entries fitted to a target (issue 22 item 5): a profile or permission set in a
package carries only entries whose component the target has or the package brings; the rest
are listed, not deployed."""

from __future__ import annotations

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.ziputil import read_zip, write_zip
from sfenv.services.train.package import fit_src, fit_zips

PERMSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
    <classAccesses>
        <apexClass>Present</apexClass>
        <enabled>true</enabled>
    </classAccesses>
    <classAccesses>
        <apexClass>Missing</apexClass>
        <enabled>true</enabled>
    </classAccesses>
    <classAccesses>
        <apexClass>Shipped</apexClass>
        <enabled>true</enabled>
    </classAccesses>
    <fieldPermissions>
        <editable>true</editable>
        <field>Account.Name</field>
        <readable>true</readable>
    </fieldPermissions>
    <label>Ops</label>
</PermissionSet>
"""
SRC = {"permissionsets/Ops.permissionset": PERMSET,
       "classes/Shipped.cls": b"public class Shipped {}\n",
       "classes/Shipped.cls-meta.xml": b"<ApexClass/>"}


def has(cid: ComponentId) -> bool:
    return str(cid) == "ApexClass:Present"


def test_entries_of_components_neither_in_the_target_nor_the_train_are_left_out_and_listed():
    fitted, fits = fit_src(SRC, has, default_registry())
    xml = fitted["permissionsets/Ops.permissionset"].decode()
    assert "Missing" not in xml and "Present" in xml and "Shipped" in xml
    assert "Account.Name" in xml  # standard fields always exist
    assert [(f.entry, f.deployed) for f in fits] == [
        ("PermissionSetClassAccess:Ops/Missing", False),
        ("PermissionSetClassAccess:Ops/Present", True),
        ("PermissionSetClassAccess:Ops/Shipped", True),
        ("PermissionSetFieldPermission:Ops/Account.Name", True)]
    assert str(fits[0]) == ("PermissionSetClassAccess:Ops/Missing (not deployed: no "
                            "ApexClass:Missing in the target or the train)")
    assert fitted["classes/Shipped.cls"] is SRC["classes/Shipped.cls"]


def test_a_zip_with_nothing_to_leave_out_keeps_its_bytes_and_a_later_wave_counts():
    registry = default_registry()
    classes = write_zip({k: v for k, v in SRC.items() if k.startswith("classes/")})
    perms = write_zip({"permissionsets/Ops.permissionset": PERMSET})
    (same, fitted), fits = fit_zips([classes, perms], has, registry)
    assert same is classes
    assert "Missing" not in read_zip(fitted, "w")["permissionsets/Ops.permissionset"].decode()
    assert [f.entry for f in fits if not f.deployed] == ["PermissionSetClassAccess:Ops/Missing"]
    (untouched,), _ = fit_zips([perms], lambda c: True, registry)
    assert untouched is perms
