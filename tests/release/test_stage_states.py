"""Where a train stands per stage, with dates (issue 22 item 7): a rollback reads
`rolled back (DATE)`, a deploy after it `re-promoted (DATE)`, and a stage the train never
reached reads `not yet`, never `built`. `release status`/`release list` and the report all
word it through `stage_label`."""

from __future__ import annotations

from sfenv.services.promote.status import stage_label, stage_states
from sfenv.services.train.model import BuiltTrain, LogEntry
from sfenv.views.release import list_text, status_text


def train() -> BuiltTrain:
    return BuiltTrain.from_json({"name": "R1", "created": "2026-12-01T09:00:00Z",
                                 "source": "dev", "target": "qa", "components": ["ApexClass:C"],
                                 "deletes": [], "digest": "d", "source_commit": "c",
                                 "target_commit": "t", "created_by": "u", "manual": [],
                                 "files": 1, "bytes": 1})


def entry(env: str, result: str, day: str, action: str = "promote") -> LogEntry:
    return LogEntry(action=action, env=env, result=result, user="Priya Patel",
                    started=f"2026-12-{day}T10:00:00Z", finished=f"2026-12-{day}T10:05:00Z",
                    deploy_ids=["0Af1"] if result in ("deployed", "rolled_back") else [])


def labels(entries: list[LogEntry]) -> dict[str, str]:
    return {s.env: s.label for s in stage_states(train(), ["dev", "qa", "uat", "prod"], entries)}


def test_a_stage_the_train_never_reached_is_not_yet_not_built():
    assert labels([entry("qa", "deployed", "02")]) == {
        "dev": "source", "qa": "deployed (2026-12-02)", "uat": "not yet", "prod": "not yet"}


def test_a_rollback_and_a_re_promotion_read_with_their_dates():
    rolled = [entry("qa", "deployed", "02"), entry("qa", "rolled_back", "03", "rollback")]
    assert labels(rolled)["qa"] == "rolled back (2026-12-03)"
    again = [*rolled, entry("qa", "cancelled", "04"), entry("qa", "deployed", "05")]
    states = {s.env: s for s in stage_states(train(), ["dev", "qa"], again)}
    qa = states["qa"]
    assert qa.label == "re-promoted (2026-12-05)" == stage_label(qa)
    assert (qa.state, qa.rolled_back, qa.repromoted) == (
        "deployed", "2026-12-03T10:05:00Z", "2026-12-05T10:05:00Z")
    assert qa.deployed == "2026-12-05T10:05:00Z"


def test_status_and_list_text_show_the_labels():
    from sfenv.services.train.model import TrainSummary

    built = train()
    entries = [entry("qa", "deployed", "02"), entry("qa", "rolled_back", "03", "rollback"),
               entry("qa", "deployed", "05")]
    summary = TrainSummary(name="R1", created=built.created, source="dev", target="qa",
                           digest="d", components=1,
                           envs=stage_states(built, ["dev", "qa", "prod"], entries),
                           backups=[], hotfix=False, open_hotfixes=[])
    text = status_text([summary])
    assert "re-promoted (2026-12-05)" in text and "not yet" in text
    assert " built\n" not in text + "\n" and "prod         built" not in text


def test_list_text_dates_each_stage_and_names_rolled_back_ones():
    from sfenv.services.train.model import TrainSummary

    built = train()
    entries = [entry("qa", "deployed", "02"), entry("qa", "rolled_back", "03", "rollback"),
               entry("qa", "deployed", "05"), entry("prod", "deployed", "04"),
               entry("prod", "rolled_back", "06", "rollback")]
    summary = TrainSummary(name="R1", created=built.created, source="dev", target="qa",
                           digest="d", components=1,
                           envs=stage_states(built, ["dev", "qa", "prod"], entries),
                           backups=[], hotfix=False, open_hotfixes=[])
    line = list_text([summary])
    assert "deployed: qa re-promoted (2026-12-05)" in line
    assert "; rolled back: prod (2026-12-06)" in line
