"""collect_report over a real snapshot store: what it reads, and what it says when a part
cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sfenv.services.promote
from sfenv.config.model import Config, EnvConfig
from sfenv.core import checklist
from sfenv.core.compare.model import Attribution, Change, ElementChange, HopStatus, PathEntry
from sfenv.core.metadata.ids import ComponentId
from sfenv.errors import SfenvError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.report.collect import backup_tag, collect_report, matching_audit_rows
from sfenv.services.train import model
from sfenv.views.report import render_report, report_to_dict

NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"'


def role(label: str, parent: str | None = None) -> bytes:
    p = f"<parentRole>{parent}</parentRole>" if parent else ""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Role {NS}><name>{label}</name>{p}</Role>\n'.encode()


def obj(internal: str, external: str = "Private") -> bytes:
    return (f'<CustomObject {NS}><externalSharingModel>{external}</externalSharingModel>'
            f"<label>x</label><sharingModel>{internal}</sharingModel></CustomObject>\n").encode()


@pytest.fixture
def setup(tmp_path: Path):
    store = SnapshotStore(tmp_path / "repo")
    config = Config(
        file=tmp_path / "sfenv.yml", root=tmp_path / "repo", project="Acme & Co",
        api_version="60.0",
        environments={"dev": EnvConfig(name="dev", owner="Ada"),
                      "qa": EnvConfig(name="qa"),
                      "prod": EnvConfig(name="prod", production=True, owner="Board")},
        stages=[["dev"], ["qa"], ["prod"]],
    )
    common = {"roles/CEO.role": role("CEO"), "roles/VP.role": role("VP Sales", "CEO"),
              "objects/Account.object": obj("Read")}
    audit = [{"Id": "1", "CreatedDate": "2024-05-01T22:04:00.000+0000", "CreatedByName": "Linus",
              "Action": "changedValidationActive", "Section": "Customize Opportunities",
              "Display": "Deactivated Opportunity validation Close_Date_Required"}]
    store.write_snapshot("dev", {**common, "roles/Rep.role": role("Sales Rep", "VP")},
                         {"env": "dev", "finished": "2024-05-02T09:14:00Z",
                          "counts_by_type": {"Role": 3, "CustomObject": 1}}, expected_old=None)
    store.write_snapshot("qa", {**common, "roles/Rep.role": role("Sales Rep", "CEO")},
                         {"env": "qa", "finished": "2024-05-02T09:20:00Z"}, expected_old=None)
    prod = store.write_snapshot(
        "prod", {**common, "objects/Account.object": obj("Private"),
                 ".sfenv/audit-trail.json": json.dumps(audit).encode()},
        {"env": "prod", "finished": "2024-05-02T09:31:00Z"}, expected_old=None)
    # a timestamped backup is tagged at its stamp (sfenv backup's own tags are)
    store.git.base_env["GIT_COMMITTER_DATE"] = "2024-05-01T17:59:00Z"
    store.tag("backup/prod/20240501T175900Z", prod, "backup")
    del store.git.base_env["GIT_COMMITTER_DATE"]
    store.tag("release/R1", prod, "not a backup")
    return config, store


def test_collects_path_roles_owd_and_backups_from_snapshots(setup):
    config, store = setup
    data = collect_report(config, store, out="out.html")
    assert [e.name for e in data.path] == ["dev", "qa", "prod"]
    assert data.path[0].component_count == 4 and data.path[0].owner == "Ada"
    assert data.path[2].production and data.path[2].snapshot_time == "2024-05-02T09:31:00Z"
    qa_tree = data.role_trees[1]
    assert qa_tree.moved == 1 and qa_tree.roots[0].label == "CEO"
    moved = [n for n in qa_tree.roots[0].children if n.name == "Rep"][0]
    assert moved.mark == "moved" and moved.previous_parent_label == "VP Sales"
    account = data.owd.rows[0]
    assert account.object == "Account"
    assert [c.internal for c in account.cells] == ["Read", "Read", "Private"]
    assert [c.differs for c in account.cells] == [False, False, True]
    assert [b.tag for b in data.backups] == ["backup/prod/20240501T175900Z"]
    assert data.backups[0].env == "prod" and data.backups[0].date == "2024-05-01T17:59:00Z"
    assert data.reproduce.endswith("--out out.html")


def test_reads_each_distinct_blob_once_across_environments(setup, monkeypatch):
    config, store = setup
    monkeypatch.setattr("sfenv.core.compare.status.all_status", lambda store, config, **_: [])
    asked: list[str] = []
    original = store.read_blobs

    def counting(shas):
        shas = list(shas)
        asked.extend(shas)
        return original(shas)

    store.read_blobs = counting
    collect_report(config, store)
    assert len(asked) == len(set(asked))
    # CEO, VP, Rep (two versions), Account (two versions): nothing else is read
    assert len(asked) == 6


def test_unreadable_parts_are_named_in_the_report_not_a_crash(setup, monkeypatch):
    config, store = setup
    monkeypatch.setattr("sfenv.core.compare.status.all_status", _refusing("status"))
    monkeypatch.setattr(sfenv.services.promote, "train_summaries", _refusing("trains"))
    data = collect_report(config, store)
    text = " ".join(data.notices)
    assert "Promotion path status unavailable" in text
    assert "Release trains unavailable" in text
    assert data.hops == [] and data.trains == []
    html = render_report(data)
    assert "Acme &amp; Co" in html and "Promotion path status unavailable" in html


def test_env_never_pulled_is_reported_and_skipped(setup):
    config, store = setup
    config.environments["uat"] = EnvConfig(name="uat")
    config.stages.insert(2, ["uat"])
    data = collect_report(config, store)
    assert data.path[2].commit is None
    assert any("uat: no snapshot yet" in n for n in data.notices)
    assert not data.role_trees[2].available
    # prod's OWD is compared with qa, skipping uat
    assert [c.differs for c in data.owd.rows[0].cells] == [False, False, False, True]


def test_unreadable_metadata_file_is_a_notice(setup):
    config, store = setup
    head = store.head("dev")
    store.write_snapshot("dev", {"roles/Bad.role": b"<Role><name>x</Role>"}, {"env": "dev"},
                         expected_old=head, base_commit=head)
    data = collect_report(config, store)
    assert any("dev: roles/Bad.role skipped" in n for n in data.notices)
    assert "Bad" not in [n.name for n in data.role_trees[0].roots[0].children]


def test_hops_from_path_status_capped_with_worst_first(setup, monkeypatch):
    config, store = setup
    qa, prod = store.head("qa"), store.head("prod")

    def entry(status, name, by=None):
        # what promoting would do to prod: old = prod's side, new = qa's side
        change = Change(ComponentId("ValidationRule", name), "modified",
                        elements=[ElementChange("active", "changed", "false", "true")],
                        old_by=Attribution(by, "2024-05-01T22:04:00.000+0000"),
                        new_by=Attribution("Grace", "2024-04-28T09:00:00.000+0000"))
        return PathEntry(status, change)

    entries = [entry("pending", f"Case.P{i}") for i in range(5)]
    entries.append(entry("drift", "Opportunity.Close_Date_Required", by="Linus"))
    hops = [HopStatus("qa", "prod", (qa, prod), entries, target_is_production=True)]
    monkeypatch.setattr("sfenv.core.compare.status.all_status", lambda store_, config_, **_: hops)
    monkeypatch.setattr(sfenv.services.promote, "train_summaries", lambda c, s, r=None: [], raising=False)
    data = collect_report(config, store, max_rows_per_hop=3)
    hop = data.hops[0]
    assert hop.counts == {"pending": 5, "drift": 1, "conflict": 0}
    assert hop.more == 3
    rows = [r for g in hop.groups for r in g.rows]
    assert rows[0].status == "drift" and rows[0].outside_release
    assert rows[0].changed_in[0].env == "prod" and rows[0].changed_in[0].by == "Linus"
    assert rows[0].elements == ["active false → true"]
    assert rows[-1].status == "pending" and rows[-1].changed_in[0].by == "Grace"
    # the audit trail row is older than prod's snapshot (the base), so not news
    assert rows[0].audit == []
    json.dumps(report_to_dict(data))


def test_trains_adapted_from_release_summaries(setup, monkeypatch):
    config, store = setup
    summary = {"name": "R1", "created": "2024-04-29T12:00:00Z", "source": "dev", "target": "qa",
               "digest": "abc", "components": 3, "hotfix": False, "open_hotfixes": [],
               "backups": [],
               "envs": [{"env": "qa", "state": "deployed", "date": "2024-04-29T13:20:00Z",
                         "backup_tag": "backup/qa/20240429T125900Z"},
                        {"env": "prod", "state": "validated", "date": "2024-05-01T18:00:00Z"}],
               "checklist": {"prod": [{"id": "roles.Rep", "phase": "before", "title": "Move Rep",
                                       "severity": "warning"}]}}
    monkeypatch.setattr(sfenv.services.promote, "train_summaries", lambda c, s, r=None: [summary], raising=False)
    state = config.root / "releases" / "R1" / "checklist-prod.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"done": {"roles.Rep": {"by": "ada", "at": "x"}}}))
    data = collect_report(config, store)
    train = data.trains[0]
    assert [(s.env, s.status) for s in train.stages] == [
        ("dev", ""), ("qa", "deployed"), ("prod", "validated")]
    assert train.stages[1].deployed == "2024-04-29T13:20:00Z"
    assert train.stages[2].validated == "2024-05-01T18:00:00Z" and train.stages[2].deployed is None
    assert train.checklist[0].done and train.checklist[0].env == "prod"


def test_trains_from_the_release_layers_own_summary_objects(setup, monkeypatch):
    config, store = setup
    envs = [model.EnvState("dev", "source", "2024-04-29T12:00:00Z"),
            model.EnvState("qa", "deployed", "2024-04-29T13:20:00Z", "backup/qa/20240429T125900Z",
                           validated="2024-04-29T13:00:00Z", deployed="2024-04-29T13:20:00Z"),
            model.EnvState("prod", "built", "2024-04-29T12:00:00Z")]
    step = checklist.Step(id="owd.Account", phase="before", severity="critical",
                          title="Change Account OWD to Private")
    summary = model.TrainSummary("R2", "2024-04-29T12:00:00Z", "dev", "qa", "d1g", 5, envs, [],
                                 True, ["qa"], checklist={"prod": [step]})
    monkeypatch.setattr(sfenv.services.promote, "train_summaries", lambda c, s, r=None: [summary])
    train = collect_report(config, store).trains[0]
    assert [(s.env, s.status) for s in train.stages] == [
        ("dev", "source"), ("qa", "deployed"), ("prod", "built")]
    assert train.stages[1].validated == "2024-04-29T13:00:00Z"
    assert train.stages[1].backup_tag == "backup/qa/20240429T125900Z"
    assert train.hotfix and train.open_hotfixes == ["qa"]
    assert [(c.id, c.phase, c.done) for c in train.checklist] == [("owd.Account", "before", False)]
    text = render_report(collect_report(config, store))
    assert "built from here" in text and "Hotfix not yet back in: qa" in text


def test_audit_rows_match_component_name_as_a_whole_word():
    rows = [{"CreatedDate": "2024-05-02", "CreatedByName": "A", "Display": "Changed Region__c length"},
            {"CreatedDate": "2024-05-03", "CreatedByName": "B", "Display": "Changed SubRegion__c"},
            {"CreatedDate": "2024-04-01", "CreatedByName": "C", "Display": "Region__c created"}]
    found = matching_audit_rows("Account.Region__c", rows, since="2024-05-01")
    assert [a.by for a in found] == ["A"]


def test_backup_tag_names_parse_env_and_time():
    b = backup_tag("backup/qa/20240429T125900Z", "abc")
    assert (b.env, b.date) == ("qa", "2024-04-29T12:59:00Z")
    assert backup_tag("backup/qa/manual", None).date is None


def _refusing(what: str):
    def fake(*args: object, **_: object) -> list:
        raise SfenvError(f"{what}: the releases ref is unreadable")

    return fake


def test_a_stage_upstream_of_the_trains_source_gets_no_steps_or_open_steps_badge(setup,
                                                                                  monkeypatch):
    """A train built from qa is never promoted to dev: dev's steps are not the train's."""
    config, store = setup
    step = {"id": "owd.Account", "phase": "before", "title": "Change Account OWD"}
    summary = {"name": "R3", "created": "2024-04-29T12:00:00Z", "source": "qa", "target": "prod",
               "digest": "d", "components": 1, "envs": [],
               "checklist": {"dev": [step, {**step, "id": "x"}, {**step, "id": "y"}],
                             "qa": [step], "prod": [step]}}
    monkeypatch.setattr(sfenv.services.promote, "train_summaries", lambda c, s, r=None: [summary],
                        raising=False)
    data = collect_report(config, store)
    [train] = data.trains
    assert [(s.env, s.id) for s in train.checklist] == [("prod", "owd.Account")]
    assert train.open_steps == 1
    assert "1 open step<" in render_report(data)


def test_the_role_tree_marks_removed_only_roles_a_deployed_train_deleted(setup, monkeypatch):
    config, store = setup
    from sfenv.services.report import collect
    from sfenv.services.report.model import StageState, TrainComponent, TrainSummary

    deployed = TrainSummary("R4", source="dev", stages=[
        StageState(env="dev", status="source"), StageState(env="qa", status="deployed"),
        StageState(env="prod", status="")],
        component_list=[TrainComponent("Role:Old", "deleted"), TrainComponent("Role:New", "added")])
    assert collect.roles_deleted([deployed]) == {"qa": {"Old"}}


def test_a_stage_state_is_shown_in_the_release_layers_words_with_its_date(setup, monkeypatch):
    """The seam for `stage_label` (steps): a re-promoted stage reads "re-promoted (DATE)", a
    stage the train never reached reads "not yet"."""
    config, store = setup
    summary = {"name": "R5", "created": "2024-04-29T12:00:00Z", "source": "dev", "digest": "d",
               "components": 1,
               "envs": [{"env": "qa", "state": "re-promoted", "date": "2024-05-02T10:00:00Z",
                         "label": "re-promoted (2024-05-02)"},
                        {"env": "prod", "state": "not yet", "label": "not yet"}]}
    monkeypatch.setattr(sfenv.services.promote, "train_summaries", lambda c, s, r=None: [summary],
                        raising=False)
    data = collect_report(config, store)
    assert [(s.env, s.status, s.label) for s in data.trains[0].stages] == [
        ("dev", "", ""), ("qa", "re-promoted", "re-promoted (2024-05-02)"), ("prod", "", "")]
    html = render_report(data)
    stages = html[html.index('id="train-r5"'):]
    assert ">re-promoted (2024-05-02)</span>" in stages
