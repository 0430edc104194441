"""Element detail is computed by a direct walk over the parsed trees; it must give exactly the
rows DeepDiff gave for the same trees (the diff's output is unchanged by the speed-up)."""

from __future__ import annotations

from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from sfenv.core.compare.elements import Tree, element_changes, tree_changes
from sfenv.core.compare.model import ElementChange

LABELS = st.sampled_from(["a", "b", "field[X]", "field[Y]", "value[Gold]", "__hidden", "x.y"])
LEAVES = st.one_of(st.sampled_from(["", "1", "2", "Read"]), st.just(True))
TREES = st.recursive(LEAVES, lambda inner: st.dictionaries(LABELS, inner, max_size=4),
                     max_leaves=12)


def deepdiff_rows(a: Tree, b: Tree, prefix: str = "") -> list[ElementChange]:
    """The rows as the diff computed them with DeepDiff (before the walk replaced it)."""
    if a == b:
        return []
    if not isinstance(a, dict) or not isinstance(b, dict):
        return [ElementChange(prefix or "value", "changed", a, b)]
    result = []
    diff = DeepDiff(a, b, view="tree", verbose_level=2)
    for report, kind in (("values_changed", "changed"), ("type_changes", "changed"),
                         ("dictionary_item_added", "added"),
                         ("dictionary_item_removed", "removed")):
        for level in diff.get(report, ()):
            path = ".".join(str(k) for k in level.path(output_format="list"))
            if prefix:
                path = f"{prefix}.{path}"
            old = None if kind == "added" else level.t1
            new = None if kind == "removed" else level.t2
            result.append(ElementChange(path, kind, old, new))
    result.sort(key=lambda e: e.path)
    return result


@settings(max_examples=300, deadline=None)
@given(TREES, TREES, st.sampled_from(["", "p"]))
def test_walk_gives_the_rows_deepdiff_gives(a: Tree, b: Tree, prefix: str) -> None:
    assert tree_changes(a, b, prefix) == deepdiff_rows(a, b, prefix)


def test_element_paths_a_reviewer_reads() -> None:
    old = (b'<CustomField xmlns="http://soap.sforce.com/2006/04/metadata"><fullName>Tier__c'
           b"</fullName><length>10</length><valueSet><value><fullName>Gold</fullName></value>"
           b"</valueSet><inlineHelpText>old</inlineHelpText></CustomField>")
    new = (b'<CustomField xmlns="http://soap.sforce.com/2006/04/metadata"><fullName>Tier__c'
           b"</fullName><length>20</length><valueSet><value><fullName>Gold</fullName></value>"
           b"<value><fullName>Silver</fullName></value></valueSet></CustomField>")
    rows = [(e.path, e.kind, e.old, e.new) for e in element_changes(old, new)]
    assert rows == [
        ("inlineHelpText", "removed", "old", None),
        ("length", "changed", "10", "20"),
        ("valueSet.value[Silver]", "added", None, {"fullName": "Silver"}),
    ]
