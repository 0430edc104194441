"""Salesforce record ids: 15-char ids with the case-safe 18-char suffix, fresh ids per key prefix."""

from __future__ import annotations

import secrets
import string

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id18(id15: str) -> str:
    """Salesforce's case-safe 18-char id: 3 check chars, one per 5-char chunk, from the
    positions of its upper-case letters."""
    if len(id15) == 18:
        id15 = id15[:15]
    if len(id15) != 15:
        raise ValueError(f"not a 15-char Salesforce id: {id15!r}")
    suffix = ""
    for start in (0, 5, 10):
        chunk = id15[start:start + 5]
        flags = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _CHECKSUM_CHARS[flags]
    return id15 + suffix


def is_valid_id(value: str) -> bool:
    """True for a well-formed 18-char id whose checksum matches (or a 15-char id)."""
    if len(value) == 15:
        return all(ch in _BASE62 for ch in value)
    return len(value) == 18 and all(ch in _BASE62 for ch in value[:15]) and id18(value) == value


def new_id(prefix: str) -> str:
    if len(prefix) != 3 or any(ch not in _BASE62 for ch in prefix):
        raise ValueError(f"key prefix must be 3 base-62 chars: {prefix!r}")
    body = "".join(secrets.choice(_BASE62) for _ in range(8))
    return id18(f"{prefix}5g0000{body}"[:15])
