"""One glossary of counts (issue 26): the same train is counted in the same words by plan,
build, `release status`/`list` and the changelog, and never "1 deletions"."""

from __future__ import annotations

from sfenv.core.compare import counts
from sfenv.services.records.changelog import ComponentLine, Event
from sfenv.services.train.model import BuiltTrain
from sfenv.views.changelog import to_markdown
from sfenv.views.release import built_text


def _train(components: list[str], deletes: list[str], manual: list[str]) -> BuiltTrain:
    return BuiltTrain(name="R1", source="dev", source_commit="a" * 40, target="qa",
                      target_commit="b" * 40, created="2026-12-01T10:00:00Z", created_by="Ana",
                      digest="sha256:x", components=components, deletes=deletes, manual=manual,
                      waves=[], files=1, bytes=1)


def test_one_is_singular_everywhere():
    assert counts.counted(1, "deletion") == "1 deletion"
    assert counts.counted(2, "deletion") == "2 deletions"
    assert counts.counted(1, "entry") == "1 entry" and counts.counted(3, "entry") == "3 entries"
    assert counts.package(8, 1) == "8 package members, of which 1 deletion"


def test_build_counts_package_members_not_components_and_says_1_deletion():
    text = built_text(_train(["A:a", "B:b", "C:c"], ["D:d"], ["E:e"]))
    assert "4 package members, of which 1 deletion; 1 manual; 1 file, 1 byte" in text
    assert "deletions" not in text and "components" not in text


def test_the_changelog_counts_changes_in_the_plans_words():
    event = Event(kind="promotion", when="2026-12-01T10:00:00Z", who="Ana", title="R1 → qa",
                  components=[ComponentLine("A:a", "added"), ComponentLine("B:b", "changed"),
                              ComponentLine("D:d", "deleted"), ComponentLine("E:e", "manual")])
    text = changelog_markdown_of([event])
    assert "- Changes (1 added, 1 changed, 1 deleted, 1 manual):" in text
    assert "Components (" not in text


def changelog_markdown_of(events: list[Event]) -> str:
    from sfenv.services.records.changelog import Changelog

    return to_markdown(Changelog(env="qa", production=False, events=events))


def test_the_plan_says_why_each_change_is_held_back_and_cites_manual_types_only_for_those():
    from sfenv.services.train.model import Item, ReleasePlan
    from sfenv.views.release import plan_text

    plan = ReleasePlan(train="R1", source="dev", source_commit="a" * 40, target="qa",
                       target_commit="b" * 40, adds=[], changes=[], deletes=[],
                       manual=[Item("ProfileFieldPermission:Admin/Account.X__c", "removed"),
                               Item("Role:EMEA", "added")],
                       dependency_problems=[], files=1, bytes=1)
    lines = plan_text(plan).splitlines()
    [revoke] = [ln for ln in lines if "ProfileFieldPermission" in ln]
    [role] = [ln for ln in lines if "Role:EMEA" in ln]
    assert revoke.endswith("[a deploy cannot revoke it]") and "manual_types" not in revoke
    assert role.endswith("[sfenv.yml manual_types]")
    assert "Held back for a manual step (see `sfenv checklist`):" in lines
