"""A plan reads each profile/permission set entry's identity once (`train.entries.EntryReader`)
and asks the target about each granted component once: the package it assembles is the one
the per-element `entry_id` + `section_entries` code gave, byte for byte, and the entries it
lists (deployed or left out) are the same. Over every profile and permission set file under
tests/ (as Metadata API paths), as they are, with their entries reversed, with a foreign
namespace on one key and with blank keys, against the old code kept here as the oracle."""

from __future__ import annotations

import zlib

import pytest

from sfenv.core.compare.inventory import entry_id, sections_by_element
from sfenv.core.compare.model import Change
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.profiles import section_entries
from sfenv.core.metadata.references import is_standard
from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import local_name, parse_xml, sort_unordered, write_xml
from sfenv.services.train import package
from sfenv.services.train.entries import EntryReader
from sfenv.services.train.model import EntryFit
from tests.permission_files import permission_files


def _variants(path: str, data: bytes) -> list[bytes]:
    """The file, its entries reversed, a key in another namespace, the first key of every
    other entry blanked (no row), and a comment between entries."""
    root = parse_xml(data, path)
    children = list(root)
    for el in children:
        root.remove(el)
    for el in reversed(children):
        root.append(el)
    reversed_ = write_xml(root)
    text = data.decode("utf-8")
    foreign = text.replace("<field>", '<x:field xmlns:x="urn:other">', 1).replace(
        "</field>", "</x:field>", 1)
    blanked = text
    for key in ("field", "apexClass", "object"):
        blanked = blanked.replace(f"<{key}>", f"<{key}> </{key}><{key}>", 3)
    commented = text.replace("    <fieldPermissions>", "    <!-- c --><fieldPermissions>", 1)
    # written once, these would not give the bytes a second parse and write gives
    mixed = text.replace("<fieldPermissions>", "<fieldPermissions>stray", 1)
    reference = text.replace("</field>", "&#13;</field>", 1)
    return [data, reversed_, foreign.encode(), blanked.encode(), commented.encode(),
            mixed.encode(), reference.encode()]


CASES = [(path, n, variant) for path, data in permission_files()
         for n, variant in enumerate(_variants(path, data))]


def test_there_are_profiles_and_permission_sets_to_read():
    paths = {p for p, _ in permission_files()}
    assert any(p.startswith("profiles/") for p in paths)
    assert any(p.startswith("permissionsets/") for p in paths)


def _old_with_entries(path: str, data: bytes, entries: set[ComponentId]) -> bytes:
    registry = default_registry()
    owner = registry.component_of(path)
    assert owner is not None
    mtype = registry.get(owner.type)
    root = parse_xml(data, path)
    sections = sections_by_element(mtype)
    for el in list(root):
        cid = entry_id(owner, el, mtype, sections)
        if cid is not None and cid not in entries:
            root.remove(el)
    for el in sorted(root, key=local_name):
        root.append(el)
    sort_unordered(root, mtype)
    return write_xml(root)


def _old_fit(files: dict[str, bytes], available) -> tuple[dict[str, bytes], list[EntryFit]]:
    registry = default_registry()
    out = dict(files)
    fits: list[EntryFit] = []
    for path in package.permission_files(files, registry):
        owner = registry.component_of(path)
        assert owner is not None
        mtype = registry.get(owner.type)
        root = parse_xml(files[path], path)
        dropped = False
        for el, grants in list(section_entries(root, mtype)):
            cid = entry_id(owner, el, mtype)
            ok = is_standard(grants) or available(grants)
            fits.append(EntryFit(str(cid or owner), str(grants), ok))
            if not ok:
                root.remove(el)
                dropped = True
        if dropped:
            out[path] = write_xml(root)
    return out, sorted(fits, key=lambda f: f.entry)


def _half(cid: ComponentId) -> bool:
    """A target holding about half of the components (the same half on every run)."""
    return zlib.crc32(str(cid).encode()) % 2 == 0


@pytest.mark.parametrize(("path", "variant", "data"), CASES,
                         ids=[f"{p}#{n}" for p, n, _ in CASES])
def test_one_reading_gives_the_old_rows_grants_and_package(path, variant, data):
    registry = default_registry()
    owner = registry.component_of(path)
    assert owner is not None
    mtype = registry.get(owner.type)
    root = parse_xml(data, path)
    reader = EntryReader(owner, mtype)
    grants_of = dict(section_entries(root, mtype))
    rows = []
    for el in root:
        found = reader.identity(el)
        assert (found[0] if found else None) == entry_id(owner, el, mtype)
        assert (found[1] if found else None) == grants_of.get(el)
        if found is not None:
            rows.append(found[0])
    # keep every other row: the package keeps exactly those, as before
    kept = set(rows[::2])
    assert package._with_entries(path, data, kept, registry) == _old_with_entries(path, data, kept)
    files = {path: data, "classes/A.cls": b"x"}
    assert package.fit_entries(files, _half, registry) == _old_fit(files, _half)


def test_the_target_is_asked_once_per_granted_component():
    registry = default_registry()
    files = dict(permission_files())
    asked: list[ComponentId] = []

    def target(cid: ComponentId) -> bool:
        asked.append(cid)
        return _half(cid)

    fitted, fits = package.fit_entries(files, package._remembered(target), registry)
    assert len(asked) == len(set(asked))
    assert len(asked) < sum(1 for f in fits if f.grants in {str(a) for a in asked})  # shared
    assert (fitted, fits) == _old_fit(files, _half)
    assert fits and any(not f.deployed for f in fits)  # something was left out


@pytest.mark.parametrize(("path", "variant", "data"), CASES,
                         ids=[f"{p}#{n}" for p, n, _ in CASES])
def test_the_assembled_package_fits_entries_as_before(path, variant, data):
    """`assemble` fits a profile's kept entries while building its unit (one parse, one
    write): the same file and entries as writing the kept entries, then fitting that file."""
    registry = default_registry()
    owner = registry.component_of(path)
    assert owner is not None
    reader = EntryReader(owner, registry.get(owner.type))
    rows = [found[0] for el in parse_xml(data, path) if (found := reader.identity(el))]
    # every row of the last two variants: their odd element must stay in the file
    changed = set(rows) if variant >= 5 else set(rows[1::2]) or set(rows)
    if not changed:
        return  # no entry row to change (blank keys): nothing to package
    changes = [Change(cid, "modified", parent=owner, path=path) for cid in sorted(changed)]
    target = _half
    if variant >= 5:  # the target has the odd element's field only: the others are left out
        odd = next((el for el in parse_xml(data, path) if local_name(el) == "fieldPermissions"),
                   None)
        field = odd is not None and reader.identity(odd)
        target = (lambda c: c == field[1]) if field else _half
    pkg, _units = package.assemble(changes, {path: data}, registry, "62.0", target_has=target)
    carried = changed | {owner}
    whole = owner.type in registry.deployed_whole()
    written = data if whole else _old_with_entries(path, data, changed)
    files, fits = _old_fit({path: written}, lambda c: c in carried or target(c))
    assert pkg.files["src/" + path] == files[path]
    assert pkg.entries == fits


def test_a_file_whose_second_writing_differs_is_fitted_from_its_bytes():
    """Mixed content or a character reference: writing the fitted tree once would differ from
    the old written-parsed-written bytes, so those files take the old way (the test above
    checks the result)."""
    registry = default_registry()
    path, data = next((p, d) for p, d in permission_files() if p.startswith("profiles/")
                      and b"<fieldPermissions>" in d)
    owner = registry.component_of(path)
    assert owner is not None
    reader = EntryReader(owner, registry.get(owner.type))
    for variant in _variants(path, data)[-2:]:
        every = {found[0] for el in parse_xml(variant, path) if (found := reader.identity(el))}
        root, _kept = package._entries_root(path, variant, every, registry)
        assert not package._written_once_is_enough(variant, root)
        assert write_xml(parse_xml(write_xml(root), path)) != write_xml(root)
    root, _kept = package._entries_root(path, data, set(), registry)
    assert package._written_once_is_enough(data, root)
