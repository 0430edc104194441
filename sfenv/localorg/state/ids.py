"""Salesforce record ids: 15-char ids with the case-safe 18-char suffix, fresh ids per key
prefix, and stable ids of metadata components (derived from the org id, type and full name, so
the same component keeps the same id across calls)."""

from __future__ import annotations

import hashlib
import secrets
import string

from sfenv.core.metadata.registry import default_registry

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
DEFAULT_PREFIX = "000"   # components whose type has no key prefix in the registry


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
        return all(ch in BASE62 for ch in value)
    return len(value) == 18 and all(ch in BASE62 for ch in value[:15]) and id18(value) == value


def new_id(prefix: str) -> str:
    if len(prefix) != 3 or any(ch not in BASE62 for ch in prefix):
        raise ValueError(f"key prefix must be 3 base-62 chars: {prefix!r}")
    body = "".join(secrets.choice(BASE62) for _ in range(8))
    return id18(f"{prefix}5g0000{body}"[:15])


def component_id(org_id: str, type_name: str, full_name: str) -> str:
    """A stable 18-char id with the type's key prefix (`00N...` for a CustomField)."""
    mtype = default_registry().find(type_name)  # key prefixes live in the registry
    prefix = (mtype.id_prefix if mtype else None) or DEFAULT_PREFIX
    return stable_id(prefix, org_id, type_name, full_name)


def stable_id(prefix: str, *parts: str) -> str:
    """An 18-char id with this key prefix, the same for the same parts on every call and in
    every process (records the org derives rather than stores: licenses, components)."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    number = int.from_bytes(digest[:12], "big")
    body = ""
    for _ in range(9):
        number, rest = divmod(number, 62)
        body += BASE62[rest]
    # pod/instance chars like real ids ("00N5g000004XyZa"): prefix + "5g" + "00" + 8 chars
    id15 = (prefix + "5g00" + body)[:15]
    return id18(id15)
