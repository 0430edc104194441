"""The report's record parts, rendered from constructed data: what a train carries and who
made it, each environment's steps with who ticked them, which pending rows a train carries,
named backups, and the production change record."""

from __future__ import annotations

import re

from sfenv.services.report.collect import mark_train_rows
from sfenv.services.report.model import (
    BackupTag,
    ChangeRecord,
    ChecklistItem,
    RecordEntry,
    TrainComponent,
)
from sfenv.views.report import render_report, report_to_dict

from .sample import sample_report


def _text(html: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def _data():
    data = sample_report()
    train = data.trains[0]
    train.component_list = [
        TrainComponent("CustomField:Account.Region__c", "changed", "Ada Lovelace",
                       "2024-05-01T16:02:00Z"),
        TrainComponent("Role:Partner", "added", "Ada Lovelace", "2024-04-30T11:00:00Z"),
        TrainComponent("ApexClass:InvoicePdfLegacy", "deleted", None, None),
    ]
    train.checklist = [
        ChecklistItem("Change Account OWD to Private", "before", True, "critical", "Board",
                      "owd.Account", "prod", done_by="Ana Lima", done_at="2024-05-01T17:00:00Z",
                      frozen=True),
        ChecklistItem("Assign users to role Partner", "after", False, "info", "", "role-new.Partner",
                      "qa", frozen=True),
        ChecklistItem("Assign users to role Partner", "after", False, "info", "", "role-new.Partner",
                      "prod", frozen=True),
    ]
    data.backups.append(BackupTag("prod", "pre-R2024.05", "0f1e2d3c4b5a6978",
                                  "2024-05-01T17:58:00Z", named=True))
    data.records = [ChangeRecord("prod", [
        RecordEntry("2024-05-01T18:20:00Z", "promotion", "release R2024.05 deployed", "ana",
                    ["3 components: 1 added, 1 changed, 1 deleted", "deploy 0Af000000000001",
                     "☐ open: Assign users to role Partner"]),
        RecordEntry("2024-05-01T22:10:00Z", "drift", "1 components changed outside the release "
                    "process", "Linus Admin", ["changed CustomObject:Account by Linus Admin"]),
    ])]
    return data


def test_a_train_shows_what_it_carries_and_who_made_each_change():
    text = _text(render_report(_data()))
    assert "1 added · 1 changed · 1 deleted" in text
    assert "changed CustomField:Account.Region__c Ada Lovelace" in text
    assert "deleted ApexClass:InvoicePdfLegacy unknown" in text


def test_steps_are_shown_per_environment_with_who_ticked_them():
    text = _text(render_report(_data()))
    assert "☑ done Ana Lima, 2024-05-01 17:00 UTC prod before Change Account OWD to Private" in text
    assert "☐ open qa after Assign users to role Partner" in text
    assert "☐ open prod after Assign users to role Partner" in text
    assert "1 of 3 done" in text


def test_pending_rows_name_the_built_train_that_carries_them():
    data = _data()
    mark_train_rows(data.hops, data.trains)
    rows = {r.component: r for h in data.hops for g in h.groups for r in g.rows}
    # deployed to qa already: the dev → qa row is not "in train"; qa → prod is
    assert rows["CustomField:Account.Region__c"].trains == []
    assert rows["Role:Partner"].trains == []
    data.trains[0].stages[0].status = "validated"
    mark_train_rows(data.hops, data.trains)
    assert rows["Role:Partner"].trains == ["R2024.05"]
    assert rows["Role:SupportLead"].trains == []  # drift is never a train's
    assert "in train R2024.05" in _text(render_report(data))


def test_named_backups_and_the_production_record_are_shown():
    data = _data()
    text = _text(render_report(data))
    assert "pre-R2024.05 named" in text
    assert "Production change record" in text
    assert "promotion release R2024.05 deployed ana" in text
    assert "drift 1 components changed outside the release process Linus Admin" in text
    doc = report_to_dict(data)
    assert doc["backups"][-1]["named"] is True
    assert doc["records"][0]["entries"][0]["kind"] == "promotion"
