"""The HTML report rendered from constructed data: what a reader sees, escaping, marks."""

from __future__ import annotations

import json
import re

from sfenv.services.report.model import (
    ChangeRow,
    EnvSummary,
    HopSection,
    ReportData,
    TypeGroup,
    build_owd_table,
    build_role_trees,
)
from sfenv.services.report.sfxml import Owd, RoleInfo
from sfenv.views.report import render_report, report_to_dict, role_tokens


def _text(html: str) -> str:
    """Visible text, roughly: tags dropped, whitespace collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def _minimal(**kw) -> ReportData:
    return ReportData(project=kw.pop("project", "P"), generated="2024-05-02T09:35:00Z",
                      path=kw.pop("path", []), **kw)


def test_report_is_one_self_contained_document(report_data):
    html = render_report(report_data)
    assert html.startswith("<!DOCTYPE html>")
    assert "<style>" in html
    # no external assets: nothing fetched over the network, no linked stylesheet or script
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html
    assert "@import" not in html


def test_header_lists_environments_with_snapshot_details(report_data):
    text = _text(render_report(report_data))
    assert "dev Developer sandbox Owner Ada (dev team)" in text
    assert "prod production" in text
    assert "4f9c2a1b7e" in text  # short commit id
    assert "1,843" in text
    assert "2024-05-02 09:31 UTC" in text


def test_hop_shows_counts_elements_and_who_changed_it(report_data):
    text = _text(render_report(report_data))
    assert "3 pending 1 drift 0 conflict" in text
    assert "2 pending 1 drift 1 conflict" in text
    assert "length 80 → 255" in text
    assert "Linus Admin in prod, 2024-05-01 22:04 UTC" in text
    assert "Deactivated Opportunity validation Close_Date_Required" in text
    assert "and 1 more components not shown" in text


def test_production_drift_is_flagged_outside_the_release_process(report_data):
    html = render_report(report_data)
    hop = html[html.index('id="hop-qa-prod"'):]
    assert hop.count("change outside the release process") == 2
    first_hop = html[html.index('id="hop-dev-qa"'):html.index('id="hop-qa-prod"')]
    assert "change outside the release process" not in first_hop


def test_names_with_ampersand_and_angle_brackets_are_escaped():
    trees = build_role_trees([("dev", {"R": RoleInfo("R", "Sales & <Marketing>", None)})])
    hop = HopSection("dev", "qa", counts={"pending": 1, "drift": 0, "conflict": 0}, groups=[
        TypeGroup("Layout", [ChangeRow("Layout:Account-A&B <x>", "Layout", "Account-A&B <x>",
                                       "pending", "added")])])
    owd = build_owd_table([("dev", {"Obj<script>": Owd("Read", None)})])
    html = render_report(_minimal(project="R&D <Team>", role_trees=trees, hops=[hop], owd=owd,
                                  path=[EnvSummary("dev", 0, owner="Tom & Jerry")]))
    assert "Sales &amp; &lt;Marketing&gt;" in html
    assert "Account-A&amp;B &lt;x&gt;" in html
    assert "R&amp;D &lt;Team&gt;" in html
    assert "Tom &amp; Jerry" in html
    assert "Obj&lt;script&gt;" in html
    assert "<Marketing>" not in html and "<x>" not in html and "Obj<script>" not in html


def test_owd_cells_that_differ_from_previous_env_are_highlighted():
    table = build_owd_table([
        ("dev", {"Account": Owd("Read", "Private"), "Case": Owd("Private", "Private")}),
        ("qa", {"Account": Owd("Private", "Private"), "Case": Owd("Private", "Private")}),
        ("prod", {"Account": Owd("Private", "Read")}),
    ])
    rows = {r.object: r for r in table.rows}
    assert [c.differs for c in rows["Account"].cells] == [False, True, True]
    assert rows["Account"].cells[1].internal_differs and not rows["Account"].cells[1].external_differs
    assert rows["Account"].cells[2].external_differs and not rows["Account"].cells[2].internal_differs
    assert [c.differs for c in rows["Case"].cells] == [False, False, True]
    assert not rows["Case"].cells[2].present
    html = render_report(_minimal(owd=table))
    account = html[html.index("<code>Account</code>"):html.index("<code>Case</code>")]
    cells = re.findall(r"<td class=\"([^\"]*)\">", account)
    assert cells == ["", "diff", "diff"]
    assert account.count("◆") == 2  # a text marker, readable in grey print
    assert "2 of 2 objects differ" in _text(html)


def test_owd_of_an_env_without_snapshot_is_not_a_difference():
    table = build_owd_table([("dev", {"A": Owd("Read", None)}), ("qa", None),
                             ("prod", {"A": Owd("Read", None)})])
    assert [c.differs for c in table.rows[0].cells] == [False, False, False]


def test_moved_role_is_marked_with_its_previous_parent():
    dev = {"CEO": RoleInfo("CEO", "CEO", None), "VP": RoleInfo("VP", "VP Sales", "CEO"),
           "Rep": RoleInfo("Rep", "Sales Rep", "CEO")}
    qa = {**dev, "Rep": RoleInfo("Rep", "Sales Rep", "VP")}
    trees = build_role_trees([("dev", dev), ("qa", qa)])
    assert trees[1].moved == 1 and trees[1].added == 0 and trees[1].removed == 0
    ceo = trees[1].roots[0]
    vp = ceo.children[0]
    assert [c.name for c in vp.children] == ["Rep"]
    assert vp.children[0].mark == "moved" and vp.children[0].previous_parent == "CEO"
    html = render_report(_minimal(role_trees=trees))
    qa_tree = html[html.index('id="roles-qa"'):]
    assert 'class="role role-moved"' in qa_tree
    assert "↷ moved from CEO" in _text(qa_tree)
    dev_tree = html[html.index('id="roles-dev"'):html.index('id="roles-qa"')]
    assert "moved" not in _text(dev_tree)


def test_added_and_removed_roles_are_marked_in_words():
    dev = {"CEO": RoleInfo("CEO", "CEO", None), "Old": RoleInfo("Old", "Old Team", "CEO")}
    qa = {"CEO": RoleInfo("CEO", "CEO", None), "New": RoleInfo("New", "New Team", "CEO")}
    trees = build_role_trees([("dev", dev), ("qa", qa)], {"qa": {"Old"}})  # a train deleted it
    marks = {c.name: c.mark for c in trees[1].roots[0].children}
    assert marks == {"New": "added", "Old": "removed"}
    text = _text(render_report(_minimal(role_trees=trees)))
    assert "New Team + added" in text
    assert "Old Team − removed" in text


def test_a_role_never_promoted_to_the_next_environment_is_not_marked_removed():
    """dev's new role that no train has brought to qa yet is "not promoted here yet"."""
    dev = {"CEO": RoleInfo("CEO", "CEO", None), "EMEA": RoleInfo("EMEA", "EMEA Sales", "CEO")}
    qa = {"CEO": RoleInfo("CEO", "CEO", None)}
    trees = build_role_trees([("dev", dev), ("qa", qa)])
    assert (trees[1].removed, trees[1].upstream) == (0, 1)
    assert {c.name: c.mark for c in trees[1].roots[0].children} == {"EMEA": "upstream"}
    html = render_report(_minimal(role_trees=trees))
    qa_tree = _text(html[html.index('id="roles-qa"'):])
    assert "EMEA Sales ◌ not promoted here yet" in qa_tree
    assert "removed" not in qa_tree.split("EMEA Sales", 1)[1]
    assert "0 removed, 1 not promoted yet" in qa_tree


def test_role_cycle_and_missing_parent_do_not_hang_and_show_every_role():
    roles = {"A": RoleInfo("A", "A", "B"), "B": RoleInfo("B", "B", "A"),
             "C": RoleInfo("C", "C", "Gone")}
    tree = build_role_trees([("dev", roles)])[0]
    seen = []
    stack = list(tree.roots)
    while stack:
        node = stack.pop()
        seen.append(node.name)
        stack.extend(node.children)
    assert sorted(seen) == ["A", "B", "C"]


def test_deep_role_hierarchy_renders_without_recursion_limits():
    roles = {f"R{i}": RoleInfo(f"R{i}", f"Role {i}", f"R{i - 1}" if i else None) for i in range(3000)}
    tree = build_role_trees([("dev", roles)])[0]
    tokens = list(role_tokens(tree.roots))
    assert sum(t.kind == "open" for t in tokens) == sum(t.kind == "close" for t in tokens) == 3000
    html = render_report(_minimal(role_trees=[tree]))
    assert html.count("<ul>") == html.count("</ul>") == 3000


def test_empty_report_says_what_is_missing_instead_of_blank_sections():
    text = _text(render_report(_minimal(notices=["Release trains unavailable (x)."])))
    assert "Not everything could be shown: Release trains unavailable (x)." in text
    assert "No environments are configured on the path." in text
    assert "No hops to show" in text
    assert "No role hierarchy to show." in text
    assert "No object files with org-wide defaults" in text
    assert "No release trains." in text
    assert "No backups taken" in text


def test_hop_without_differences_says_so():
    hop = HopSection("dev", "qa", three_way=True)
    text = _text(render_report(_minimal(hops=[hop])))
    assert "0 pending 0 drift 0 conflict" in text
    assert "dev and qa hold the same metadata." in text


def test_env_without_snapshot_reads_never_pulled():
    trees = build_role_trees([("dev", None)])
    text = _text(render_report(_minimal(path=[EnvSummary("dev", 0)], role_trees=trees)))
    assert "never pulled" in text
    assert "No snapshot." in text


def test_checklist_shows_phase_and_done_state(report_data):
    text = _text(render_report(report_data))
    assert "1 of 3 done" in text
    assert "☑ done before Move role Support Lead under VP, EMEA Sales" in text
    assert "☐ open after Assign permission set Tier_Editor" in text
    assert "backup/prod/20240501T175900Z" in text


def test_footer_tells_how_to_reproduce(report_data):
    assert "sfenv report --config sfenv.yml --out report.html" in _text(render_report(report_data))


def test_json_form_has_stable_keys_and_derived_values(report_data):
    data = report_to_dict(report_data)
    assert sorted(data) == ["backups", "generated", "hops", "notices", "owd", "path", "project",
                            "records", "reproduce", "role_trees", "trains"]
    assert data["path"][0]["short"] == "4f9c2a1b7e"
    assert data["hops"][1]["total"] == 4
    json.dumps(data)  # serialisable as is


def test_accepted_differences_are_counted_and_said_to_be_hidden(report_data):
    assert "accepted with" not in _text(render_report(report_data))
    report_data.hops[0].accepted_differences = 2
    text = _text(render_report(report_data))
    assert "2 differences accepted with sfenv sync-point , not listed" in text
