"""A constructed report (three environments, two hops, roles, OWD, a train) for the renderer
tests, the browser test and the screenshots."""

from __future__ import annotations

from sfenv.services.report.model import (
    AuditRow,
    BackupTag,
    ChangeRow,
    ChecklistItem,
    EnvSummary,
    HopSection,
    ReportData,
    Side,
    StageState,
    TrainSummary,
    TypeGroup,
    build_owd_table,
    build_role_trees,
)
from sfenv.services.report.sfxml import Owd, RoleInfo


def roles(*triples: tuple[str, str, str | None]) -> dict[str, RoleInfo]:
    return {name: RoleInfo(name, label, parent) for name, label, parent in triples}


BASE_ROLES = [
    ("CEO", "CEO", None),
    ("SVPSales", "SVP, Sales & Marketing", "CEO"),
    ("VPNA", "VP, North American Sales", "SVPSales"),
    ("VPEMEA", "VP, EMEA Sales", "SVPSales"),
    ("SVPSvc", "SVP, Customer Service", "CEO"),
    ("SupportLead", "Support Lead", "SVPSvc"),
]


def sample_report() -> ReportData:
    dev_roles = roles(*BASE_ROLES, ("Partner", "Partner <Channel> Manager", "VPNA"))
    # qa: SupportLead moved under VPEMEA, Partner not yet promoted
    qa_roles = roles(*[r if r[0] != "SupportLead" else ("SupportLead", "Support Lead", "VPEMEA")
                       for r in BASE_ROLES])
    # prod: VPEMEA missing (never promoted), SupportLead still under SVPSvc
    prod_roles = roles(*[r for r in BASE_ROLES if r[0] != "VPEMEA"])
    path = [
        EnvSummary("dev", 0, owner="Ada (dev team)", purpose="Developer sandbox",
                   commit="4f9c2a1b7e3d5c6a8b9e0f1a2b3c4d5e6f7a8b9c",
                   snapshot_time="2024-05-02T09:14:00Z", component_count=1843),
        EnvSummary("qa", 1, owner="Grace (QA)", purpose="Full-copy QA sandbox",
                   commit="a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
                   snapshot_time="2024-05-02T09:20:00Z", component_count=1830),
        EnvSummary("prod", 2, production=True, owner="Release board",
                   purpose="Production", commit="0f1e2d3c4b5a69788796a5b4c3d2e1f001234567",
                   snapshot_time="2024-05-02T09:31:00Z", component_count=1822),
    ]
    hop1 = HopSection(
        "dev", "qa", three_way=True, counts={"pending": 3, "drift": 1, "conflict": 0},
        groups=[
            TypeGroup("CustomField", [
                ChangeRow("CustomField:Account.Region__c", "CustomField", "Account.Region__c",
                          "pending", "modified", elements=["length 80 → 255", "label Region → Sales Region"],
                          changed_in=[Side("dev", "Ada Lovelace", "2024-05-01T16:02:00Z")]),
                ChangeRow("CustomField:Account.Tier__c", "CustomField", "Account.Tier__c",
                          "pending", "added", changed_in=[Side("dev", "Ada Lovelace", "2024-05-01T16:10:00Z")]),
            ]),
            TypeGroup("Role", [
                ChangeRow("Role:Partner", "Role", "Partner", "pending", "added",
                          changed_in=[Side("dev", "Ada Lovelace", "2024-04-30T11:00:00Z")]),
                ChangeRow("Role:SupportLead", "Role", "SupportLead", "drift", "modified",
                          elements=["parentRole VPEMEA → SVPSvc"],
                          changed_in=[Side("qa", "Grace Hopper", "2024-05-01T08:45:00Z")],
                          audit=[AuditRow("2024-05-01T08:45:00Z", "Grace Hopper", "changedRoleParent",
                                          "Manage Users", "Changed parent of role Support Lead")]),
            ]),
        ],
    )
    hop2 = HopSection(
        "qa", "prod", target_is_production=True, three_way=True,
        counts={"pending": 2, "drift": 1, "conflict": 1},
        groups=[
            TypeGroup("CustomObject", [
                ChangeRow("CustomObject:Account", "CustomObject", "Account", "conflict", "modified",
                          elements=["sharingModel Private → Read"],
                          changed_in=[Side("qa", "Grace Hopper", "2024-04-29T10:00:00Z"),
                                      Side("prod", "Linus Admin", "2024-05-01T22:10:00Z")],
                          outside_release=True),
            ]),
            TypeGroup("ValidationRule", [
                ChangeRow("ValidationRule:Opportunity.Close_Date_Required", "ValidationRule",
                          "Opportunity.Close_Date_Required", "drift", "modified",
                          elements=["active false → true"],
                          changed_in=[Side("prod", "Linus Admin", "2024-05-01T22:04:00Z")],
                          audit=[AuditRow("2024-05-01T22:04:00Z", "Linus Admin", "changedValidationActive",
                                          "Customize Opportunities",
                                          "Deactivated Opportunity validation Close_Date_Required")],
                          outside_release=True),
                ChangeRow("ValidationRule:Case.Reason_Required", "ValidationRule",
                          "Case.Reason_Required", "pending", "added",
                          changed_in=[Side("qa", "Grace Hopper", "2024-04-28T09:00:00Z")]),
            ]),
        ],
        more=1,
    )
    owd = build_owd_table([
        ("dev", {"Account": Owd("Read", "Private"), "Opportunity": Owd("Private", "Private"),
                 "Property__c": Owd("ReadWrite", "Private"), "Case": Owd("Private", "Private")}),
        ("qa", {"Account": Owd("Read", "Private"), "Opportunity": Owd("Private", "Private"),
                "Property__c": Owd("ReadWrite", "Private"), "Case": Owd("Private", "Private")}),
        ("prod", {"Account": Owd("Private", "Private"), "Opportunity": Owd("Private", "Private"),
                  "Case": Owd("ReadWrite", "Read")}),
    ])
    trains = [
        TrainSummary(
            "R2024.05", built="2024-04-29T12:00:00Z", digest="9f86d081884c7d659a2feaa0c55ad015",
            components=14,
            stages=[StageState("qa", "2024-04-29T13:00:00Z", "2024-04-29T13:20:00Z", "deployed",
                               backup_tag="backup/qa/20240429T125900Z"),
                    StageState("prod", "2024-05-01T18:00:00Z", None, "validated",
                               backup_tag="backup/prod/20240501T175900Z")],
            checklist=[
                ChecklistItem("Move role Support Lead under VP, EMEA Sales", "before", True, "high", "Grace"),
                ChecklistItem("Change Account OWD to Private; recalculate sharing", "before", False,
                              "high", "Release board"),
                ChecklistItem("Assign permission set Tier_Editor to Sales users", "after", False, "", ""),
            ],
        ),
    ]
    backups = [BackupTag("prod", "backup/prod/20240501T175900Z", "0f1e2d3c4b5a6978", "2024-05-01T17:59:00Z"),
               BackupTag("qa", "backup/qa/20240429T125900Z", "a1b2c3d4e5f60718", "2024-04-29T12:59:00Z")]
    return ReportData(
        project="Acme CRM",
        generated="2024-05-02T09:35:00Z",
        path=path,
        hops=[hop1, hop2],
        role_trees=build_role_trees([("dev", dev_roles), ("qa", qa_roles), ("prod", prod_roles)]),
        owd=owd,
        trains=trains,
        backups=backups,
        reproduce="sfenv report --config sfenv.yml --out report.html",
    )
