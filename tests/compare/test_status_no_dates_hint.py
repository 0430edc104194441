"""Rows nobody can date ("differs; no dates to tell which side changed it") come with one hint
per hop: declared `values:` neutralise endpoints, emails and sandbox usernames (issue 26)."""

from __future__ import annotations

from sfenv.core.compare.model import Change, HopStatus, PathEntry
from sfenv.core.compare.status import NO_DATES
from sfenv.core.metadata.ids import ComponentId
from sfenv.views.status import status_markdown, status_text


def _hop(reasons: list[str]) -> HopStatus:
    entries = [PathEntry("pending", Change(ComponentId("NamedCredential", f"N{i}"), "modified"),
                         reason=r) for i, r in enumerate(reasons)]
    return HopStatus("qa", "prod", None, entries)


def test_undated_rows_get_one_hint_naming_values_in_sfenv_yml():
    text = status_text([_hop([NO_DATES] * 10 + ["last changed in qa by Ana"])])
    [hint] = [line for line in text.splitlines() if "hint:" in line]
    assert "10 rows differ with no dates" in hint and "`values:`" in hint and "sfenv.yml" in hint
    assert "endpoints, emails, sandbox usernames" in hint
    assert "Hint: 10 rows" in status_markdown([_hop([NO_DATES] * 10)])


def test_no_hint_without_undated_rows():
    assert "hint:" not in status_text([_hop(["last changed in qa by Ana"])])
