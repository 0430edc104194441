"""Pruning canonical files by text (no parse) drops exactly the entries the parsed pruning
drops: the diff's rows are those of splitting both files in full, whatever the entries."""

from __future__ import annotations

from compare_helpers import field_xml, xml
from hypothesis import given, settings
from hypothesis import strategies as st
from memstore import MemoryStore

from sfenv.core.compare.diff import diff_commits
from sfenv.core.compare.prune import prune_common
from sfenv.core.metadata.components import split_file
from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import parse_xml, write_xml

PATH = "objects/Account.object"
# field names are unique in an object (repeated names are a file no org returns)
FIELDS = st.lists(st.tuples(st.integers(0, 45), st.sampled_from([80, 255])),
                  min_size=0, max_size=44, unique_by=lambda f: f[0])
REPEATS = st.lists(st.tuples(st.integers(0, 45), st.sampled_from([80, 255])),
                   min_size=0, max_size=44)


def _object(fields: list[tuple[int, int]], label: str) -> bytes:
    body = "\n".join(field_xml(f"F{n:02d}__c", length) for n, length in fields)  # repeats kept
    return xml("CustomObject", f"""{body}
    <label>{label}</label>
    <description>two
lines &lt;b&gt;</description>
    <sharingModel>Private</sharingModel>""")


def _rows(diff) -> list[tuple]:
    return [(str(c.component), c.kind, str(c.parent), c.path, c.old_xml, c.new_xml,
             [(e.path, e.kind, e.old, e.new) for e in c.elements]) for c in diff.changes]


def _full(path, data, reg):  # another splitter: no pruning at all
    return split_file(path, data, reg)


@settings(max_examples=25, deadline=None)
@given(FIELDS, FIELDS, st.sampled_from(["Account", "Client"]))
def test_text_pruning_gives_the_rows_of_splitting_in_full(old, new, label):
    store = MemoryStore()
    a = store.write({PATH: _object(old, "Account")})
    b = store.write({PATH: _object(new, label)})
    registry = default_registry()
    assert _rows(diff_commits(store, a, b, registry=registry)) == _rows(
        diff_commits(store, a, b, registry=registry, split=_full))


def _parsed(data: bytes) -> bytes:
    return write_xml(parse_xml(data, PATH)).replace(b"    <!-- c -->\n", b"")


@settings(max_examples=25, deadline=None)
@given(REPEATS, REPEATS)
def test_text_pruning_drops_what_parsed_pruning_drops(old, new):
    registry = default_registry()
    pair = (_object(old, "Account"), _object(new, "Client"))
    commented = [d.replace(b"    <sharingModel>", b"    <!-- c -->\n    <sharingModel>") for d in pair]
    by_text, parsed = prune_common(PATH, *pair, registry), prune_common(PATH, *commented, registry)
    assert [_parsed(d) for d in by_text] == [_parsed(d) for d in parsed]


def test_text_and_parsed_pruning_keep_the_same_entries():
    registry = default_registry()
    old = _object([(n, 80) for n in range(40)], "Account")
    new = _object([(n, 255 if n == 3 else 80) for n in range(1, 41)], "Client")
    by_text = prune_common(PATH, old, new, registry)
    # a comment makes a file non-canonical: the parsed path, same entries kept
    commented = [d.replace(b"    <sharingModel>", b"    <!-- c -->\n    <sharingModel>") for d in (old, new)]
    parsed = prune_common(PATH, *commented, registry)
    for text_side, parsed_side in zip(by_text, parsed, strict=True):
        assert b"<!--" not in text_side and b"<!--" in parsed_side
        assert _parsed(text_side) == _parsed(parsed_side)
    assert by_text[0].count(b"<fields>") == 2  # F00 removed, F03 changed
    assert by_text[1].count(b"<fields>") == 2  # F03 changed, F40 added


def _fields_only(fields: list[int]) -> bytes:
    return xml("CustomObject", "\n".join(field_xml(f"F{n:02d}__c", 80) for n in fields))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 9), unique=True, max_size=6),
       st.lists(st.integers(0, 9), unique=True, max_size=6))
def test_a_file_of_entries_only_gives_the_rows_of_splitting_in_full(old, new):
    # every entry of a side in common: its pruned file has no element left at all
    store = MemoryStore()
    a, b = store.write({PATH: _fields_only(old)}), store.write({PATH: _fields_only(new)})
    registry = default_registry()
    assert _rows(diff_commits(store, a, b, registry=registry)) == _rows(
        diff_commits(store, a, b, registry=registry, split=_full))


def test_all_entries_in_common_on_one_side_is_no_object_change():
    store = MemoryStore()
    a = store.write({PATH: _fields_only(list(range(40)))})
    b = store.write({PATH: _fields_only(list(range(41)))})
    rows = diff_commits(store, a, b, registry=default_registry()).changes
    assert [(str(c.component), c.kind) for c in rows] == [("CustomField:Account.F40__c", "added")]
