"""`Group` and `GroupMember` rows for REST `/query`: public group membership is data, not
metadata (Group metadata carries no members), so sfenv reads it with SOQL as from Salesforce.

Groups come from the org's metadata files, as Salesforce keeps one Group row per public group
(Type `Regular`, same id as listMetadata gives the Group component), per queue (`Queue`) and two
per role (`Role`, `RoleAndSubordinates`, DeveloperName = the role's, RelatedId = the role).
Members come from `OrgState.group_members()` (seeded from seed.json): users by username, roles
and groups by developer name; members naming something the org lacks are left out, as a
GroupMember row cannot point at nothing.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sfenv.core.metadata.xmlio import local_name, parse_xml
from sfenv.errors import MetadataError
from sfenv.localorg.rest import soql
from sfenv.localorg.state import OrgState
from sfenv.localorg.state.ids import component_id, id18

SCHEMAS = {
    "Group": soql.SObject("Group", {
        "Id": "id", "Name": "string", "DeveloperName": "string", "Type": "string",
        "RelatedId": "id", "DoesIncludeBosses": "boolean",
    }),
    "GroupMember": soql.SObject("GroupMember", {
        "Id": "id", "GroupId": "id", "UserOrGroupId": "id",
    }, {"Group": ("Group", "GroupId")}),
}

# folder, suffix, Group.Type of each metadata file that stands for a Group row
_SOURCES = (("groups", ".group", "Regular"), ("queues", ".queue", "Queue"), ("roles", ".role", "Role"))
# GroupMember.type in the org state -> the Group.Type of the member group
_MEMBER_GROUP_TYPES = {"Role": "Role", "RoleAndSubordinates": "RoleAndSubordinates",
                       "Group": "Regular", "Regular": "Regular"}


def rows(org: OrgState) -> dict[str, list[dict]]:
    """{"Group": [...], "GroupMember": [...]} as the org is now."""
    groups = _groups(org)
    by_key = {(g["Type"], g["DeveloperName"]): g["Id"] for g in groups}
    users = {u.username.lower(): u.id for u in org.users}
    members = []
    for group, entries in sorted(org.group_members().items()):
        group_id = by_key.get(("Regular", group))
        if group_id is None:
            continue
        for entry in entries:
            kind, name = str(entry.get("type", "User")), str(entry.get("member", ""))
            if kind == "User":
                target = users.get(name.lower())
            else:
                target = by_key.get((_MEMBER_GROUP_TYPES.get(kind, kind), name))
            if target is not None:
                members.append({"Id": _member_id(org.org_id, group_id, target),
                                "GroupId": group_id, "UserOrGroupId": target})
    return {"Group": groups, "GroupMember": members}


def _groups(org: OrgState) -> list[dict]:
    out = []
    for folder, suffix, kind in _SOURCES:
        directory = Path(org.metadata_dir) / folder
        if not directory.is_dir():
            continue
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            if not entry.name.endswith(suffix) or not entry.is_file():
                continue
            name = entry.name[: -len(suffix)]
            stat = entry.stat()
            label, bosses = _read(entry.path, stat.st_mtime_ns, stat.st_size)
            if kind != "Role":
                out.append({"Id": component_id(org.org_id, kind if kind == "Queue" else "Group", name),
                            "Name": label or name, "DeveloperName": name, "Type": kind,
                            "RelatedId": None, "DoesIncludeBosses": bosses})
                continue
            role_id = component_id(org.org_id, "Role", name)
            for group_type in ("Role", "RoleAndSubordinates"):
                out.append({"Id": component_id(org.org_id, "Group", f"{group_type}:{name}"),
                            "Name": label or name, "DeveloperName": name, "Type": group_type,
                            "RelatedId": role_id, "DoesIncludeBosses": True})
    return out


@lru_cache(maxsize=4096)
def _read(path: str, mtime_ns: int, size: int) -> tuple[str, bool]:
    """(name, doesIncludeBosses) of one group/queue/role file; cached per file version."""
    try:
        root = parse_xml(Path(path).read_bytes(), path)
    except (OSError, MetadataError):
        return "", False
    values = {local_name(el): (el.text or "").strip() for el in root if isinstance(el.tag, str)}
    return values.get("name", ""), values.get("doesIncludeBosses", "true") == "true"


def _member_id(org_id: str, group_id: str, member_id: str) -> str:
    """A stable GroupMember id (key prefix 011) for this pair."""
    derived = component_id(org_id, "GroupMember", f"{group_id}|{member_id}")
    return id18("011" + derived[3:15])
