"""The Tooling API's DeployRequest object: one row per deploy (and validation) the org
accepted, so a client whose submit lost its answer can ask which deploys exist
(`SELECT Id, Status, CheckOnly, CreatedDate, CreatedBy.Username FROM DeployRequest WHERE
CreatedDate >= ...`) instead of submitting again.

Rows come from the Metadata API's job table (jobs accepted since the org started, whatever
their state: an accepted deploy that nobody polled yet is `Pending`) and from the saved deploy
history (completed deploys from before a restart).
"""

from __future__ import annotations

from typing import Any

from sfenv.localorg.mdapi.jobs import Job, jobs_of
from sfenv.localorg.rest import soql

DEPLOY_REQUEST = soql.SObject("DeployRequest", {
    "Id": "id", "Status": "string", "CheckOnly": "boolean", "CreatedDate": "datetime",
    "CreatedById": "id", "StartDate": "datetime", "CompletedDate": "datetime",
    "LastModifiedDate": "datetime",
}, {"CreatedBy": ("User", "CreatedById")})


def _job_row(job: Job) -> dict[str, Any]:
    _zip, opts = job.request
    return {"Id": job.id, "Status": job.status, "CheckOnly": bool(opts.check_only),
            "CreatedDate": job.created_date, "CreatedById": job.user_id,
            "StartDate": job.start_date, "CompletedDate": job.completed_date,
            "LastModifiedDate": job.completed_date or job.start_date or job.created_date}


def rows(org: Any) -> list[dict[str, Any]]:
    """Every deploy request the org knows, oldest first."""
    jobs = jobs_of(org)
    out = {j.id: _job_row(j) for j in jobs.listing("deploy")}
    for row in jobs.history():
        if row.get("id") in out:
            continue
        user = org.user_by_name(row.get("created_by_name") or "")
        out[row["id"]] = {
            "Id": row["id"], "Status": row.get("status"), "CheckOnly": bool(row.get("check_only")),
            "CreatedDate": row.get("created_date"), "CreatedById": user.id if user else None,
            "StartDate": row.get("created_date"), "CompletedDate": row.get("completed_date"),
            "LastModifiedDate": row.get("completed_date") or row.get("created_date")}
    return sorted(out.values(), key=lambda r: str(r.get("CreatedDate") or ""))


def with_deploy_requests(db: soql.Database, org: Any) -> soql.Database:
    """The Tooling API's tables plus DeployRequest."""
    return soql.Database({**db.schemas, "DeployRequest": DEPLOY_REQUEST},
                         {**db.rows, "DeployRequest": rows(org)})
