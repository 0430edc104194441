"""Role tree, done-state in the repository, and the three output forms."""

from __future__ import annotations

import json

import pytest

from sfenv.core.checklist import Step, role_tree
from sfenv.core.checklist.roles import tree_lines
from sfenv.core.metadata.registry import default_registry
from sfenv.errors import ChecklistError
from sfenv.services.records.checklist_done import done_steps, record_done
from sfenv.views.checklist import role_tree_html, to_html, to_json, to_markdown

BEFORE = {"CEO": {"name": "CEO"}, "VP_Sales": {"name": "VP Sales", "parentRole": "CEO"},
          "VP_Service": {"name": "VP Service", "parentRole": "CEO"},
          "EMEA": {"name": "EMEA", "parentRole": "VP_Sales"}, "Old": {"name": "Old", "parentRole": "CEO"}}
AFTER = {**{k: v for k, v in BEFORE.items() if k != "Old"},
         "EMEA": {"name": "EMEA", "parentRole": "VP_Service"},
         "APAC": {"name": "APAC", "parentRole": "VP_Sales"}}


def test_role_tree_marks_added_removed_and_moved():
    root = role_tree(BEFORE, AFTER, default_registry())
    assert tree_lines(root) == [
        "  CEO (CEO)",
        "-     Old (Old) [removed]",
        "      VP Sales (VP_Sales)",
        "+         APAC (APAC) [added]",
        "      VP Service (VP_Service)",
        "~         EMEA (EMEA) [moved from VP Sales (VP_Sales)]",
    ]


def test_role_tree_reads_xml_and_survives_cycles():
    ns = 'xmlns="http://soap.sforce.com/2006/04/metadata"'
    roles = {"A": f"<Role {ns}><name>A</name><parentRole>B</parentRole></Role>".encode(),
             "B": f"<Role {ns}><name>B</name><parentRole>A</parentRole></Role>".encode()}
    lines = tree_lines(role_tree(roles, roles, default_registry()))
    assert sorted(line.strip() for line in lines) == ["A (A)", "B (B)"]


def test_role_tree_html_marks_changes_with_classes():
    html = str(role_tree_html(role_tree(BEFORE, AFTER, default_registry())))
    assert 'class="role-added"' in html and 'class="role-moved"' in html and "[removed]" in html


def test_done_steps_are_recorded_as_json_in_the_release_folder(tmp_path):
    assert done_steps(tmp_path, "R1", "prod") == {}
    path = record_done(tmp_path, "R1", "prod", "owd.Project__c", "Ana", "2026-03-01T10:00:00Z")
    assert path == tmp_path / "R1" / "checklist-prod.json"
    record_done(tmp_path, "R1", "prod", "owd.Project__c", "Raj", "2026-03-02T10:00:00Z")  # first kept
    assert done_steps(tmp_path, "R1", "prod") == {"owd.Project__c": {"by": "Ana", "at": "2026-03-01T10:00:00Z"}}
    assert json.loads(path.read_text())["env"] == "prod"


@pytest.mark.parametrize("train", ["../x", "a/b", ""])
def test_state_refuses_path_tricks_in_names(tmp_path, train):
    with pytest.raises(ChecklistError):
        record_done(tmp_path, train, "prod", "s", "a", "t")


def test_corrupt_state_file_is_a_checklist_error(tmp_path):
    (tmp_path / "R1").mkdir()
    (tmp_path / "R1" / "checklist-prod.json").write_text("{not json")
    with pytest.raises(ChecklistError, match="checklist-prod.json"):
        done_steps(tmp_path, "R1", "prod")


STEPS = [
    Step("owd.Project__c", "before", "critical", "OWD of Project__c ReadWrite → Private",
         ["Object: Project__c", "  - sub item"], "recalc", "Ops", "owd", "CustomObject:Project__c"),
    Step("role-hierarchy", "after", "info", "Review the role hierarchy",
         ["Marks: + added", "|   CEO (CEO)", "| +     APAC (APAC) [added]"], "", "Ops", "role-hierarchy", ""),
]


def test_markdown_is_a_task_list_with_done_steps_ticked():
    md = to_markdown(STEPS, {"owd.Project__c": {"by": "Ana", "at": "2026-03-01"}}, heading="R1 → prod")
    assert md == (
        "# R1 → prod\n\n## Before deploy\n\n"
        "- [x] **BEFORE** [critical] OWD of Project__c ReadWrite → Private (`owd.Project__c`)\n"
        "    - Object: Project__c\n"
        "        - sub item\n"
        "    - _Why:_ recalc\n"
        "    - _Owner:_ Ops\n"
        "    - _Done by Ana at 2026-03-01_\n\n"
        "## After deploy\n\n"
        "- [ ] **AFTER** Review the role hierarchy (`role-hierarchy`)\n"
        "    - Marks: + added\n\n"
        "    ```\n"
        "      CEO (CEO)\n"
        "    +     APAC (APAC) [added]\n"
        "    ```\n"
        "    - _Owner:_ Ops\n"
    )


def test_json_has_stable_keys_and_done_flags():
    doc = to_json(STEPS, {"role-hierarchy": {"by": "Raj", "at": "t"}}, train="R1", env="prod")
    assert sorted(doc) == ["counts", "env", "steps", "train", "version"]
    assert sorted(doc["steps"][0]) == ["component", "details", "done", "done_at", "done_by", "id",
                                       "owner", "phase", "rule", "severity", "title", "why"]
    assert doc["counts"] == {"total": 2, "open": 1, "before_open": 1}
    assert doc["steps"][1]["done_by"] == "Raj"


def test_html_fragment_escapes_text_and_shows_tree_as_preformatted():
    steps = [Step("x", "before", "warning", "<script>", ["a & b", "| tree"], "", "", "r", "")]
    html = to_html(steps, {}, heading="R1")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "a &amp; b" in html and "<pre" in html and "tree" in html
    assert "<html" not in html
