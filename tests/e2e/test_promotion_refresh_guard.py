"""A refresh re-baselines every hop of the refreshed environment (issue 22 item 4): the old
sync points no longer say what is in sync, and a train from the refreshed sandbox never
deletes, without a name, what production has that the refresh did not bring."""

from __future__ import annotations

import json

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.seeds import ENV_VALUES
from tests.projects import copied_project, prepare_project

SEEDS = {"dev": "acme-dev", "qa": "acme-qa", "prod": "acme-prod", "spare": "acme-qa"}
NEW_FIELD = "CustomField:Account.Customer_Since__c"


def point_qa_at_spare(p) -> None:
    """qa's block in sfenv.yml names the `spare` org from now on (a refresh replaced qa)."""
    qa, spare = p.orgs["qa"], p.orgs["spare"]
    text = p.config_path.read_text()
    for old, new in ((qa.instance_url, spare.instance_url), (qa.username, spare.username),
                     ("SFENV_TEST_QA_PW", "SFENV_TEST_SPARE_PW")):
        text = text.replace(old, new)
    if qa.ca_file:
        text = text.replace(str(qa.ca_file), str(spare.ca_file))
    p.config_path.write_text(text)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """R1 promoted dev → qa → prod; then qa is refreshed (its block points at `spare`, a
    sandbox as qa was before R1, pulled with --new-org). Once per module, the orgs stopped."""
    def promote_and_refresh(p) -> None:
        for env in ("dev", "qa", "prod"):
            p.ok("pull", env, "--quiet")
        p.ok("release", "build", "R1")
        p.ok("release", "promote", "R1", "--to", "qa")
        p.ok("release", "promote", "R1", "--to", "prod", "--yes")
        point_qa_at_spare(p)
        p.ok("pull", "qa", "--new-org", "--quiet")

    values = {env: ENV_VALUES[seed] for env, seed in SEEDS.items()}
    with pytest.MonkeyPatch.context() as mp:
        for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            mp.delenv(var, raising=False)
        return prepare_project(tmp_path_factory.mktemp("refreshed"), SEEDS, promote_and_refresh,
                               values=values, path=["dev", "qa", "prod"])


@pytest.fixture
def refreshed(prepared, tmp_path, monkeypatch):
    """A copy of `prepared`, its sfenv.yml written for the copied orgs' ports (qa's block
    again names `spare`)."""
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    with copied_project(prepared, tmp_path, monkeypatch) as p:
        point_qa_at_spare(p)
        yield p


def test_status_drops_the_old_base_and_says_so_once(refreshed):
    doc = json.loads(refreshed.ok("status", "--json").stdout)
    [hop] = [h for h in doc["hops"] if (h["source"], h["target"]) == ("qa", "prod")]
    assert hop["note"].startswith("re-baselined after the refresh of qa on "), hop["note"]
    entries = {e["component"]: e for e in hop["entries"]}
    # production's field came with R1, after sfenv first saw prod: prod's own, not pending
    assert entries[NEW_FIELD]["status"] == "drift", entries[NEW_FIELD]


def test_a_train_from_the_refreshed_sandbox_never_deletes_prods_newer_component_unnamed(
        refreshed):
    plan = refreshed.cli("release", "plan", "R2", "--from", "qa", "--to", "prod")
    assert f"would delete prod's newer component {NEW_FIELD}" in plan.output, plan.output
    built = refreshed.cli("release", "build", "R2", "--from", "qa", "--to", "prod")
    assert built.exit_code == 0, built.output
    assert f"would delete prod's newer component {NEW_FIELD}" in built.output
    refused = refreshed.cli("release", "promote", "R2", "--to", "prod", "--yes")
    assert refused.exit_code == 1, refused.output
    assert f"conflict: {NEW_FIELD}" in refused.output
    assert "would delete the target's newer component" in refused.output
    refreshed.ok("pull", "prod", "--quiet")
    store = SnapshotStore(refreshed.root)
    assert b"Customer_Since__c" in store.read_file(store.head("prod"), "objects/Account.object")
