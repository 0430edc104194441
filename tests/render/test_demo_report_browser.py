"""The demo's final report in a real browser: after `make demo` promotes the train to qa and
prod, the report shows what the train carries and the after-deploy steps still open in qa and
in prod (frozen at each promotion, so the deploy does not empty them).

Runs with the browser tests (`make test-browser`, and `.ci/run` on every submission)."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

import pytest

from sfenv.cli.local.demo import TRAIN
from tests.browser import BROWSER_MARKS, chromium

# The demo runs once per session, shared with tests/e2e/test_demo.py (tests/conftest.py).
pytestmark = [*BROWSER_MARKS, pytest.mark.xdist_group("demo")]

PROBE = """<script>
(function () {
  var pre = document.createElement("pre");
  pre.id = "sfenv-probe";
  pre.textContent = JSON.stringify({text: document.body.innerText});
  document.documentElement.appendChild(pre);
})();
</script>"""


def _visible_text(page: Path) -> str:
    done = chromium("--window-size=1400,2400", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    match = re.search(r'<pre id="sfenv-probe">(.*?)</pre>', done.stdout.decode(), re.S)
    assert match, "the probe did not run: JavaScript or rendering failed"
    return json.loads(htmllib.unescape(match.group(1)))["text"]


@pytest.fixture(scope="module")
def lines(demo_run) -> list[str]:
    out, _run = demo_run
    page = out / "report-probe.html"
    page.write_text((out / "report.html").read_text().replace("</body>", PROBE + "</body>"))
    text = _visible_text(page)
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_the_demo_report_shows_the_trains_components_with_authors(lines):
    flat = " ".join(lines)
    assert f"{TRAIN}" in flat
    assert re.search(r"Components \d+ added · \d+ changed · \d+ deleted", flat), flat[:2000]
    rows = [line for line in lines if line.startswith(("added ", "changed ", "deleted "))]
    assert rows, "no component rows visible"
    assert any("CustomField:Account.Customer_Since__c" in r for r in rows)
    assert any(not r.endswith("unknown") for r in rows), "no author shown"


def test_the_demo_report_shows_open_after_deploy_steps_of_qa_and_prod(lines):
    for env in ("qa", "prod"):
        open_after = [line for line in lines if line.startswith(f"☐ open {env} after ")]
        assert open_after, f"no open after-deploy step visible for {env}"
    # the 'before' steps the demo ticked before the prod deploy are still there, done
    assert re.search(r"☑ done .{0,120}? prod before ", " ".join(lines))
