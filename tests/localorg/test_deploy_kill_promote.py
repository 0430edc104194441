"""`sfenv release promote` against an org process killed at each stage of its deploy (issue
23): the org is restarted from the same data folder on the same port, the promotion is run
again, and it settles with exactly one deploy that took effect, named by the release log.

qa runs as its own process (the org killed, not sfenv); dev stays in the test process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sfenv.localorg.faults import CRASH_EXIT, DEPLOY_STAGES
from sfenv.localorg.rest.deploy_requests import rows as deploy_requests
from sfenv.localorg.server import LocalOrgServer
from sfenv.localorg.testing import handle_for
from tests.reliability.promote_kit import Path2, finished_deployed, two_orgs

REPO = Path(__file__).resolve().parents[2]
SERVE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from sfenv.localorg.server import LocalOrgServer
    server = LocalOrgServer(Path(sys.argv[1]), port=int(sys.argv[2]))
    server.faults.crash_at = sys.argv[3]
    print("ready", flush=True)
    server.serve_forever()
""")


APPLIED = ("deploying", "replying")   # the kill came after the commit point


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    yield from two_orgs(tmp_path_factory.mktemp("orgkill"))


def qa_as_a_process(p: Path2, stage: str) -> subprocess.Popen:
    """Stop the in-process qa and serve its folder from a child process on the same port."""
    handle = p.orgs["qa"]
    port = urlsplit(handle.instance_url).port
    handle.server.stop()
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(handle.data_dir), str(port), stage],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def qa_restarted(p: Path2) -> None:
    handle = p.orgs["qa"]
    port = urlsplit(handle.instance_url).port
    for _ in range(50):   # the killed process's port may linger a moment
        try:
            server = LocalOrgServer(handle.data_dir, port=port).start()
            break
        except OSError:
            time.sleep(0.1)
    p.orgs["qa"] = handle_for(server)


def took_effect(p: Path2) -> list[str]:
    return [r["Id"] for r in deploy_requests(p.orgs["qa"].server.org)
            if not r["CheckOnly"] and r["Status"] == "Succeeded"]


@pytest.mark.parametrize("stage", DEPLOY_STAGES)
def test_a_promotion_whose_org_died_at_each_deploy_stage_settles_with_one_deploy(shared, stage):
    p = shared
    train, value = p.new_train()
    before = took_effect(p)
    proc = qa_as_a_process(p, stage)
    try:
        first = p.cli("release", "promote", train, "--to", "qa")
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == CRASH_EXIT, proc.stderr.read() if proc.stderr else ""
    assert first.exit_code != 0, first.output
    qa_restarted(p)

    rerun = p.cli("release", "promote", train, "--to", "qa")
    if stage in APPLIED:
        assert rerun.exit_code == 0, rerun.output
    elif rerun.exit_code != 0:
        # the rerun followed the deploy it had submitted: the org says it failed, nothing
        # deployed; the entry is settled, and the next promotion deploys
        assert "the org stopped before this deploy finished" in rerun.output, rerun.output
        assert p.value_in_org("qa") != value
        p.ok("release", "promote", train, "--to", "qa")
    entry = finished_deployed(p, train, value)
    new = [d for d in took_effect(p) if d not in before]
    assert len(new) == 1, (stage, new, first.output)
    assert new[0][:15] in [d[:15] for d in entry["deploy_ids"]]
