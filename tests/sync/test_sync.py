"""`sfenv sync`: jobs sharing one metadata repository never lose each other's updates.

Each job is its own clone of the metadata repository (as each CI job is); the shared remote is a
local bare repository. What jobs write is written with the same store and record functions as
pulls and promotions write (snapshots on their env refs, backup tags, release log entries,
checklist ticks).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfenv.cli import main as cli
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.records.checklist_state import replay
from sfenv.services.records.release_log import append, read_log
from sfenv.services.sync.service import RELEASES_REF, SUPERSEDED, sync
from sfenv.services.train.model import LogEntry

ROOT = Path(__file__).resolve().parents[2]


def _git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}).stdout.strip()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "shared.git"
    _git("init", "--quiet", "--bare", str(bare))
    return bare


def _job(tmp_path: Path, remote: Path, name: str) -> SnapshotStore:
    store = SnapshotStore(tmp_path / name)
    _git("remote", "add", "origin", str(remote), cwd=store.repo_dir)
    return store


def _snapshot(store: SnapshotStore, env: str, text: str) -> str:
    return store.write_snapshot(env, {"classes/A.cls": text.encode()}, {"components": 1},
                                expected_old=store.head(env))


def _entry(env: str, started: str, result: str = "deployed") -> LogEntry:
    return LogEntry(action="promote", env=env, result=result, user="ci", started=started,
                    finished=started if result == "deployed" else "")


def _remote_refs(remote: Path) -> dict[str, str]:
    out = _git("--git-dir", str(remote), "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ", 1) for line in out.splitlines() if line)


def test_jobs_of_two_environments_both_land_and_see_each_other(tmp_path, remote):
    a, b = _job(tmp_path, remote, "a"), _job(tmp_path, remote, "b")
    dev = _snapshot(a, "dev", "dev 1")
    qa = _snapshot(b, "qa", "qa 1")
    sync(a.git, "origin", replay)
    sync(b.git, "origin", replay)
    assert _remote_refs(remote)["refs/heads/sfenv/dev"] == dev
    assert _remote_refs(remote)["refs/heads/sfenv/qa"] == qa
    sync(a.git, "origin", replay)
    assert a.head("qa") == qa  # a sees b's snapshot after its next sync


def test_release_record_written_by_two_jobs_is_merged_not_overwritten(tmp_path, remote):
    a, b = _job(tmp_path, remote, "a"), _job(tmp_path, remote, "b")
    append(a, "R1", _entry("qa", "2026-12-01T10:00:00+00:00"))
    sync(a.git, "origin", replay)
    sync(b.git, "origin", replay)  # b starts from the same record
    append(a, "R1", _entry("uat", "2026-12-01T11:00:00+00:00"))
    append(b, "R1", _entry("prod", "2026-12-01T11:30:00+00:00"))
    sync(a.git, "origin", replay)
    result = sync(b.git, "origin", replay)
    assert [o.action for o in result.outcomes if o.ref == RELEASES_REF] == ["merged"]
    sync(a.git, "origin", replay)
    for store in (a, b):
        assert [e.env for e in read_log(store, "R1")] == ["qa", "uat", "prod"]


def test_a_finished_entry_wins_over_the_intent_the_other_job_saw(tmp_path, remote):
    a, b = _job(tmp_path, remote, "a"), _job(tmp_path, remote, "b")
    started = "2026-12-01T10:00:00+00:00"
    append(a, "R1", _entry("qa", started, result="in_progress"))
    sync(a.git, "origin", replay)
    sync(b.git, "origin", replay)
    append(a, "R1", _entry("qa", started))  # a's promotion finished
    append(b, "R1", _entry("prod", "2026-12-01T12:00:00+00:00"))
    sync(a.git, "origin", replay)
    sync(b.git, "origin", replay)
    assert [(e.env, e.result) for e in read_log(b, "R1")] == [("qa", "deployed"),
                                                              ("prod", "deployed")]


def test_two_snapshots_of_one_environment_keep_the_later_and_lose_neither(tmp_path, remote):
    a, b = _job(tmp_path, remote, "a"), _job(tmp_path, remote, "b")
    older = _snapshot(a, "prod", "prod by a")
    env = {"GIT_COMMITTER_DATE": "2090-01-01 00:00:00 +0000"}
    b.git.base_env.update(env)  # b's pull is the later one
    newer = _snapshot(b, "prod", "prod by b")
    sync(a.git, "origin", replay)
    result = sync(b.git, "origin", replay)
    assert [o.action for o in result.outcomes if o.ref == "refs/heads/sfenv/prod"] == \
        ["kept-local"]
    refs = _remote_refs(remote)
    assert refs["refs/heads/sfenv/prod"] == newer
    assert older in {sha for ref, sha in refs.items() if ref.startswith(SUPERSEDED)}
    sync(a.git, "origin", replay)  # a learns it lost the race: its snapshot is kept, not moved
    assert a.head("prod") == newer
    assert any(sha == older for ref, sha in _remote_refs(remote).items()
               if ref.startswith(SUPERSEDED))


def test_a_tag_that_differs_is_a_conflict_and_never_moves(tmp_path, remote):
    a, b = _job(tmp_path, remote, "a"), _job(tmp_path, remote, "b")
    one, two = _snapshot(a, "prod", "one"), _snapshot(b, "prod", "two")
    a.tag("backup/prod/x", one, "backup")
    b.tag("backup/prod/x", two, "backup")
    sync(a.git, "origin", replay)
    before = _remote_refs(remote)["refs/tags/backup/prod/x"]
    result = sync(b.git, "origin", replay)
    assert [o.ref for o in result.conflicts] == ["refs/tags/backup/prod/x"]
    assert _remote_refs(remote)["refs/tags/backup/prod/x"] == before


def test_cli_names_a_missing_remote_with_the_command_to_add_it(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "sfenv.yml").write_text(textwrap.dedent("""\
        project: acme
        api_version: "62.0"
        environments:
          dev: {auth: access_token, access_token_env: X, instance_url: "https://dev.example"}
        path: [dev]
        """))
    SnapshotStore(project)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["sync", "--remote", "shared"])
    assert result.exit_code == 2, result.output
    assert "no remote named 'shared'" in result.output
    assert "git remote add shared URL" in result.output


JOB = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from sfenv.services.records.checklist_state import replay
    from sfenv.services.records.release_log import append
    from sfenv.services.train.model import LogEntry
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.sync.service import sync

    store = SnapshotStore({repo!r})
    job, env = {job}, {env!r}
    for round_ in range({rounds}):
        store.write_snapshot(env, {{"classes/A.cls": f"{{job}}-{{round_}}".encode()}},
                             {{"components": 1}}, expected_old=store.head(env))
        store.tag(f"backup/{{env}}/job{{job}}-{{round_}}", store.head(env), "backup")
        append(store, "R1", LogEntry(action="promote", env=f"{{env}}-job{{job}}", result="deployed",
                                     user="ci", started=f"2026-12-01T10:{{job:02d}}:{{round_:02d}}",
                                     finished="x"))
        sync(store.git, "origin", replay, attempts=60)
""")


def test_eight_jobs_in_parallel_lose_nothing(tmp_path, remote):
    """8 processes, 4 environments (two jobs each: same-environment races too), 2 rounds of
    snapshot + backup tag + release log entry + sync each, all interleaved."""
    jobs, rounds = 8, 2
    stores = [_job(tmp_path, remote, f"job{i}") for i in range(jobs)]
    procs = [subprocess.Popen([sys.executable, "-c", JOB.format(
        root=str(ROOT), repo=str(s.repo_dir), job=i, env=f"env{i % 4}", rounds=rounds)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i, s in enumerate(stores)]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()[-2000:]
    for store in stores:  # a last sync each, as the next scheduled run would do
        sync(store.git, "origin", replay)
    refs = _remote_refs(remote)
    # Every release log entry of every job is in the shared record.
    shared = _job(tmp_path, remote, "reader")
    sync(shared.git, "origin", replay)
    entries = read_log(shared, "R1")
    assert len(entries) == jobs * rounds
    assert len({(e.env, e.started) for e in entries}) == jobs * rounds
    # Every backup tag, and every snapshot a job made, is on the remote.
    assert {r for r in refs if r.startswith("refs/tags/backup/")} == {
        f"refs/tags/backup/env{i % 4}/job{i}-{r}" for i in range(jobs) for r in range(rounds)}
    reachable = set(_git("--git-dir", str(remote), "rev-list", "--all").split())
    for store in stores:
        for env in {f"env{i % 4}" for i in range(jobs)}:
            for line in (_git("log", "--format=%H", f"refs/heads/sfenv/{env}", cwd=store.repo_dir)
                         .split() if store.head(env) else []):
                assert line in reachable
    # Every environment's ref on the remote is one of its jobs' snapshots.
    for env in range(4):
        tip = refs[f"refs/heads/sfenv/env{env}"]
        text = _git("--git-dir", str(remote), "show", f"{tip}:classes/A.cls")
        assert text.split("-")[0] in {str(env), str(env + 4)}
    assert json.loads(_git("--git-dir", str(remote), "show",
                           f"{RELEASES_REF}:releases/R1/log.json"))
