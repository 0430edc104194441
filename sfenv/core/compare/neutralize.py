"""Environment-specific values replaced by placeholders before comparing.

Why: a QA org points at the QA billing endpoint and mails support-qa@; production does not.
Declared per environment in sfenv.yml (`values:`), they are replaced by `{{name}}` on each side,
so metadata that differs only there compares equal. Usernames lose the sandbox suffix
(`values: {username_suffix: .qa}`): `admin@acme.example.qa` compares as `admin@acme.example`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfenv.config.model import EnvConfig


SUFFIX_KEY = "username_suffix"
SUFFIX_PLACEHOLDER = b"{{" + SUFFIX_KEY.encode() + b"}}"
_XML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&apos;"))


def _xml_escape(text: str) -> str:
    for raw, esc in _XML_ESCAPES:
        text = text.replace(raw, esc)
    return text


@dataclass(frozen=True)
class SideValues:
    """One environment's values, ready to replace (longest value first)."""

    pairs: tuple[tuple[bytes, bytes], ...] = ()
    suffix: bytes = b""

    @classmethod
    def of(cls, values: Mapping[str, Any] | None, suffix: str | None = None) -> SideValues:
        values = dict(values or {})
        suffix = suffix or values.pop(SUFFIX_KEY, None) or ""
        values.pop(SUFFIX_KEY, None)
        pairs: dict[bytes, bytes] = {}
        for name, value in values.items():
            if value is None or str(value) == "":
                continue
            placeholder = ("{{" + name + "}}").encode()
            for form in {str(value), _xml_escape(str(value))}:
                pairs[form.encode()] = placeholder
        ordered = tuple(sorted(pairs.items(), key=lambda p: (-len(p[0]), p[0])))
        return cls(ordered, str(suffix).encode())

    def apply(self, data: bytes, *, mark_suffix: bool = False) -> bytes:
        """Values become `{{name}}`; the username suffix is dropped, or, with `mark_suffix`
        (release packages), becomes `{{username_suffix}}` so the target's suffix can be put back.
        """
        for value, placeholder in self.pairs:
            if value in data:
                data = data.replace(value, placeholder)
        if self.suffix and self.suffix in data:
            data = re.sub(rb"(@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*?)" + re.escape(self.suffix)
                          + rb"(?![A-Za-z0-9.-])",
                          rb"\1" + (SUFFIX_PLACEHOLDER if mark_suffix else b""), data)
        return data


@dataclass(frozen=True)
class Neutralizer:
    """Values of side A and side B of a comparison. Immutable, so diffs can be cached by
    `fingerprint()` along with the tree ids."""

    a: SideValues = SideValues()
    b: SideValues = SideValues()

    @classmethod
    def for_envs(cls, a_env: EnvConfig | None, b_env: EnvConfig | None) -> Neutralizer | None:
        """From two environment configs (anything with `.values`; None for a plain commit)."""
        sides = [SideValues.of(getattr(env, "values", None) or {},
                               getattr(env, SUFFIX_KEY, None)) if env is not None else SideValues()
                 for env in (a_env, b_env)]
        if not any(s.pairs or s.suffix for s in sides):
            return None
        return cls(*sides)

    def side(self, which: str, data: bytes) -> bytes:
        return (self.a if which == "a" else self.b).apply(data)

    def fingerprint(self) -> str:
        doc = [[[k.decode(), v.decode()] for k, v in s.pairs] + [s.suffix.decode()]
               for s in (self.a, self.b)]
        return hashlib.sha1(json.dumps(doc).encode()).hexdigest()
