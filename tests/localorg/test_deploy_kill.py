"""The org process killed at every stage of a deploy (issue 23): the org restarted from the
same data folder has the package whole or not at all, and its DeployRequest rows say which.

Each case runs the org in a child process that stops itself with `os._exit` (no cleanup, as
kill -9) at one stage; the test then opens the same folder as `sfenv localorg serve` does."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sfenv.localorg.faults import CRASH_EXIT, DEPLOY_STAGES
from sfenv.localorg.mdapi.jobs import jobs_of
from sfenv.localorg.rest.deploy_requests import rows as deploy_requests
from sfenv.localorg.server import LocalOrgServer

from .md_support import Client_, folder_files, make_org, package, xml

REPO = Path(__file__).resolve().parents[2]
CLASS_META_60 = xml("ApexClass", "    <apiVersion>60.0</apiVersion>\n    <status>Active</status>")
NEW = {
    "classes/Foo.cls": b"public class Foo {\n    public static Integer two() { return 22; }\n}\n",
    "classes/Foo.cls-meta.xml": CLASS_META_60,
    "classes/Bar.cls": b"public class Bar {}\n",
    "classes/Bar.cls-meta.xml": CLASS_META_60,
    "classes/Baz.cls": b"public class Baz {}\n",
    "classes/Baz.cls-meta.xml": CLASS_META_60,
}
PACKAGE = {"package.xml": package({"ApexClass": ["Foo", "Bar", "Baz"]}), **NEW}

CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from sfenv.localorg.mdapi.commit import recover
    from sfenv.localorg.state import OrgState
    from tests.localorg.md_support import Client_
    from tests.localorg.test_deploy_kill import PACKAGE

    org = OrgState.open(Path(sys.argv[1]))
    recover(org)
    org.faults.crash_at = sys.argv[2]
    client = Client_(org)
    job_id = client.deploy(PACKAGE)
    print(json.dumps({"id": job_id}), flush=True)
    for _ in range(10):
        if client.check_deploy(job_id).done:
            break
    print(json.dumps({"done": True}), flush=True)
""")


def run_child(data_dir: Path, stage: str) -> tuple[int, list[dict]]:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(data_dir), stage], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, lines


def restarted(data_dir: Path) -> LocalOrgServer:
    server = LocalOrgServer(data_dir, https=False)
    server._httpd.server_close()   # only its org is read here
    return server


def classes(data_dir: Path) -> dict[str, bytes]:
    return {p: d for p, d in folder_files(data_dir).items() if p.startswith("classes/")}


# Where the kill lands, and whether the restarted org has the package (whole) or not at all.
EXPECTED = {"received": False, "validating": False, "committing": False,
            "deploying": True, "replying": True}


def test_every_stage_is_covered():
    assert tuple(EXPECTED) == DEPLOY_STAGES


@pytest.mark.parametrize("stage", DEPLOY_STAGES)
def test_a_deploy_killed_at_each_stage_is_whole_or_absent_and_deploy_request_says_which(
        tmp_path, stage):
    data_dir = tmp_path / "org"
    make_org(data_dir)
    before = classes(data_dir)
    code, lines = run_child(data_dir, stage)
    assert code == CRASH_EXIT, f"the org was not stopped at {stage}: {code} {lines}"
    job_id = lines[0]["id"] if lines else None

    server = restarted(data_dir)
    after = classes(data_dir)
    [row] = [r for r in deploy_requests(server.org) if not r["CheckOnly"]]
    if stage != "received":   # killed before its answer: the client never learned the id
        assert row["Id"] == job_id
    if EXPECTED[stage]:
        assert row["Status"] == "Succeeded"
        assert after == {**before, **NEW}
        assert server.org.component_props("ApexClass:Baz") is not None
    else:
        assert row["Status"] == "Failed"
        assert after == before, "half a package was left in the org"
        [entry] = jobs_of(server.org).history()
        assert entry["components"] == [] and "no component was deployed" in entry["failures"][0]
    # nothing left to settle: the org folder holds no journal and a second restart agrees
    assert not any((data_dir / ".localorg" / "journal").iterdir())
    assert deploy_requests(restarted(data_dir).org) == deploy_requests(server.org)


def test_the_deploy_after_a_kill_lands_once(tmp_path):
    """The rerun a client makes after seeing Failed: one more deploy, applied once."""
    data_dir = tmp_path / "org"
    make_org(data_dir)
    run_child(data_dir, "committing")
    server = restarted(data_dir)
    result = Client_(server.org).deploy_done(PACKAGE)
    assert result.success
    statuses = [r["Status"] for r in deploy_requests(server.org)]
    assert statuses == ["Failed", "Succeeded"]
    creations = [row for row in server.org.audit_trail() if "Baz" in json.dumps(row)]
    assert len(creations) == 1, creations


def test_the_job_listing_gives_every_accepted_job_in_order(tmp_path):
    org = make_org(tmp_path / "org")
    client = Client_(org)
    first = client.deploy(PACKAGE)
    second = client.deploy(PACKAGE, checkOnly=True)
    retrieve = client.retrieve({"ApexClass": ["Foo"]})
    jobs = jobs_of(org)
    assert [j.id for j in jobs.listing()] == [first, second, retrieve]
    assert [j.id for j in jobs.listing("deploy")] == [first, second]
    assert [(r["Id"], r["Status"], r["CheckOnly"]) for r in deploy_requests(org)] == [
        (first, "Pending", False), (second, "Pending", True)]
    assert jobs.forget(first[:15]) and jobs.listing("deploy")[0].id == second
