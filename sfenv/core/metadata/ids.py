"""The identity of a component: `(type, fullName)`, written `Type:FullName` in filters and JSON.

Child components (a field inside an object file) are components too: `CustomField:Account.Region__c`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True, slots=True)
class ComponentId:
    type: str
    full_name: str

    def __str__(self) -> str:
        return f"{self.type}:{self.full_name}"

    @classmethod
    def parse(cls, text: str) -> ComponentId:
        """`"CustomField:Account.Region__c"` -> ComponentId. Raises ValueError without a colon."""
        kind, sep, name = text.partition(":")
        if not sep or not kind or not name:
            raise ValueError(f"not a component id (Type:FullName): {text!r}")
        return cls(kind, name)


def kept_manual(ids: Iterable[ComponentId], manual_types: Sequence[str]) -> bool:
    """Whether sfenv.yml's `manual_types` holds one of `ids` (a component and its parent): an
    entry is a type name or `Type:name-pattern` (`Group:*`, `Role:EMEA_*`)."""
    names = {m for m in manual_types if ":" not in m}
    patterns = [m for m in manual_types if ":" in m]
    return any(cid.type in names or any(fnmatch.fnmatchcase(str(cid), p) for p in patterns)
               for cid in ids)
