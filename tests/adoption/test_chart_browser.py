"""The adoption section as a person sees it in headless Chromium: each trend is drawn (a
visible line with one dot per day) and "Unused after N days" sits above the table.

Run with `make test-browser` (skipped where /usr/bin/chromium is missing)."""

from __future__ import annotations

import html as htmllib
import json
import re

from sfenv.config.adoption import AdoptionSettings
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.adoption.chart import adoption_section
from sfenv.services.adoption.service import AdoptionRun, Measure, add_trends, history, record
from tests.browser import BROWSER_MARKS
from tests.browser import chromium as _chromium

pytestmark = BROWSER_MARKS

PROBE = """<script>
(function () {
  var lines = Array.prototype.map.call(document.querySelectorAll("svg.trend polyline"),
    function (el) { var r = el.getBoundingClientRect(); return {width: r.width, height: r.height,
      stroke: getComputedStyle(el).stroke}; });
  var out = {lines: lines, dots: document.querySelectorAll("svg.trend circle").length,
             unused_top: document.querySelector(".unused-first").getBoundingClientRect().top,
             table_top: document.querySelector("table.adoption").getBoundingClientRect().top};
  var pre = document.createElement("pre");
  pre.id = "sfenv-probe";
  pre.textContent = JSON.stringify(out);
  document.documentElement.appendChild(pre);
})();
</script>"""


def test_the_three_point_trend_is_drawn_and_unused_comes_first(tmp_path):
    store = SnapshotStore(tmp_path / "repo")
    for day, views in ((3, 5), (4, 9), (5, 14)):
        run = AdoptionRun("prod", f"2026-12-0{day}T06:00:00+00:00", AdoptionSettings(days=2))
        run.rows = [Measure("R1", "FlexiPage:Case_Page", "2026-12-01T00:00:00Z", day,
                            "page_views", "used", "viewed", True, {"views_last_day": views}),
                    Measure("R1", "Report:F/Never", "2026-12-01T00:00:00Z", day, "report_run",
                            "unused", "not run", True, {"ran_since_release": False})]
        add_trends(run, history(store, "prod"))
        record(store, run)
    page = tmp_path / "adoption.html"
    page.write_text("<!doctype html><html><body>" + adoption_section(store, ["prod"])
                    + PROBE + "</body></html>")
    done = _chromium("--window-size=1000,800", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    match = re.search(r'<pre id="sfenv-probe">(.*?)</pre>', done.stdout.decode(), re.S)
    assert match, "the probe did not run"
    seen = json.loads(htmllib.unescape(match.group(1)))
    assert len(seen["lines"]) == 2 and all(line["width"] > 50 for line in seen["lines"])
    assert seen["lines"][1]["height"] > 5  # the page's rising views are not a flat line
    assert seen["dots"] == 6
    assert seen["unused_top"] < seen["table_top"]
