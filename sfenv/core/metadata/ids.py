"""The identity of a component: `(type, fullName)`, written `Type:FullName` in filters and JSON.

Child components (a field inside an object file) are components too: `CustomField:Account.Region__c`.
"""

from __future__ import annotations

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
