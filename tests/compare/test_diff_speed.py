"""Diffs read only what differs: large profiles and objects, the component index, bundles.

The fast paths must give exactly the rows the plain computation gives."""

from __future__ import annotations

import json

from compare_helpers import NS, field_xml, xml
from memstore import MemoryStore

from sfenv.core.compare.diff import diff_commits
from sfenv.core.compare.inventory import index_entries
from sfenv.core.compare.prune import prune_common
from sfenv.core.metadata.components import split_file
from sfenv.core.metadata.xmlio import parse_xml


def _profile(fields: dict[str, bool], description: str = "Admin") -> bytes:
    body = "".join(f"""    <fieldPermissions>
        <editable>{str(edit).lower()}</editable>
        <field>Account.{name}</field>
        <readable>true</readable>
    </fieldPermissions>
""" for name, edit in sorted(fields.items()))
    return xml("Profile", f"""    <custom>false</custom>
    <description>{description}</description>
{body}    <userLicense>Salesforce</userLicense>""")


def _object(fields: dict[str, int], label: str = "Account") -> bytes:
    body = "\n".join(field_xml(name, length) for name, length in sorted(fields.items()))
    return xml("CustomObject", f"""{body}
    <label>{label}</label>
    <sharingModel>Private</sharingModel>""")


def _pair() -> tuple[dict[str, bytes], dict[str, bytes]]:
    perms = {f"F{i:03d}__c": i % 2 == 0 for i in range(120)}
    fields = {f"F{i:03d}__c": 80 for i in range(120)}
    old = {"profiles/Admin.profile": _profile(perms), "objects/Account.object": _object(fields)}
    perms2 = dict(perms, F001__c=True, F500__c=False)
    del perms2["F010__c"]
    fields2 = dict(fields, F003__c=255, F600__c=10)
    del fields2["F020__c"]
    new = {"profiles/Admin.profile": _profile(perms2, "Administrators"),
           "objects/Account.object": _object(fields2, "Client")}
    return old, new


def _rows(diff) -> list[tuple]:
    return [(str(c.component), c.kind, str(c.parent), c.path, c.old_xml, c.new_xml,
             [(e.path, e.kind, e.old, e.new) for e in c.elements]) for c in diff.changes]


def test_large_files_give_the_same_rows_as_splitting_them_in_full(registry):
    store = MemoryStore()
    old, new = _pair()
    a, b = store.write(old), store.write(new)
    fast = diff_commits(store, a, b, registry=registry)

    def plain(path, data, reg):  # another splitter: no pruning
        return split_file(path, data, reg)

    full = diff_commits(store, a, b, registry=registry, split=plain)
    assert _rows(fast) == _rows(full)
    names = {str(c.component): c.kind for c in fast.changes}
    assert names["ProfileFieldPermission:Admin/Account.F001__c"] == "modified"
    assert names["ProfileFieldPermission:Admin/Account.F500__c"] == "added"
    assert names["ProfileFieldPermission:Admin/Account.F010__c"] == "removed"
    assert names["Profile:Admin"] == "modified"  # its description
    assert names["CustomField:Account.F003__c"] == "modified"
    assert names["CustomField:Account.F600__c"] == "added"
    assert names["CustomField:Account.F020__c"] == "removed"
    assert names["CustomObject:Account"] == "modified"  # its label
    assert len(fast.changes) == 8


def test_pruning_keeps_only_the_entries_that_differ(registry):
    old, new = _pair()
    path = "objects/Account.object"
    a, b = prune_common(path, old[path], new[path], registry)
    kept_a = [el.findtext(f"{{{NS}}}fullName") for el in parse_xml(a, path)
              if el.tag == f"{{{NS}}}fields"]
    kept_b = [el.findtext(f"{{{NS}}}fullName") for el in parse_xml(b, path)
              if el.tag == f"{{{NS}}}fields"]
    assert kept_a == ["F003__c", "F020__c"]
    assert kept_b == ["F003__c", "F600__c"]
    # the object's own piece (label, sharing model) is what it was
    assert split_file(path, a, registry)[0].xml == split_file(path, old[path], registry)[0].xml


def test_the_index_is_read_for_the_rows_only():
    entries = {"ApexClass:A": {"lastModifiedByName": "Ann", "n": 1},
               "Layout:Account-Account: Layout": {"lastModifiedByName": "Bob"},
               "CustomLabel:Café": {"lastModifiedByName": "Zoé"},
               "ApexClass:Z": {"lastModifiedByName": "Zed"}}
    lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in entries.items()]
    one_a_line = ("{\n" + ",\n".join(lines) + "\n}\n").encode()
    wanted = ["ApexClass:A", "Layout:Account-Account: Layout", "CustomLabel:Café", "Nope:X"]
    expect = {k: entries[k] for k in wanted if k in entries}
    assert index_entries(one_a_line, wanted) == expect
    lines.sort()  # as pulls write it: looked up by bisection
    assert index_entries(("{\n" + ",\n".join(lines) + "\n}\n").encode(), wanted) == expect
    assert index_entries(("{\n" + ",\n".join(lines) + "\n}").encode(), wanted) == expect
    for other in (json.dumps(entries, indent=0), json.dumps(entries, indent=2),
                  json.dumps(entries), json.dumps(entries, ensure_ascii=False)):
        assert index_entries(other.encode(), wanted) == expect
    assert index_entries(b"not json", wanted) == {}
    assert index_entries(None, wanted) == {}


def test_keys_with_quotes_are_found_in_either_order():
    entries = {'Layout:A": {"x': {"lastModifiedByName": "Q"}, "Layout:A": {"lastModifiedByName": "P"},
               "ApexClass:B": {"lastModifiedByName": 'say "hi"'}}
    wanted = list(entries) + ['Layout:A"']
    for order in (sorted, lambda lines: sorted(lines, reverse=True)):
        lines = order(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in entries.items())
        assert index_entries(("{\n" + ",\n".join(lines) + "\n}\n").encode(), wanted) == entries


def test_a_changed_class_carries_its_unchanged_meta_file(registry):
    store = MemoryStore()
    meta = xml("ApexClass", "    <apiVersion>62.0</apiVersion>\n    <status>Active</status>")
    common = {f"classes/C{i}.cls": b"class C%d {}\n" % i for i in range(50)}
    common |= {f"classes/C{i}.cls-meta.xml": meta for i in range(50)}
    a = store.write(common | {"classes/Foo.cls": b"class Foo {}\n",
                              "classes/Foo.cls-meta.xml": meta,
                              "classes/FooBar.cls": b"class FooBar {}\n"})
    b = store.write(common | {"classes/Foo.cls": b"class Foo { void x() {} }\n",
                              "classes/Foo.cls-meta.xml": meta,
                              "classes/FooBar.cls": b"class FooBar {}\n"})
    diff = diff_commits(store, a, b, registry=registry)
    [change] = diff.changes
    assert str(change.component) == "ApexClass:Foo"
    assert change.old_xml == b"class Foo {}\n" + meta
    assert change.new_xml == b"class Foo { void x() {} }\n" + meta


def test_the_component_index_reads_like_a_dict(store):
    from compare_helpers import snap

    from sfenv.core.compare.diff import component_index

    entries = {"ApexClass:A": {"lastModifiedByName": "Ann"}, "ApexClass:B": {"x": 1}}
    lines = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in entries.items()]
    commit = snap(store, "dev", {".sfenv/components.json": ("{\n" + ",\n".join(lines)
                                                             + "\n}\n").encode()})
    index = component_index(store, commit)
    assert index["ApexClass:A"] == {"lastModifiedByName": "Ann"}
    assert "ApexClass:B" in index and "ApexClass:C" not in index
    assert index.get("ApexClass:C") is None
    assert dict(index) == entries and len(index) == 2


def test_a_diff_is_computed_once_per_pair_of_trees(store, registry):
    from compare_helpers import snap

    from sfenv.io.store.snapshots import SnapshotStore

    old, new = _pair()
    a = snap(store, "prod", old)
    b = snap(store, "dev", new)
    first = diff_commits(store, a, b, registry=registry, a_name="prod", b_name="dev")
    assert first.blobs_read > 0

    again = SnapshotStore(store.repo_dir)  # another command on the same repository
    reads: list[int] = []
    inner = again.git.read_blobs
    again.git.read_blobs = lambda shas: reads.append(len(shas)) or inner(shas)
    second = diff_commits(again, a, b, registry=registry, a_name="prod", b_name="dev")
    assert _rows(second) == _rows(first) and (second.a, second.b) == ("prod", "dev")
    assert reads == [] and second.blobs_read == 0
    # another direction or another splitter is another diff
    assert diff_commits(again, b, a, registry=registry).blobs_read > 0
