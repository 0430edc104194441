"""`make demo` as a test: the whole flow, through the real CLI processes, ending with prod's
usage seeded and the adoption verdicts in the report. The full variant, run once per session
(`demo_run` in tests/conftest.py) and shared with the browser test of its report."""

from __future__ import annotations

import html as htmllib
import json
import os
import re
from pathlib import Path

import pytest

from tests.browser import BROWSER_MARKS, chromium

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


# One demo per session, shared with tests/render/test_demo_report_browser.py (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("demo")


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run


def test_demo_runs_the_release_flow_and_writes_the_report(demo):
    out, run = demo
    assert not (out / "stale.txt").exists()
    text = "\n".join(run.transcript)
    assert "Demo done" in text
    for step in ("pull dev", "release build", "promote to qa", "promote to prod", "report"):
        assert f": {step}" in text, step
    assert "Result: deployed" in text
    report = (out / "report.html").read_text()
    assert "EMEA Sales Manager" in report and "Project__c" in report
    assert "<script src=" not in report and "http://" not in report.split("</style>")[0]
    log = json.loads((out / "releases" / "R2026.12" / "log.json").read_text())
    deployed = {e["env"] for e in log if e["action"] == "promote" and e["result"] == "deployed"}
    assert {"qa", "prod"} <= deployed, log
    assert all(p.poll() is not None for p in run.servers.values()), "servers left running"


def test_the_demo_seeds_prod_usage_and_ends_with_every_adoption_verdict(demo):
    out, run = demo
    text = "\n".join(run.transcript)
    assert "$ sfenv localorg usage " in text and "added 13 records, 8 logins" in text
    table = text.split("$ sfenv adoption --env prod", 1)[1].split("== step", 1)[0]
    verdicts = {line.split()[1]: line.split()[0] for line in table.splitlines()
                if line.split() and line.split()[0] in ("used", "low", "unused", "unknown")}
    assert verdicts == {
        "CustomField:Account.Customer_Since__c": "used",       # 6 of 8 new accounts
        "CustomField:Invoice__c.Discount__c": "unused",        # never filled
        "CustomObject:Project__c": "low",                      # one creator of six users
        "Group:Finance_Approvers": "unused",                   # nobody in it
        "PermissionSet:Billing_Manager": "unused",
        "Role:EMEA_Sales_Manager": "unknown",                  # no free signal
    }
    section = _adoption_section((out / "report.html").read_text())
    for name, verdict in verdicts.items():
        assert re.search(rf"<td>{re.escape(name)}</td><td>R2026.12</td><td[^>]*>{verdict}</td>",
                         section), (name, verdict)


def _adoption_section(report: str) -> str:
    match = re.search(r'<section id="adoption">.*?</section>', report, re.S)
    assert match, "the report has no adoption section"
    return match.group(0)


PROBE = """<script>
(function () {
  var rows = Array.prototype.map.call(document.querySelectorAll("table.adoption tbody tr"),
    function (tr) { var cell = tr.children[2], r = tr.getBoundingClientRect();
      return {text: cell.innerText, colour: getComputedStyle(cell).color, height: r.height}; });
  var pre = document.createElement("pre");
  pre.id = "sfenv-probe";
  pre.textContent = JSON.stringify({rows: rows,
    dots: document.querySelectorAll("svg.trend circle").length});
  document.documentElement.appendChild(pre);
})();
</script>"""


def _browser(test):
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


@_browser
def test_the_adoption_section_is_drawn_and_screenshotted(demo, tmp_path):
    """The demo report's adoption section in headless Chromium: one visible row per
    component, each verdict in its own colour; a PNG of it (docs/screenshots/demo-adoption.png
    with SFENV_UPDATE_SCREENSHOTS=1)."""
    out, _run = demo
    report = (out / "report.html").read_text()
    style = re.search(r"<style>.*?</style>", report, re.S)
    page = tmp_path / "adoption.html"
    page.write_text("<!doctype html><html><head><meta charset='utf-8'>"
                    + (style.group(0) if style else "") + "</head><body>"
                    + _adoption_section(report) + PROBE + "</body></html>")
    done = chromium("--window-size=1200,700", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    match = re.search(r'<pre id="sfenv-probe">(.*?)</pre>', done.stdout.decode(), re.S)
    assert match, "the probe did not run"
    seen = json.loads(htmllib.unescape(match.group(1)))
    assert [r["text"] for r in seen["rows"]].count("unused") == 3
    assert {r["text"] for r in seen["rows"]} == {"used", "low", "unused", "unknown"}
    assert all(r["height"] > 10 for r in seen["rows"])
    colours = {r["text"]: r["colour"] for r in seen["rows"]}
    assert len(set(colours.values())) == 4, colours   # each verdict drawn in its own colour
    assert seen["dots"] >= 4   # one point per measured component (the unknown has none)
    shot = tmp_path / "adoption.png"
    page.write_text(page.read_text().replace(PROBE, ""))
    done = chromium("--window-size=1200,1000", f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SFENV_UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "demo-adoption.png").write_bytes(shot.read_bytes())
