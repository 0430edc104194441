"""The identity of a component: `(type, fullName)`, written `Type:FullName` in filters and JSON.

Child components (a field inside an object file) are components too: `CustomField:Account.Region__c`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter


@dataclass(frozen=True, order=True, slots=True)
class ComponentId:
    type: str
    full_name: str

    def __str__(self) -> str:
        return f"{self.type}:{self.full_name}"

    # written out rather than generated: the generated ones build a tuple per side per call, and
    # a plan of 235,000 items hashes and compares ids ~14 M times (20 s of 347 profiled)
    def __eq__(self, other: object) -> bool:
        if type(other) is not ComponentId:
            return NotImplemented
        return self.full_name == other.full_name and self.type == other.type

    def __hash__(self) -> int:
        return hash((self.type, self.full_name))  # the generated hash's value: same set order

    @classmethod
    def parse(cls, text: str) -> ComponentId:
        """`"CustomField:Account.Region__c"` -> ComponentId. Raises ValueError without a colon."""
        kind, sep, name = text.partition(":")
        if not sep or not kind or not name:
            raise ValueError(f"not a component id (Type:FullName): {text!r}")
        return cls(kind, name)


# `sorted(ids, key=ID_ORDER)` orders as `sorted(ids)` does, comparing tuples in C: the
# dataclass's generated `__lt__` builds two tuples per comparison (12.6 M calls, 17 s, in a
# plan of 235,000 items)
ID_ORDER = attrgetter("type", "full_name")


def kept_manual(ids: Iterable[ComponentId], manual_types: Sequence[str]) -> bool:
    """Whether sfenv.yml's `manual_types` holds one of `ids` (a component and its parent): an
    entry is a type name or `Type:name-pattern` (`Group:*`, `Role:EMEA_*`)."""
    names = {m for m in manual_types if ":" not in m}
    patterns = [m for m in manual_types if ":" in m]
    return any(cid.type in names or any(fnmatch.fnmatchcase(str(cid), p) for p in patterns)
               for cid in ids)
