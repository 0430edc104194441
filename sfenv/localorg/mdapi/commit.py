"""A deploy lands whole or not at all, whenever the org process stops (issue 23).

Salesforce never leaves half a package in an org, and its DeployRequest rows say what became
of every deploy it accepted. The local org keeps both promises across a kill:

1. **Accepted**: `deploy` writes `.localorg/journal/<id>.accepted` (who, when, check-only)
   before it answers, so a restarted org still knows the deploy existed.
2. **Staged**: the plan's new files go to `.localorg/journal/<id>/` with `plan.json` (where
   each goes, what to delete, the history entry). Nothing in the org has changed yet.
3. **Committed**: the component dates, audit rows and the deploy's id in `applied_deploys`
   are saved in one atomic write of state.json (temp file + rename). That write is the
   commit point.
4. **Applied**: the staged files are moved into place (`os.replace`, each atomic), deletes
   done, the history entry written, the journal removed.

`recover(org)` runs when an org opens its data folder: a committed journal is finished (steps
4), an uncommitted one is dropped, and an accepted deploy that never completed is recorded as
Failed with nothing deployed; DeployRequest then reports each one truthfully.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sfenv.core.metadata.ids import ComponentId
from sfenv.localorg.mdapi.audit import audit_deploy
from sfenv.localorg.mdapi.deploy import DeployOptions, DeployPlan, Success, delete_and_prune
from sfenv.localorg.mdapi.jobs import HistoryEntry, Job, jobs_of
from sfenv.localorg.mdapi.validate import Failure
from sfenv.localorg.state import OrgState, User, sf_now

JOURNAL = "journal"
PLAN_FILE = "plan.json"
INTERRUPTED = ("UNKNOWN_EXCEPTION: the org stopped before this deploy finished; "
               "no component was deployed")


def journal_dir(org: OrgState) -> Path:
    return Path(org.data_dir) / ".localorg" / JOURNAL


def _write_atomic(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all (temp file, fsync, rename)."""
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}.{threading.get_ident()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def note_accepted(org: OrgState, job: Job, opts: DeployOptions) -> None:
    """Step 1: the org accepted `job`; kept until its history entry is written."""
    folder = journal_dir(org)
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / f"{job.id}.accepted", json.dumps({
        "id": job.id, "check_only": opts.check_only, "created_by_name": job.user_name,
        "created_date": job.created_date, "test_level": opts.test_level,
        "validation_id": job.validation_of}).encode())


def history_entry(job: Job, plan: DeployPlan, opts: DeployOptions) -> HistoryEntry:
    return HistoryEntry(
        id=job.id, check_only=opts.check_only, status=job.status,
        created_by_name=job.user_name, created_date=job.created_date,
        completed_date=sf_now(), test_level=opts.test_level,
        components=[str(s_.component) for s_ in plan.successes],
        failures=[f"{f.component}: {f.problem}" for f in plan.failures],
        validation_id=job.validation_of,
    )


def finish_unapplied(org: OrgState, job: Job, plan: DeployPlan, opts: DeployOptions) -> None:
    """A validation or a failed deploy: nothing to apply, only its history entry."""
    jobs_of(org).record(history_entry(job, plan, opts))
    (journal_dir(org) / f"{job.id}.accepted").unlink(missing_ok=True)


def commit(org: OrgState, job: Job, plan: DeployPlan, opts: DeployOptions, user: User) -> None:
    """Steps 2-4 for a successful, not check-only deploy. Call with the org lock held."""
    faults = org.faults
    folder = journal_dir(org) / job.id
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    writes = []
    for i, (path, data) in enumerate(sorted(plan.writes.items())):
        _write_atomic(folder / f"{i}.new", data)
        writes.append([f"{i}.new", path])
    entry = history_entry(job, plan, opts)
    _write_atomic(folder / PLAN_FILE, json.dumps(
        {"writes": writes, "deletes": sorted(plan.deletes), "history": asdict(entry)}).encode())
    faults.crash_point("committing")
    org.touch_components(plan.touched(), user)
    org.forget_components(plan.removed(), user)
    audit_deploy(org, plan, user)
    org.mark_deploy_applied(job.id)
    org.save()                       # the commit point
    _apply(org, folder, between=lambda: faults.crash_point("deploying"))


def _apply(org: OrgState, folder: Path, between: Any = None) -> None:
    """Step 4 from a committed journal (again after a restart: every step may repeat)."""
    plan = json.loads((folder / PLAN_FILE).read_text("utf-8"))
    root = Path(org.metadata_dir)
    for n, (staged, path) in enumerate(plan["writes"]):
        source, dest = folder / staged, root / path
        if source.exists():          # moved already if an earlier run got this far
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, dest)
        if n == 0 and between is not None:
            between()
    delete_and_prune(root, list(plan["deletes"]))
    org.content_generation += 1
    jobs_of(org).record(HistoryEntry(**plan["history"]))
    (folder.parent / f"{folder.name}.accepted").unlink(missing_ok=True)
    shutil.rmtree(folder)


def recover(org: OrgState) -> list[str]:
    """Settle what a stopped org left in its journal; the ids settled, for the log."""
    folder = journal_dir(org)
    if not folder.is_dir():
        return []
    settled = []
    with org.lock:
        for staged in sorted(p for p in folder.iterdir() if p.is_dir()):
            if (staged / PLAN_FILE).exists() and org.deploy_applied(staged.name):
                _apply(org, staged)
            else:
                shutil.rmtree(staged)
            settled.append(staged.name)
        recorded = {row.get("id") for row in jobs_of(org).history()}
        for accepted in sorted(folder.glob("*.accepted")):
            raw = json.loads(accepted.read_text("utf-8"))
            if raw["id"] not in recorded:
                jobs_of(org).record(HistoryEntry(
                    id=raw["id"], check_only=bool(raw.get("check_only")), status="Failed",
                    created_by_name=raw.get("created_by_name") or "",
                    created_date=raw.get("created_date") or sf_now(), completed_date=sf_now(),
                    test_level=raw.get("test_level"), failures=[INTERRUPTED],
                    validation_id=raw.get("validation_id")))
                settled.append(raw["id"])
            accepted.unlink()
        for leftover in folder.glob("*.tmp*"):
            leftover.unlink(missing_ok=True)
    return sorted(set(settled))


def job_from_history(org: OrgState, job_id: str) -> Job | None:
    """A deploy the org completed before it restarted, as a finished job, so its status call
    still answers (Salesforce keeps deploy results; only this org's memory was lost)."""
    jobs = jobs_of(org)
    if jobs.seen(job_id):   # this process held it and let it expire: stays unknown
        return None
    row = next((r for r in jobs.history()
                if r.get("id") == job_id or (len(job_id) == 15 and str(r.get("id"))[:15] == job_id)),
               None)
    if row is None:
        return None
    user = org.user_by_name(row.get("created_by_name") or "") or org.admin
    plan = DeployPlan(successes=[Success(ComponentId.parse(c), "") for c in row.get("components", [])])
    for failure in row.get("failures") or []:
        cid, sep, problem = failure.partition(": ")
        if failure == INTERRUPTED or not sep or ":" not in cid:
            plan.error_message = failure
        else:
            plan.failures.append(Failure(ComponentId.parse(cid), "", problem))
    opts = DeployOptions(check_only=bool(row.get("check_only")), test_level=row.get("test_level"))
    job = Job(row["id"], "deploy", (b"", opts), user.id, row.get("created_by_name") or user.name,
              row.get("created_date") or "", status=row.get("status") or "Failed", result=plan,
              start_date=row.get("created_date"), completed_date=row.get("completed_date"),
              validation_of=row.get("validation_id"))
    return jobs.add(job)
