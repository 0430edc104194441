"""`make demo` as a test: the short variant of the whole flow, through the real CLI processes."""

from __future__ import annotations

import json

from sfenv.cli.local.demo import run_demo


def test_demo_runs_the_release_flow_and_writes_the_report(tmp_path):
    out = tmp_path / "demo-out"
    out.mkdir()
    (out / "stale.txt").write_text("from an earlier run")  # a second run starts from scratch
    demo = run_demo(out, short=True)
    assert not (out / "stale.txt").exists()
    text = "\n".join(demo.transcript)
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
    assert all(p.poll() is not None for p in demo.servers.values()), "servers left running"

