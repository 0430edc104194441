"""`sfenv localorg usage ORG_DIR FILE`: load usage data (records, logins, report runs, flow
interviews, page views, permission set assignments) from a YAML or JSON file into a local
org's data folder, so `sfenv adoption` and the report have something to measure.

The whole file is checked first (each mistake is `file:line: message`, exit 2) and only then
written, so a bad line never leaves half a file loaded. Users are named by full name or
username and must exist in the org; record fields must be declared in the object's file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from sfenv.config.reader import YamlReader
from sfenv.errors import ConfigError
from sfenv.localorg.rest.usage_objects import record_object
from sfenv.localorg.state import OrgState
from sfenv.localorg.state import usage as u

KEYS = ("records", "logins", "report_runs", "flow_interviews", "page_views", "permission_sets")
Step = tuple[int, Callable[[], None]]   # rows it adds, and the write


def load_usage_file(org: OrgState, path: Path) -> dict[str, int]:
    """Check every entry of `path`, then add them all to `org`; the rows added per key."""
    reader = YamlReader(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read: {err}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(f"{path}:{line}: not YAML or JSON: "
                          f"{getattr(err, 'problem', None) or err}") from None
    if root is None:
        raise ConfigError(f"{path}:1: empty usage file (keys: {', '.join(KEYS)})")
    check = _Checker(reader, org)
    steps: list[Step] = []
    counts: dict[str, int] = {}
    for key, (key_node, node) in reader.mapping(root, "the usage file").items():
        if key not in KEYS:
            raise reader.fail(key_node, f"unknown key '{key}' (known: {', '.join(KEYS)})")
        before = len(steps)
        getattr(check, key)(node, steps)
        counts[key] = sum(n for n, _ in steps[before:])
    with u.batch(org):
        for _rows, write in steps:
            write()
    return counts


class _Checker:
    """One method per key: check its entries (with their lines) and queue their writes."""

    def __init__(self, reader: YamlReader, org: OrgState) -> None:
        self.r = reader
        self.org = org

    def _v(self, node: yaml.Node) -> Any:
        try:
            return self.r.value(node)
        except (ValueError, yaml.YAMLError) as err:   # e.g. a date with month 13
            raise self.r.fail(node, f"'{getattr(node, 'value', '')}' is not a valid value "
                                    f"({err})") from None

    def _items(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.r.fail(node, f"{what} must be a list")
        return list(node.value)

    def _entry(self, node: yaml.Node, what: str, required: tuple[str, ...],
               optional: tuple[str, ...] = ()) -> dict[str, tuple[yaml.Node, Any]]:
        fields = self.r.mapping(node, what)
        for name, (key_node, _value) in fields.items():
            if name not in required + optional:
                raise self.r.fail(key_node, f"{what}: unknown field '{name}' (known: "
                                            f"{', '.join(required + optional)})")
        for name in required:
            if name not in fields:
                raise self.r.fail(node, f"{what}: '{name}' is missing")
        return {name: (value, self._v(value)) for name, (_k, value) in fields.items()}

    def _user(self, node: yaml.Node, value: Any, what: str) -> str:
        name = str(value or "")
        if self.org.user_by_name(name) is None:
            raise self.r.fail(node, f"{what}: no user '{name}' in the local org")
        return name

    def _when(self, node: yaml.Node, value: Any, what: str) -> str:
        if isinstance(value, datetime):
            stamp = value.isoformat()
            return stamp.replace("+00:00", "Z") if value.tzinfo else stamp + "Z"
        text = str(value or "")
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self.r.fail(node, f"{what}: '{text}' is not a date and time "
                                    "(2026-12-07T10:00:00Z)") from None
        return text

    def _count(self, node: yaml.Node, value: Any, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.r.fail(node, f"{what} must be a whole number, 0 or more")
        return value

    def records(self, node: yaml.Node, steps: list[Step]) -> None:
        for sobject, (key_node, rows_node) in self.r.mapping(node, "records").items():
            table = record_object(self.org, sobject)
            if table is None:
                raise self.r.fail(key_node, f"records: no object '{sobject}' in the local org "
                                            f"(no objects/{sobject}.object)")
            for row_node in self._items(rows_node, f"records.{sobject}"):
                row: dict[str, object] = {}
                for name, (key, value_node) in self.r.mapping(row_node, sobject).items():
                    value = self._v(value_node)
                    if name == "by":
                        row["by"] = self._user(value_node, value, f"{sobject}.by")
                    elif name in ("CreatedDate", "LastModifiedDate"):
                        row[name] = self._when(value_node, value, f"{sobject}.{name}")
                    elif table.field_name(name) is None:
                        raise self.r.fail(key, f"{sobject}: no field '{name}' on the object")
                    else:
                        row[name] = value.isoformat() if isinstance(value, date) else value
                steps.append((1, partial(_add_records, self.org, sobject, row)))

    def logins(self, node: yaml.Node, steps: list[Step]) -> None:
        for item in self._items(node, "logins"):
            e = self._entry(item, "logins", ("user", "times"), ("status",))
            user = self._user(*e["user"], "logins.user")
            times_node = e["times"][0]
            times = [self._when(t, self._v(t), "logins.times")
                     for t in self._items(times_node, "logins.times")]
            status = str(e.get("status", (None, "Success"))[1])
            steps.append((len(times), partial(u.add_logins, self.org, user, times, status)))

    def report_runs(self, node: yaml.Node, steps: list[Step]) -> None:
        for report, (key_node, value_node) in self.r.mapping(node, "report_runs").items():
            if "/" not in report:
                raise self.r.fail(key_node, f"report_runs: '{report}' must be "
                                            "Folder/DeveloperName")
            when = self._when(value_node, self._v(value_node), f"report_runs.{report}")
            steps.append((1, partial(u.run_report, self.org, report, when)))

    def flow_interviews(self, node: yaml.Node, steps: list[Step]) -> None:
        for item in self._items(node, "flow_interviews"):
            e = self._entry(item, "flow_interviews", ("flow", "when"), ("status", "count", "by"))
            when = self._when(*e["when"], "flow_interviews.when")
            status = str(e.get("status", (None, "Completed"))[1])
            if status not in ("Completed", "Error", "Paused", "InProgress"):
                raise self.r.fail(e["status"][0], f"flow_interviews.status: '{status}' is not "
                                                  "Completed, Error, Paused or InProgress")
            count = self._count(*e["count"], "flow_interviews.count") if "count" in e else 1
            by = self._user(*e["by"], "flow_interviews.by") if "by" in e else None
            flow = str(e["flow"][1])
            steps.append((count, partial(u.add_flow_runs, self.org, flow, when, status, count, by)))

    def page_views(self, node: yaml.Node, steps: list[Step]) -> None:
        for item in self._items(node, "page_views"):
            e = self._entry(item, "page_views", ("page", "day", "count"))
            day_node, day = e["day"]
            text = day.isoformat() if isinstance(day, date) else str(day)
            try:
                date.fromisoformat(text)
            except ValueError:
                raise self.r.fail(day_node, f"page_views.day: '{text}' is not a day "
                                            "(2026-12-07)") from None
            count = self._count(*e["count"], "page_views.count")
            page = str(e["page"][1])
            steps.append((1, partial(u.add_page_views, self.org, page, text, count)))

    def permission_sets(self, node: yaml.Node, steps: list[Step]) -> None:
        for item in self._items(node, "permission_sets"):
            e = self._entry(item, "permission_sets", ("name", "user"), ("when",))
            user = self._user(*e["user"], "permission_sets.user")
            when = self._when(*e["when"], "permission_sets.when") if "when" in e else None
            name = str(e["name"][1])
            steps.append((1, partial(u.assign_permission_set, self.org, name, user, when)))


def _add_records(org: OrgState, sobject: str, row: dict[str, object]) -> None:
    u.add_records(org, sobject, [row])
