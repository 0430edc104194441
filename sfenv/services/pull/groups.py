"""Public group membership for the snapshot (`.sfenv/group-members.json`).

GroupMember is data, not metadata: a deployed public group arrives empty, so the checklist
needs the source org's members to say who to add. Members are written so they read the same
in every org: users by username, groups by developer name with their Group type as prefix
(`Role:VP_Sales`, `RoleAndSubordinates:EMEA_Sales_Manager`, `Group:Billing_Team`).
"""

from __future__ import annotations

from typing import Any

from sfenv.core.metadata.registry import Registry
from sfenv.errors import RequestLimitError, SessionExpiredError, SfenvError
from sfenv.io.store.format import GROUP_MEMBERS_PATH  # noqa: F401  (the snapshot format)

PUBLIC = "Regular"  # the Group sObject's Type value of a public group


def group_members(client: Any, registry: Registry) -> tuple[dict[str, list[str]], str | None]:
    """({public group developer name: sorted members}, warning or None); never raises for
    an org that refuses the queries: the pull goes on without membership."""
    try:
        groups = client.query("SELECT Id, DeveloperName, Type FROM Group")
        members = client.query("SELECT GroupId, UserOrGroupId FROM GroupMember")
        users = client.query("SELECT Id, Username FROM User")
    except (RequestLimitError, SessionExpiredError):
        raise  # the org's allowance or the session is gone: the pull stops, not just this part
    except SfenvError as err:
        return {}, f"public group members not read: {err}"
    return members_by_group(groups, members, users, registry), None


def members_by_group(groups: list[dict[str, Any]], members: list[dict[str, Any]],
                     users: list[dict[str, Any]], registry: Registry) -> dict[str, list[str]]:
    """Join the three query results; ids compare on their 15-char case-sensitive form."""
    by_id = {str(g["Id"])[:15]: g for g in groups}
    usernames = {str(u["Id"])[:15]: str(u["Username"]) for u in users}
    out: dict[str, set[str]] = {str(g["DeveloperName"]): set() for g in groups
                                if g.get("Type") == PUBLIC}
    for row in members:
        group = by_id.get(str(row.get("GroupId"))[:15])
        if group is None or group.get("Type") != PUBLIC:
            continue
        target = str(row.get("UserOrGroupId"))[:15]
        if target in usernames:
            name = usernames[target]
        elif target in by_id:
            member = by_id[target]
            kind = str(member.get("Type") or PUBLIC)
            name = f"{registry.group_member_type(kind)}:{member['DeveloperName']}"
        else:
            continue  # a member we cannot name (e.g. a user the query did not return)
        out[str(group["DeveloperName"])].add(name)
    return {g: sorted(out[g]) for g in sorted(out)}
