"""Property: any Metadata API tree of decomposed objects, translations, bots, labels and static
resources converts to source format and back to the same canonical tree, and source converted
twice gives the same bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import canonicalize
from sfenv.core.metadata.ziputil import write_zip
from sfenv.io.source.convert import to_mdapi, to_source

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
NS = "http://soap.sforce.com/2006/04/metadata"
names = st.from_regex(r"[A-Z][a-zA-Z0-9]{0,6}(_[A-Za-z0-9]{1,4})?", fullmatch=True)
texts = st.text(alphabet="ab &<>'\"éü12", min_size=1, max_size=8)


def _element(tag: str, body: dict[str, str]) -> str:
    inner = "".join(f"<{k}>{_esc(v)}</{k}>" for k, v in body.items())
    return f"<{tag}>{inner}</{tag}>"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def mdapi_trees(draw) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for obj in draw(st.lists(names, min_size=1, max_size=3, unique=True)):
        parts = []
        if draw(st.booleans()):
            parts.append(_element("label", {}).replace("<label></label>", f"<label>{_esc(draw(texts))}</label>"))
        for tag in ("fields", "listViews", "validationRules", "webLinks"):
            for child in draw(st.lists(names, max_size=3, unique=True)):
                parts.append(_element(tag, {"fullName": child, "description": draw(texts)}))
        if not parts:
            parts.append(_element("fields", {"fullName": "Only__c", "description": "x"}))
        body = "".join(parts)
        files[f"objects/{obj}__c.object"] = f'{HEAD}<CustomObject xmlns="{NS}">{body}</CustomObject>'.encode()
    labels = draw(st.lists(names, max_size=3, unique=True))
    if labels:
        body = "".join(_element("labels", {"fullName": n, "value": draw(texts)}) for n in labels)
        files["labels/CustomLabels.labels"] = f'{HEAD}<CustomLabels xmlns="{NS}">{body}</CustomLabels>'.encode()
    for name in draw(st.lists(names, max_size=2, unique=True)):
        archive = draw(st.booleans())
        content = (write_zip({"a/b.js": draw(texts).encode(), "c.css": b"c{}"}) if archive
                   else draw(texts).encode())
        ctype = "application/zip" if archive else "text/plain"
        files[f"staticresources/{name}.resource"] = content
        files[f"staticresources/{name}.resource-meta.xml"] = (
            f'{HEAD}<StaticResource xmlns="{NS}"><cacheControl>Public</cacheControl>'
            f"<contentType>{ctype}</contentType></StaticResource>").encode()
    return files


def _canonical(tree: dict[str, bytes]) -> dict[str, bytes]:
    registry = default_registry()
    return {p: canonicalize(p, d, registry) for p, d in tree.items()
            if not d.startswith(b"PK\x03\x04")}  # archives: their entries, checked via `again`


@settings(max_examples=25, deadline=None)
@given(mdapi_trees())
def test_metadata_api_to_source_and_back_is_the_same_canonical_tree(tree):
    registry = default_registry()
    source = to_source(tree, registry).files
    project = {f"force-app/main/default/{p}": d for p, d in source.items()}
    back = to_mdapi(project, registry)
    assert back.warnings == []
    assert _canonical(back.files) == _canonical(tree)
    assert sorted(back.files) == sorted(tree)
    again = to_source(back.files, registry).files
    assert again == source
