"""The report as a person sees it: rendered by headless Chromium, asserting on visible text
(`innerText`, which follows CSS) and layout, plus a screenshot.

Run with `make test-browser`. Set SFENV_UPDATE_SCREENSHOTS=1 to refresh docs/screenshots/.
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
from pathlib import Path

import pytest

from sfenv.views.report import render_report
from tests.browser import BROWSER_MARKS, chromium

from .sample import sample_report

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = BROWSER_MARKS

# Appended to a copy of the report: writes what the reader sees, and where things sit, into the
# DOM so that --dump-dom carries it out.
PROBE = """<script>
(function () {
  var box = function (el) { var r = el.getBoundingClientRect(); return {top: r.top, left: r.left, width: r.width, height: r.height}; };
  var trees = Array.prototype.map.call(document.querySelectorAll(".tree"), box);
  var toc = document.querySelector(".toc");
  var diff = document.querySelector(".owd td.diff");
  var out = {
    text: document.body.innerText,
    trees: trees,
    toc_position: getComputedStyle(toc).position,
    diff_background: diff ? getComputedStyle(diff).backgroundColor : null,
    plain_background: getComputedStyle(document.querySelector(".owd td:not(.diff)")).backgroundColor,
    page_width: document.documentElement.scrollWidth
  };
  var pre = document.createElement("pre");
  pre.id = "sfenv-probe";
  pre.textContent = JSON.stringify(out);
  document.documentElement.appendChild(pre);
})();
</script>"""





@pytest.fixture(scope="module")
def seen(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("report")
    page = folder / "report.html"
    page.write_text(render_report(sample_report()).replace("</body>", PROBE + "</body>"))
    done = chromium("--window-size=1400,2400", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    match = re.search(r'<pre id="sfenv-probe">(.*?)</pre>', done.stdout.decode(), re.S)
    assert match, "the probe did not run: JavaScript or rendering failed"
    data = json.loads(htmllib.unescape(match.group(1)))
    data["lines"] = [" ".join(line.split()) for line in data["text"].splitlines() if line.strip()]
    data["flat"] = " ".join(data["text"].split())
    return data


def test_hop_counts_are_visible(seen):
    assert "dev → qa" in seen["lines"]
    assert "3 pending 1 drift 0 conflict" in seen["flat"]
    assert "2 pending 1 drift 1 conflict" in seen["flat"]
    assert seen["flat"].count("change outside the release process") == 2


def test_role_trees_are_visible_side_by_side_with_marks(seen):
    flat = seen["flat"]
    assert "Partner <Channel> Manager" in flat  # escaped in HTML, shown literally
    assert "Support Lead ↷ moved from SVP, Customer Service" in flat
    assert "Support Lead ↷ moved from VP, EMEA Sales" in flat
    assert "VP, EMEA Sales ◌ not promoted here yet" in flat  # prod never got it: no removal
    assert "EMEA Sales − removed" not in flat
    trees = seen["trees"]
    assert len(trees) == 3
    assert len({round(t["top"]) for t in trees}) == 1, "role trees should sit in one row"
    assert trees[0]["left"] < trees[1]["left"] < trees[2]["left"]


def test_owd_table_is_visible_with_highlighted_differences(seen):
    lines = seen["lines"]
    account = next(line for line in lines if line.startswith("Account"))
    assert account == "Account Read / Private Read / Private ◆ Private / Private"
    assert any(line.startswith("Property__c ReadWrite / Private ReadWrite / Private ◆ absent")
               for line in lines)
    assert seen["diff_background"] != seen["plain_background"]


def test_the_owd_table_of_four_environments_fits_at_1400_px(tmp_path):
    """Four stages with the longest values Salesforce has: no horizontal scroll hides UAT and
    PROD (issue 26)."""
    from sfenv.services.report.model import Owd, ReportData, build_owd_table

    long = {f"Very_Long_Object_Name_{i}__c": Owd("ControlledByParent", "ControlledByCampaign")
            for i in range(6)}
    table = build_owd_table([(env, {**long, "Account": Owd(value, "Private")})
                             for env, value in (("dev", "Read"), ("qa", "ReadWrite"),
                                                ("uat", "ReadWriteTransfer"), ("prod", "Private"))])
    data = ReportData(project="p", generated="2026-12-01T00:00:00Z", path=[], owd=table)
    probe = PROBE.replace("var out = {", 'var s = document.querySelector("#owd .scroll"); var out = {'
                          ' owd_overflow: s.scrollWidth - s.clientWidth,')
    page = tmp_path / "owd.html"
    page.write_text(render_report(data).replace("</body>", probe + "</body>"))
    done = chromium("--window-size=1400,1600", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    match = re.search(r'<pre id="sfenv-probe">(.*?)</pre>', done.stdout.decode(), re.S)
    assert match, "the probe did not run"
    seen = json.loads(htmllib.unescape(match.group(1)))
    assert seen["owd_overflow"] <= 0, seen["owd_overflow"]
    assert "ReadWriteTransfer" in seen["text"] and "prod" in seen["text"]


def test_layout_has_sticky_contents_and_no_horizontal_scroll(seen):
    assert seen["toc_position"] == "sticky"
    assert seen["page_width"] <= 1400


def test_screenshot_is_taken(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_report(sample_report()))
    shot = tmp_path / "report.png"
    done = chromium("--window-size=1400,2400", f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SFENV_UPDATE_SCREENSHOTS"):
        _update_screenshots(page)


def _update_screenshots(page: Path) -> None:
    """docs/screenshots/report-*.png: the top of the report, and the roles/OWD/trains part."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chromium("--window-size=1400,1900", f"--screenshot={SCREENSHOTS / 'report-overview.png'}",
              page.as_uri())
    lower = page.with_name("lower.html")
    lower.write_text(page.read_text().replace("</style>", "header, #path { display: none; }</style>"))
    chromium("--window-size=1400,1900", f"--screenshot={SCREENSHOTS / 'report-roles-owd.png'}",
              lower.as_uri())
