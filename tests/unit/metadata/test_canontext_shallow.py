"""`_exact`'s one-regex path for shallow elements answers what the escaping checks and the
line-by-line loop (`_checked`, the whole of `_exact` before) answer: never "exact" for a text
they refuse (a wrong indentation, a blank element, a leaf split over lines, a quote, a CR, a
bare `&` or `>`...), and "exact" for the shapes it is there for. Over every top-level element of
the fixture files under tests/, each also mutated in ways that break canonical layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfenv.core.metadata.canontext import _SHALLOW, _checked, _exact, top_level

TESTS = Path(__file__).parents[2]


def _elements() -> list[bytes]:
    texts: list[bytes] = []
    for path in sorted(TESTS.rglob("*")):
        if (path.is_file() and path.suffix not in (".py", ".pyc", ".json", ".md")
                and path.stat().st_size < 2_000_000):
            found = top_level(path.read_bytes())
            if found is not None:
                texts += [text for _, text in found[1]]
    return texts


def _mutations(text: bytes) -> list[bytes]:
    lines = text.split(b"\n")
    out = [text, text.replace(b"\n        ", b"\n       "), text.replace(b"\n        ", b"\n         "),
           text.replace(b"    <", b"   <", 1), text.replace(b"</", b"</x", 1),
           text + b"\n", b"\n".join(lines[:1] + lines[-1:])]
    if len(lines) > 2:
        out.append(b"\n".join(lines[:-2] + lines[-1:]))  # a child's line dropped
        out.append(b"\n".join(lines[:1] + [b"    " + lines[1]] + lines[2:]))  # one line deeper
        out.append(b"\n".join(lines[:2] + [lines[1].replace(b">", b">\n", 1)] + lines[2:]))
    at = text.rfind(b"</")  # the text of the last leaf, just before its closing tag
    for bad in (b'"', b"'", b"\r", b">", b"&", b"&#10;", b"&amp;", b"<?x?>", b"<!-- -->", b"\t"):
        out.append(text[:at] + bad + text[at:])
    return out


ELEMENTS = _elements()
HAND = [
    b"    <a>\n        <b>x</b>\n    </a>", b"    <a>\n    </a>", b"    <a>x</a>", b"    <a/>",
    b"    <a>\n        <b/>\n        <c>\n            <d>1</d>\n        </c>\n    </a>",
    b"    <a>\n        <c>\n        </c>\n    </a>",  # a blank nested element
    b"    <a>\n        <b>x</b>\n    </b>",  # the loop accepts a wrong closing name; the regex does not
    b"    <a>\n        <c>\n            <d>\n                <e>1</e>\n            </d>\n        </c>\n    </a>",
    b"    <a>\n        <b>x\ny</b>\n    </a>", b"    <a>\n\t<b>x</b>\n    </a>",
    b"    <a>\n        <b>x &amp; y &lt;z&gt;</b>\n    </a>", b"    <a>\n        <b>x & y</b>\n    </a>",
    b"    <a>\n        <b>x > y</b>\n    </a>", b"    <a>\n        <b>it's</b>\n    </a>",
    b"    <a>\n        <b>x\r</b>\n    </a>", b"    <a>&quot;</a>", b"    <a>&#34;</a>",
]


def test_the_fixtures_have_elements_of_every_depth():
    assert len(ELEMENTS) > 1000
    assert sum(1 for t in ELEMENTS if _SHALLOW.fullmatch(t)) > 1000
    assert sum(1 for t in ELEMENTS if not _SHALLOW.fullmatch(t) and _checked(t)) >= 10


@pytest.mark.parametrize("text", HAND, ids=range(len(HAND)))
def test_hand_written_shapes(text: bytes):
    assert _exact(text) == _checked(text)


def test_the_regex_never_accepts_what_the_loop_refuses():
    checked = accepted = 0
    for element in ELEMENTS:
        for text in _mutations(element):
            checked += 1
            if _SHALLOW.fullmatch(text):
                accepted += 1
                assert _checked(text), text
            assert _exact(text) == _checked(text), text
    assert checked > 3000 and accepted > 500
