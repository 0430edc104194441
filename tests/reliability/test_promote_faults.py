"""Faults the local org injects at every phase of a promotion and a rollback (issue 13).

A promotion of a one-class train to a tiny qa org makes, after the login, ~16 listMetadata
calls and 4 REST queries (the backup), the validation (deploy + status polls), the quick
deploy (submit + polls), then the verification pull (~25 calls). A request limit of N lets
N API calls through, so the values below put the limit in each phase. Every case ends
refused-and-untouched (exit 3, qa as it was, no deploy) or, once a deploy was accepted,
with that deploy logged and resumable; the same command afterwards finishes the promotion,
with the record complete: every deploy qa ran has its log entry, nothing left in progress.
"""

from __future__ import annotations

import pytest

from sfenv.services.promote import promote as promote_mod
from sfenv.services.records import release_log as release_log
from tests.reliability.kit import error_line
from tests.reliability.promote_kit import Path2, finished_deployed, record_complete, snap, two_orgs

# API calls allowed before REQUEST_LIMIT_EXCEEDED. A clean promotion of the kit's train to qa
# makes, in order (logins are not API calls): SourceMember query 1 (INVALID_TYPE: qa does not
# track), describe 2, listMetadata 3-18, REST 19-22 (backup); deploy 23, status 24-25,
# listMetadata 26 (the re-check of the carried class before the deploy call, new with
# wave3c/steps), deployRecentValidation 27, status 28-29; SourceMember query 30, describe 31,
# listMetadata 32-47, retrieve 48, status 49-50, REST 51-54 (verification pull). Recount with
# a probe on FaultInjector.decide (or OrgClient._call) when the pull's calls change.
LIMIT_PHASES = {"backup-listing": 4, "backup-rest": 18, "validate": 22, "validate-poll": 23,
                "recheck": 25, "quick-deploy-submit": 26, "quick-deploy-poll": 27,
                "verify-listing": 35, "verify-retrieve": 47, "verify-rest": 50}
BEFORE_DEPLOY = {"backup-listing", "backup-rest", "validate", "validate-poll", "recheck",
                 "quick-deploy-submit"}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    yield from two_orgs(tmp_path_factory.mktemp("relpromote"))


def finish_again(p: Path2, train: str, value: str, deploys_before: int) -> None:
    """With the faults gone, the same command completes; exactly one deploy in all."""
    p.reset_faults()
    again = p.cli("release", "promote", train, "--to", "qa")
    assert again.exit_code == 0, again.output
    finished_deployed(p, train, value)
    assert len(p.deploys("qa")) == deploys_before + 1, "a deploy was submitted twice"


@pytest.mark.parametrize("phase", list(LIMIT_PHASES))
def test_request_limit_in_each_phase_of_a_promotion(path2, phase):
    train, value = path2.new_train()
    before = snap(path2)
    path2.orgs["qa"].faults.configure(request_limit=LIMIT_PHASES[phase])
    result = path2.cli("release", "promote", train, "--to", "qa")
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "REQUEST_LIMIT_EXCEEDED" in result.output
    entries = [e for e in path2.log(train) if e["env"] == "qa"]
    if phase.startswith("backup"):
        error_line(result)  # refused before anything was recorded: one line on stderr
        assert entries == [] and snap(path2).tags == before.tags
    else:
        assert "Result:" in result.stdout
        assert entries[-1]["result"] != "in_progress"
    if phase in BEFORE_DEPLOY:
        assert path2.value_in_org("qa") == before.value and len(path2.deploys("qa")) == \
            before.deploys, "qa changed although no deploy was accepted"
    else:  # accepted: the log names the deploy before its outcome is known
        assert entries[-1]["deploy_ids"], entries[-1]
        assert entries[-1]["result"] in ("deploy_unknown", "unverified")
        assert "run the same `sfenv release promote" in result.stdout
    record_complete(path2)
    finish_again(path2, train, value, before.deploys)


@pytest.mark.parametrize("kinds", [("soap_login",), ("soap",), ("rest",)],
                         ids=["login", "metadata-api", "rest"])
def test_5xx_storm_during_a_promotion_completes_or_resumes(path2, kinds):
    train, value = path2.new_train()
    before = snap(path2)
    path2.orgs["qa"].faults.configure(error_rate=0.25, error_kinds=kinds, seed=3,
                                      error_statuses=(500, 503))
    result = path2.cli("release", "promote", train, "--to", "qa")
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        finished_deployed(path2, train, value)
        assert len(path2.deploys("qa")) == before.deploys + 1
    else:
        assert result.exit_code == 3, result.output
        record_complete(path2)
        finish_again(path2, train, value, before.deploys)


def test_session_expiry_during_a_promotion_logs_in_again_and_completes(path2):
    train, value = path2.new_train()
    before = snap(path2)
    path2.orgs["qa"].faults.configure(session_expiry_after=15)
    result = path2.cli("release", "promote", train, "--to", "qa")
    assert result.exit_code == 0, result.output
    assert path2.orgs["qa"].faults.counters.get("sessions_expired", 0) >= 2
    finished_deployed(path2, train, value)
    assert len(path2.deploys("qa")) == before.deploys + 1


def test_a_component_failure_at_validation_deploys_nothing_and_is_logged(path2):
    train, value = path2.new_train()
    before = snap(path2)
    path2.orgs["qa"].faults.configure(deploy_failures={"ApexClass:C0": "Injected: bad class"})
    result = path2.cli("release", "promote", train, "--to", "qa")
    assert result.exit_code == 3, result.output
    assert "Injected: bad class" in result.output
    assert [e["result"] for e in path2.log(train)][-1] == "validation_failed"
    assert path2.value_in_org("qa") == before.value
    assert len(path2.deploys("qa")) == before.deploys
    finish_again(path2, train, value, before.deploys)


def test_a_fault_in_the_guard_refuses_before_validation_and_leaves_no_backup_tag(
        path2, monkeypatch):
    """A stand-in for a guard that finds a conflict: refused, exit 1, nothing validated and no
    backup tag left behind (issue 11), the log entry says refused."""
    from sfenv.services.promote.guard import Conflict, GuardOutcome

    train, value = path2.new_train()
    before = snap(path2)
    fake = Conflict(component="ApexClass:C0", kind="changed", changed_by="Hand User",
                    changed_on="2026-01-01", elements=[])
    monkeypatch.setattr(promote_mod, "_guard",
                        lambda *a, **k: GuardOutcome(found=[fake], blocking=[fake]))
    result = path2.cli("release", "promote", train, "--to", "qa")
    assert result.exit_code == 1, result.output
    entry = path2.log(train)[-1]
    assert (entry["result"], entry["validation_id"], entry["backup_tag"]) == ("refused", "", "")
    assert entry["backup_commit"]
    assert snap(path2).tags == before.tags, "a refused promotion left a backup tag"
    assert len(path2.deploys("qa")) == before.deploys
    monkeypatch.undo()
    finish_again(path2, train, value, before.deploys)


def test_the_log_cannot_be_written_after_the_deploy_the_next_run_finishes_the_record(
        path2, monkeypatch):
    """The final log write fails (disk full): the entry committed when the deploy was accepted
    stays, and the next run follows that deploy instead of deploying again."""
    train, value = path2.new_train()
    before = snap(path2)
    real = release_log.append

    def failing(store, train_name, entry, extra=None):
        if entry.result == "deployed":
            raise OSError(28, "No space left on device")
        return real(store, train_name, entry, extra)

    monkeypatch.setattr(release_log, "append", failing)
    with pytest.raises(OSError):
        path2.cli("release", "promote", train, "--to", "qa")
    monkeypatch.undo()
    entry = path2.log(train)[-1]
    assert entry["result"] == "in_progress" and entry["deploy_ids"], entry
    finish_again(path2, train, value, before.deploys)


@pytest.mark.parametrize("phase", ["deploy", "verify"])
def test_faults_in_a_rollback_end_logged_and_a_rerun_rolls_back(path2, phase):
    """A rollback whose deploy was accepted but cannot be followed (the request limit is hit
    on its status polls) ends `deploy_unknown` with its id (the org may still run it); one
    whose verification pull fails ends `unverified`, its deploy on record. Either way the
    next rollback follows that deploy (never a second one), brings qa back to the backup,
    verified, and every deploy has its log entry."""
    train, _ = path2.new_train()
    old = path2.value_in_org("qa")
    path2.ok("release", "promote", train, "--to", "qa")
    deployed = len(path2.deploys("qa"))
    # the rollback pulls qa first (its guard): the limit counts from after that pull
    faults = path2.orgs["qa"].faults
    calls = faults.counters.get("requests.soap", 0) + faults.counters.get("requests.rest", 0)
    path2.ok("pull", "qa", "--quiet")
    pull_calls = (faults.counters.get("requests.soap", 0)
                  + faults.counters.get("requests.rest", 0) - calls)
    faults.configure(request_limit=pull_calls + (1 if phase == "deploy" else 8))
    result = path2.cli("release", "rollback", train, "--env", "qa", "--yes")
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output and "REQUEST_LIMIT_EXCEEDED" in result.output
    entry = path2.log(train)[-1]
    if phase == "deploy":
        assert entry["result"] == "deploy_unknown" and entry["deploy_ids"], entry
        assert len(path2.deploys("qa")) == deployed  # accepted, not run yet (nobody polled)
        assert path2.value_in_org("qa") != old
    else:
        assert entry["result"] == "unverified" and entry["deploy_ids"]
        assert path2.value_in_org("qa") == old
    record_complete(path2)
    path2.reset_faults()
    path2.ok("release", "rollback", train, "--env", "qa", "--yes")
    assert path2.value_in_org("qa") == old
    last = path2.log(train)[-1]
    assert last["result"] == "rolled_back" and last["verification"]["ok"]
    assert last["deploy_ids"] == entry["deploy_ids"]  # followed, not submitted again
    record_complete(path2)
