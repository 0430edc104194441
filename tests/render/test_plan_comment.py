"""The PR comment body of a release plan: marker, link-free summary, warnings with who and
when, the plan grouped, the checklist with step ids, the size limit."""

from __future__ import annotations

from sfenv.core.checklist.model import Step
from sfenv.services.train.model import DependencyProblem, Item, ReleasePlan
from sfenv.views.plan_comment import MARKER, MAX_CHARS, plan_comment, summary_line


def _plan(**kw) -> ReleasePlan:
    base = dict(train="PR-12", source="branch", source_commit="a" * 40, target="qa",
                target_commit="b" * 40,
                adds=[Item("CustomField:Invoice__c.Discount__c", "added", "", "Sofia Rossi",
                           "2026-12-01")],
                changes=[Item("ApexClass:InvoiceService", "modified"),
                         Item("CustomField:Account.Region__c", "modified", "", "Tom Becker",
                              "2026-12-02")],
                deletes=[], manual=[], dependency_problems=[], files=4, bytes=1200)
    base.update(kw)
    return ReleasePlan(**base)


def test_body_starts_with_the_marker_and_a_link_free_summary():
    body = plan_comment(_plan())
    lines = body.splitlines()
    assert lines[0] == MARKER
    assert lines[1] == "**sfenv plan PR-12: branch → qa: 1 to add, 2 to change, 0 to delete, " \
                       "0 manual**"
    assert "http" not in summary_line(_plan())


def test_overwrite_warnings_and_dependency_problems_come_first_with_who_and_when():
    plan = _plan(conflicts=[{"component": "CustomField:Account.Region__c", "status": "drift",
                             "by": "Priya Patel", "date": "2026-12-03", "reason": "x"}],
                 dependency_problems=[DependencyProblem("ApexClass:InvoiceService",
                                                        "CustomField:Invoice__c.Total__c", "qa")])
    body = plan_comment(plan)
    attention = body.index("### Needs attention")
    assert attention < body.index("### Plan")
    assert "would overwrite qa's change by Priya Patel on 2026-12-03: " \
           "`CustomField:Account.Region__c`" in body
    assert "ApexClass:InvoiceService needs CustomField:Invoice__c.Total__c" in body
    assert "1 overwrite warning, 1 dependency problem" in body.splitlines()[1]


def test_plan_is_grouped_by_kind_and_type_and_the_checklist_lists_step_ids():
    steps = [Step("owd.Invoice__c", "after", "critical", "Set Invoice__c sharing to Private"),
             Step("perm.Billing", "before", "info", "Assign Billing to the team")]
    body = plan_comment(_plan(), steps)
    assert "<summary><b>To change</b> (2)</summary>" in body
    assert "**ApexClass** (1)" in body and "**CustomField** (1)" in body
    assert "- `Account.Region__c` — Tom Becker, 2026-12-02" in body
    assert body.index("**Before the deploy**") < body.index("**After the deploy**")
    assert "- [ ] Set Invoice__c sharing to Private (`owd.Invoice__c`) — critical" in body


def test_names_cannot_break_the_markdown_or_inject_html():
    body = plan_comment(_plan(adds=[Item("Layout:Account-Account <script>|x", "added")]))
    assert "<script>" not in body and "&lt;script&gt;\\|x" in body


def test_a_huge_plan_is_cut_to_githubs_comment_limit():
    many = [Item(f"CustomField:Account.F{i}__c", "added") for i in range(5000)]
    body = plan_comment(_plan(adds=many))
    assert len(body) <= MAX_CHARS and body.startswith(MARKER)
    assert "cut to GitHub's comment size" in body
