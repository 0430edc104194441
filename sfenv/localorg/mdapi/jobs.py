"""Asynchronous retrieve and deploy requests of one org, and its deploy history.

Salesforce runs retrieves and deploys in the background; clients poll. Here a job does its
work on the poll that finishes it: the first status check says InProgress (done=false), the
`polls_to_finish`-th check runs the job and reports the final state. Jobs live in memory (an
org restart forgets them, like expired async requests); the deploy history is saved in
`<data_dir>/.localorg/deploys.json`.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sfenv.localorg.state.ids import id18

HISTORY_FILE = "deploys.json"
HISTORY_LIMIT = 200
POLLS_TO_FINISH = 2
ATTR = "_metadata_jobs"


@dataclass
class Job:
    id: str
    kind: str                       # "retrieve" | "deploy"
    request: Any                    # retrieve: dict of params; deploy: (zip bytes, DeployOptions)
    user_id: str
    user_name: str
    created_date: str
    polls: int = 0
    status: str = "Pending"         # Pending, InProgress, Succeeded, SucceededPartial, Failed, Canceled
    result: Any = None              # RetrieveOutcome | DeployPlan
    start_date: str | None = None
    completed_date: str | None = None
    canceled_by: tuple[str, str] | None = None
    validation_of: str | None = None     # quick deploy: the validation it deploys
    quick_deployed: bool = False         # a validation already used


@dataclass
class HistoryEntry:
    id: str
    check_only: bool
    status: str
    created_by_name: str
    created_date: str
    completed_date: str | None
    test_level: str | None
    components: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    validation_id: str | None = None


class MetadataJobs:
    """The org's async jobs (thread-safe) and persisted deploy history."""

    def __init__(self, state_dir: Path) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._seen: set[str] = set()     # every id added since the process started (15 chars)
        self._serial = 0
        self.state_dir = state_dir
        self.polls_to_finish = POLLS_TO_FINISH

    def new_id(self, prefix: str) -> str:
        with self._lock:
            self._serial += 1
            serial = self._serial
        # 09S: AsyncRequest (retrieve), 0Af: DeployRequest. Unique per org process start.
        stamp = int.from_bytes(os.urandom(3), "big")
        return id18(f"{prefix}5g{stamp:04x}"[:9].ljust(9, "0") + f"{serial:06d}")

    def add(self, job: Job) -> Job:
        with self._lock:
            self._jobs[job.id] = job
            self._seen.add(job.id[:15])
        return job

    def seen(self, job_id: str) -> bool:
        """Whether this process has held job `job_id` (a forgotten one stays seen: expired)."""
        with self._lock:
            return job_id[:15] in self._seen

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id) or self._jobs.get(_key15(job_id, self._jobs))

    def listing(self, kind: str | None = None) -> list[Job]:
        """The jobs accepted since the org started (of `kind` if given), in the order the org
        accepted them: a copy of the table, so callers never iterate it under its lock."""
        with self._lock:
            return [j for j in self._jobs.values() if kind is None or j.kind == kind]

    def forget(self, job_id: str) -> bool:
        """Drop job `job_id` as an expired async request is dropped (its status call then
        answers INVALID_ID_FIELD); the deploy history keeps what it did. False if unknown."""
        with self._lock:
            return self._jobs.pop(_key15(job_id, self._jobs), None) is not None

    # --- history --------------------------------------------------------------------------
    @property
    def history_path(self) -> Path:
        return self.state_dir / HISTORY_FILE

    def history(self) -> list[dict]:
        try:
            return json.loads(self.history_path.read_text("utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return []

    def record(self, entry: HistoryEntry) -> None:
        rows = [r for r in self.history() if r.get("id") != entry.id]
        rows.insert(0, asdict(entry))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.history_path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps(rows[:HISTORY_LIMIT], indent=1) + "\n", "utf-8")
        os.replace(tmp, self.history_path)


def _key15(job_id: str, jobs: dict[str, Job]) -> str:
    """Accept 15-char ids for 18-char jobs, as Salesforce does."""
    if len(job_id) == 15:
        return next((k for k in jobs if k[:15] == job_id), job_id)
    return job_id


def jobs_of(org) -> MetadataJobs:
    """The org's job table, created on first use (kept on the OrgState object)."""
    with org.lock:
        jobs = getattr(org, ATTR, None)
        if jobs is None:
            jobs = MetadataJobs(Path(org.data_dir) / ".localorg")
            setattr(org, ATTR, jobs)
        return jobs
