"""Salesforce-shaped record ids for metadata components: right key prefix, stable, 18 chars.

Used when the org state has no id of its own for a component: the id is derived from the
org id, the type and the full name, so the same component keeps the same id across calls.
"""

from __future__ import annotations

import hashlib

# Key prefixes of the setup entities behind common metadata types (Salesforce's own).
KEY_PREFIXES: dict[str, str] = {
    "CustomObject": "01I",
    "CustomField": "00N",
    "ApexClass": "01p",
    "ApexTrigger": "01q",
    "ApexPage": "066",
    "ApexComponent": "099",
    "UserRole": "00E",
    "Role": "00E",
    "Group": "00G",
    "Queue": "00G",
    "RecordType": "012",
    "Profile": "00e",
    "PermissionSet": "0PS",
    "PermissionSetGroup": "0PG",
    "ReportFolder": "00l",
    "DashboardFolder": "00l",
    "DocumentFolder": "00l",
    "EmailFolder": "00l",
    "Folder": "00l",
    "Report": "00O",
    "Dashboard": "01Z",
    "Document": "015",
    "EmailTemplate": "00X",
    "Layout": "00h",
    "ValidationRule": "03d",
    "WorkflowRule": "01Q",
    "Flow": "301",
    "FlowDefinition": "300",
    "StaticResource": "081",
    "LightningComponentBundle": "0Rb",
    "AuraDefinitionBundle": "0Ab",
    "CustomTab": "01r",
    "CustomApplication": "02u",
    "CustomLabel": "101",
    "CustomMetadata": "m00",
    "CustomPermission": "0CP",
    "SharingCriteriaRule": "02c",
    "SharingOwnerRule": "02c",
    "NamedCredential": "0XA",
    "RemoteSiteSetting": "0rp",
    "FlexiPage": "0M0",
    "QuickAction": "09D",
    "ListView": "00B",
    "WebLink": "00b",
    "CompactLayout": "0AH",
    "FieldSet": "0Is",
    "BusinessProcess": "019",
}
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
    prefix = KEY_PREFIXES.get(type_name, DEFAULT_PREFIX)
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
