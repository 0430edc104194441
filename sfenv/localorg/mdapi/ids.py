"""Salesforce-shaped record ids for metadata components: right key prefix, stable, 18 chars.

Used when the org state has no id of its own for a component: the id is derived from the
org id, the type and the full name, so the same component keeps the same id across calls.
"""

from __future__ import annotations

import hashlib

from sfenv.metadata.registry import default_registry

DEFAULT_PREFIX = "000"

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECK = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def to18(id15: str) -> str:
    """Salesforce's case-safe suffix: one char per 5-char chunk encoding its uppercase bits."""
    suffix = ""
    for start in range(0, 15, 5):
        bits = 0
        for i, ch in enumerate(id15[start : start + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        suffix += _CHECK[bits]
    return id15 + suffix


def component_id(org_id: str, type_name: str, full_name: str) -> str:
    """A stable 18-char id with the type's key prefix (`00N...` for a CustomField)."""
    mtype = default_registry().find(type_name)  # key prefixes live in the registry
    prefix = (mtype.id_prefix if mtype else None) or DEFAULT_PREFIX
    digest = hashlib.sha256(f"{org_id}|{type_name}|{full_name}".encode()).digest()
    number = int.from_bytes(digest[:12], "big")
    body = ""
    for _ in range(9):
        number, rest = divmod(number, 62)
        body += _ALPHABET[rest]
    # pod/instance chars like real ids ("00N5g000004XyZa"): prefix + "5g" + "00" + 8 chars
    id15 = (prefix + "5g00" + body)[:15]
    return to18(id15)


def job_id(prefix: str, serial: int) -> str:
    """Async job ids: `09S` for retrieve/deploy requests (AsyncRequest), `0Af` for deploys."""
    id15 = f"{prefix}5g{serial:010d}"[:15]
    return to18(id15)
