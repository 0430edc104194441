"""Builders of handmade snapshots for compare tests: small Metadata API trees."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sfenv.io.store.snapshots import SnapshotStore

NS = "http://soap.sforce.com/2006/04/metadata"


def xml(root: str, body: str) -> bytes:
    """A metadata file in Salesforce's format; `body` is already indented by 4 spaces."""
    lines = [line for line in body.strip("\n").splitlines()]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NS}">\n'
            + "\n".join(lines) + f"\n</{root}>\n").encode()


def field_xml(name: str, length: int = 80, label: str | None = None) -> str:
    return f"""    <fields>
        <fullName>{name}</fullName>
        <label>{label or name}</label>
        <length>{length}</length>
        <type>Text</type>
    </fields>"""


def account(fields: str = "", sharing: str = "Private", extra: str = "") -> bytes:
    body = fields or field_xml("Region__c")
    return xml("CustomObject", f"""{body}
    <label>Account</label>
{extra}    <sharingModel>{sharing}</sharingModel>""")


def index(entries: dict[str, tuple[str, str]]) -> bytes:
    """components.json: {"Type:Name": (lastModifiedByName, lastModifiedDate)}."""
    doc = {k: {"lastModifiedByName": by, "lastModifiedDate": when, "fileName": "",
               "id": "", "createdDate": when, "createdByName": by}
           for k, (by, when) in entries.items()}
    return (json.dumps(doc, sort_keys=True, indent=0) + "\n").encode()


@dataclass
class Env:
    name: str
    production: bool = False
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class Cfg:
    """Stand-in for sfenv.config.Config: what compare needs (duck typing)."""

    root: Path
    environments: dict[str, Env]
    stages: list[list[str]]

    def hops(self) -> list[tuple[str, str]]:
        return [(a, b) for here, there in zip(self.stages, self.stages[1:], strict=False)
                for a in here for b in there]


def snap(store: SnapshotStore, env: str, files: dict[str, bytes]) -> str:
    return store.write_snapshot(env, files, {"env": env}, expected_old=store.head(env))
