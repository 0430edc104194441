"""Bulk API 2.0 query jobs over the org's SOQL engine (what `sf data export bulk`,
`sf data query --bulk` and jsforce's `bulk2.query` use):

- `POST /jobs/query` `{"operation": "query"|"queryAll", "query", ...}` creates a job (the
  query is checked first: a bad one is refused with the REST query's error) and runs it;
- `GET /jobs/query/{id}` polls: `UploadComplete` until the first poll, then `JobComplete`
  (a client that polls once sees the finished job, one that aborts first can);
- `GET /jobs/query/{id}/results[?locator=…&maxRecords=n]` returns CSV (every value quoted,
  header `Id`, `CreatedBy.Name`…), `Sforce-Locator` (the next page, `null` at the end) and
  `Sforce-NumberOfRecords` headers;
- `PATCH /jobs/query/{id}` `{"state": "Aborted"}` aborts a job not finished yet;
- `DELETE /jobs/query/{id}` removes a finished or aborted job (204);
- `GET /jobs/query` lists the jobs.

Jobs live in memory, as long as the server runs (Salesforce keeps them 7 days).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from sfenv.localorg.replies import JSON, Reply, json_reply, rest_error
from sfenv.localorg.rest import soql
from sfenv.localorg.state import User
from sfenv.localorg.state.dates import parse_sf_datetime, sf_now
from sfenv.localorg.state.ids import new_id

KEY_PREFIX = "750"
CSV = "text/csv"
DEFAULT_PAGE = 500_000   # rows per results page when the client names no maxRecords
_DELIMITERS = {"COMMA": ",", "TAB": "\t", "SEMICOLON": ";", "PIPE": "|", "CARET": "^",
               "BACKQUOTE": "`"}
_LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}


@dataclass
class QueryJob:
    id: str
    operation: str
    query: str
    sobject: str
    created_by: str
    created_date: str
    api_version: float
    column_delimiter: str = "COMMA"
    line_ending: str = "LF"
    state: str = "UploadComplete"
    modstamp: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    def info(self, *, full: bool) -> dict:
        body = {
            "id": self.id, "operation": self.operation, "object": self.sobject,
            "createdById": self.created_by, "createdDate": _bulk_time(self.created_date),
            "systemModstamp": _bulk_time(self.modstamp or self.created_date),
            "state": self.state, "concurrencyMode": "Parallel", "contentType": "CSV",
            "apiVersion": self.api_version, "lineEnding": self.line_ending,
            "columnDelimiter": self.column_delimiter,
        }
        if full:
            done = self.state == "JobComplete"
            body.update({"numberRecordsProcessed": len(self.rows) if done else 0,
                         "retries": 0, "totalProcessingTime": 0, "jobType": "V2Query",
                         "isPkChunkingSupported": False})
        return body


Runner = Callable[[str], tuple[soql.Database, soql.SObject, list[tuple[str, ...]], list[dict]]]


class BulkQueries:
    """The org's Bulk API 2.0 query jobs. `run(query)` gives (db, sobject, paths, rows) from
    the org's SOQL engine (RestApi.run_soql) or raises soql.SoqlError."""

    def __init__(self, run: Runner) -> None:
        self._run = run
        self._jobs: dict[str, QueryJob] = {}
        self._lock = threading.Lock()
        self.created = 0   # jobs created since the server started (the daily limit's use)

    def create(self, user: User, version: str, body: bytes) -> Reply:
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return rest_error(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
        if not isinstance(request, dict):
            return rest_error(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        operation = request.get("operation")
        text = request.get("query")
        if operation not in ("query", "queryAll"):
            return rest_error(400, "API_ERROR", f"Invalid operation: {operation}")
        if not isinstance(text, str) or not text.strip():
            return rest_error(400, "API_ERROR", "The query field is required")
        delimiter = request.get("columnDelimiter") or "COMMA"
        ending = request.get("lineEnding") or "LF"
        if delimiter not in _DELIMITERS:
            return rest_error(400, "API_ERROR", f"Invalid columnDelimiter: {delimiter}")
        if ending not in _LINE_ENDINGS:
            return rest_error(400, "API_ERROR", f"Invalid lineEnding: {ending}")
        if (request.get("contentType") or "CSV") != "CSV":
            return rest_error(400, "API_ERROR", "Only CSV is supported for query jobs")
        try:
            parsed = soql.parse(text)
            if parsed.count or parsed.is_aggregate:
                shown = "COUNT()" if parsed.count else (
                    "GROUP BY" if parsed.group_by else f"{parsed.aggregates[0].function}()")
                return rest_error(400, "API_ERROR", "Aggregate queries are not supported by "
                                  f"Bulk API 2.0 query jobs: {shown}")
            db, sobject, paths, rows = self._run(text)
        except soql.SoqlError as err:
            return rest_error(400, err.code, err.message)
        now = sf_now()
        job = QueryJob(id=new_id(KEY_PREFIX), operation=operation, query=text,
                       sobject=sobject.name, created_by=user.id, created_date=now,
                       api_version=float(version.lstrip("v")), column_delimiter=delimiter,
                       line_ending=ending, modstamp=now)
        job.header = [".".join(p) for p in paths]
        job.rows = [[_csv_value(db, sobject, row, p) for p in paths] for row in rows]
        with self._lock:
            self._jobs[job.id] = job
            self.created += 1
        return json_reply(200, job.info(full=False))

    def list(self) -> Reply:
        with self._lock:
            jobs = sorted(self._jobs.values(), key=lambda j: (j.created_date, j.id))
        return json_reply(200, {"done": True, "nextRecordsUrl": None,
                                "records": [j.info(full=False) for j in jobs]})

    def get(self, job_id: str) -> Reply:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return _no_job()
            if job.state == "UploadComplete":   # the first poll finds it finished
                job.state, job.modstamp = "JobComplete", sf_now()
            return json_reply(200, job.info(full=True))

    def abort(self, job_id: str, body: bytes) -> Reply:
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return rest_error(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
        state = request.get("state") if isinstance(request, dict) else None
        if state != "Aborted":
            return rest_error(400, "INVALIDJOBSTATE", f"Invalid state: {state}")
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return _no_job()
            if job.state not in ("UploadComplete", "InProgress"):
                return rest_error(400, "INVALIDJOBSTATE",
                                  f"Cannot abort a job in state {job.state}")
            job.state, job.modstamp = "Aborted", sf_now()
            job.rows = []
            return json_reply(200, job.info(full=False))

    def delete(self, job_id: str) -> Reply:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return _no_job()
            if job.state not in ("JobComplete", "Aborted", "Failed"):
                return rest_error(400, "INVALIDJOBSTATE",
                                  f"Cannot delete a job in state {job.state}")
            del self._jobs[job_id]
        return 204, JSON, b""

    def results(self, job_id: str, query_string: str) -> Reply:
        params = parse_qs(query_string)
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return _no_job()
            if job.state != "JobComplete":
                return rest_error(400, "INVALIDJOBSTATE",
                                  f"Results are not available for a job in state {job.state}")
        try:
            start = _offset(params.get("locator", [""])[0])
            size = int(params.get("maxRecords", [str(DEFAULT_PAGE)])[0])
        except ValueError:
            return rest_error(400, "INVALID_LOCATOR", "The locator or maxRecords is not valid")
        if size < 1 or start > len(job.rows):
            return rest_error(400, "INVALID_LOCATOR", "The locator or maxRecords is not valid")
        page = job.rows[start:start + size]
        end = start + len(page)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=_DELIMITERS[job.column_delimiter],
                            lineterminator=_LINE_ENDINGS[job.line_ending],
                            quoting=csv.QUOTE_ALL)
        writer.writerow(job.header)
        writer.writerows(page)
        locator = _locator(end) if end < len(job.rows) else "null"
        headers = {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(page))}
        return 200, CSV, out.getvalue().encode("utf-8"), headers


def _no_job() -> Reply:
    return rest_error(404, "NOT_FOUND", "The requested resource does not exist")


def _locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _offset(locator: str) -> int:
    if not locator or locator == "null":
        return 0
    padded = locator + "=" * (-len(locator) % 4)
    value = int(base64.b64decode(padded, validate=True).decode())
    if value < 0:
        raise ValueError(locator)
    return value


def _bulk_time(value: str) -> str:
    dt = parse_sf_datetime(value)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def _csv_value(db: soql.Database, sobject: soql.SObject, row: dict,
               path: tuple[str, ...]) -> str:
    value = db.value(sobject, row, path)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
