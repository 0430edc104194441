"""Pieces read as text from canonical files are byte for byte the pieces `write_xml` gives:
splitting with and without the text path agrees on any layout, and canonical files do take it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sfenv.core.compare.inventory as inventory
import sfenv.core.metadata.components as components
from sfenv.core.compare.inventory import default_splitter, parts_of_file
from sfenv.core.metadata.canontext import element_texts
from sfenv.core.metadata.components import split_file
from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import parse_xml, write_xml

NS = "http://soap.sforce.com/2006/04/metadata"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'

# text as a file may spell it: escaped or not, character references, spaces, line breaks
CHARS = st.sampled_from(["a", "b", " ", "&amp;", "&lt;", ">", "&gt;", "'", "&apos;", '"',
                         "&quot;", "&#39;", "\n", "\n    ", "\t", "\r\n", "é"])
TEXT = st.lists(CHARS, max_size=5).map("".join)
KEY = st.sampled_from(["A__c", "B__c", "C__c", "D__c", "Name"])


@st.composite
def layouts(draw) -> tuple[str, bool]:
    """(indent for one level, is it the canonical one)."""
    pad = draw(st.sampled_from(["    ", "    ", "    ", "  ", "\t"]))
    return pad, pad == "    "


@st.composite
def element(draw, depth: int, pad: str) -> str:
    indent = pad * depth
    name = draw(st.sampled_from(["label", "description", "value", "default"]))
    shape = draw(st.sampled_from(["leaf", "leaf", "empty", "open-close", "nested"]))
    if shape == "leaf":
        return f"{indent}<{name}>{draw(TEXT)}</{name}>"
    if shape == "empty":
        return f"{indent}<{name}/>"
    if shape == "open-close":
        return f"{indent}<{name}>{draw(TEXT)}</{name}>" if draw(st.booleans()) \
            else f"{indent}<{name}></{name}>"
    inner = draw(st.lists(element(depth + 1, pad), min_size=0, max_size=2)) if depth < 4 else []
    lead = draw(st.sampled_from(["", "", "x"]))
    return "\n".join([f"{indent}<{name}>{lead}", *inner, f"{indent}</{name}>"])


@st.composite
def child(draw, tag: str, pad: str) -> str:
    body = [f"{pad * 2}<fullName>{draw(KEY)}</fullName>"]
    body += draw(st.lists(element(2, pad), max_size=3))
    attr = draw(st.sampled_from(["", "", "", ' a="1"']))
    return "\n".join([f"{pad}<{tag}{attr}>", *body, f"{pad}</{tag}>"])


@st.composite
def object_files(draw) -> bytes:
    pad, _ = draw(layouts())
    kids = draw(st.lists(st.sampled_from(["fields", "validationRules", "listViews",
                                          "recordTypes", "label"]), min_size=1, max_size=6))
    lines = []
    for tag in kids:
        if tag == "label":
            lines.append(f"{pad}<label>{draw(TEXT)}</label>")
        elif tag == "recordTypes":  # its picklistValues are sorted when split
            values = draw(st.lists(st.sampled_from(["Z", "M", "A"]), max_size=3))
            pick = [f"{pad * 2}<picklistValues>\n{pad * 3}<picklist>{v}</picklist>\n"
                    f"{pad * 2}</picklistValues>" for v in values]
            lines.append("\n".join([f"{pad}<recordTypes>",
                                    f"{pad * 2}<fullName>{draw(KEY)}</fullName>", *pick,
                                    f"{pad}</recordTypes>"]))
        else:
            lines.append(draw(child(tag, pad)))
    end = draw(st.sampled_from(["\n", "", "\n"]))
    return (HEAD + f'<CustomObject xmlns="{NS}">\n' + "\n".join(lines)
            + f"\n</CustomObject>{end}").encode()


def _plain(monkeypatch, module) -> None:
    monkeypatch.setattr(module, "element_texts", lambda data, root: {})


def _split_both(monkeypatch, data: bytes, path: str):
    registry = default_registry()
    fast = split_file(path, data, registry)
    with monkeypatch.context() as m:
        _plain(m, components)
        plain = split_file(path, data, registry)
    return fast, plain


@settings(max_examples=150, deadline=None)
@given(object_files())
def test_text_pieces_equal_written_pieces_whatever_the_layout(data):
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, plain = _split_both(monkeypatch, data, "objects/Account.object")
    assert fast == plain


@settings(max_examples=100, deadline=None)
@given(object_files())
def test_canonical_files_take_the_text_path(data):
    canonical = write_xml(parse_xml(data, "x"))
    root = parse_xml(canonical, "x")
    texts = element_texts(canonical, root)
    for el in root:
        one_line_texts = all("\n" not in (e.text or "") and "\r" not in (e.text or "")
                             for e in el.iter())
        if one_line_texts:
            assert texts[el] == write_xml(el)
        else:
            assert texts.get(el, write_xml(el)) == write_xml(el)


@st.composite
def profiles(draw) -> bytes:
    pad, _ = draw(layouts())
    entries = []
    for _ in range(draw(st.integers(1, 6))):
        field = draw(st.sampled_from(["Account.A__c", "Account.B__c", "Case.C__c"]))
        flag = draw(st.sampled_from(["true", "false", "true\n", "  true"]))
        entries.append(f"{pad}<fieldPermissions>\n{pad * 2}<editable>{flag}</editable>\n"
                       f"{pad * 2}<field>{field}</field>\n{pad}</fieldPermissions>")
    entries.append(f"{pad}<custom>{draw(TEXT)}</custom>")
    return (HEAD + f'<Profile xmlns="{NS}">\n' + "\n".join(entries) + "\n</Profile>\n").encode()


@settings(max_examples=100, deadline=None)
@given(profiles())
def test_profile_entry_rows_equal_written_rows(data):
    registry = default_registry()
    path = "profiles/Admin.profile"
    fast = parts_of_file(path, data, registry, default_splitter())
    with pytest.MonkeyPatch.context() as m:
        _plain(m, components)
        _plain(m, inventory)
        plain = parts_of_file(path, data, registry, default_splitter())
    assert fast == plain


def test_an_object_read_as_text_gives_the_same_pieces(fixtures):
    data = write_xml(parse_xml((fixtures / "roundtrip" / "Account.object").read_bytes(), "x"))
    root = parse_xml(data, "x")
    assert len(element_texts(data, root)) > len(root) // 2  # the text path is taken
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, plain = _split_both(monkeypatch, data, "objects/Account.object")
    assert fast == plain
