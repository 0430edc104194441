"""Backups are annotated tags on snapshot commits: named ones (`backup --tag pre-R2`) and the
timestamped `backup/<env>/<UTC time>`. This module checks a name before the pull, lists every
backup (named included), and prunes old timestamped ones by a daily/weekly policy.

A backup tag's annotation starts `sfenv backup of <env>`: that is how a named tag is known to
be a backup; a named one says so (`..., named)`, see `annotation`). Pruning deletes tags only
(the snapshots stay in the env's history), keeps named backups, and never deletes a tag the
release record points to (a release log entry or a frozen checklist names it) or one created
in the last hour (a promotion tags its backup before its log entry names it: a prune running
in between used to delete it).

A name that looks timestamped is not enough to call a tag timestamped: `--tag
backup/prod/20250101T000000Z` is a named backup. A tag counts as timestamped only when its
annotation does not say named and its stamp is within `STAMP_SLACK` of when it was tagged.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from sfenv.errors import StoreError
from sfenv.io.store.snapshots import SnapshotStore

PREFIX = "backup/"
MESSAGE = "sfenv backup of "
STAMP = "%Y%m%dT%H%M%SZ"
RELEASES_REF = "refs/heads/sfenv/releases"
NAMED_MARK = ", named)"  # the end of a named backup's annotation subject
RECENT = timedelta(hours=1)  # a tag this young is never pruned
STAMP_SLACK = timedelta(minutes=10)  # a default tag's stamp is when the pull ended
_SAME_SECOND = re.compile(r"-[0-9a-f]{7,40}$")  # default tag + commit, two backups in a second


class BackupError(StoreError):
    """A backup tag name is unusable or taken (exit 2, before anything is pulled)."""


@dataclass
class Backup:
    tag: str
    env: str
    commit: str
    date: str  # UTC, ISO 8601 with Z
    named: bool  # given with --tag, not the timestamped default
    created: str = ""  # when the tag was made (UTC, ISO 8601 with Z; "" if unknown)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class PruneResult:
    kept: list[Backup] = field(default_factory=list)
    removed: list[Backup] = field(default_factory=list)
    protected: list[Backup] = field(default_factory=list)  # old, but named by a record or new
    why: dict[str, str] = field(default_factory=dict)  # protected tag -> why it is kept
    dry_run: bool = False

    def to_json(self) -> dict:
        return {"dry_run": self.dry_run, "kept": [b.tag for b in self.kept],
                "removed": [b.tag for b in self.removed],
                "protected": [b.tag for b in self.protected], "why_protected": self.why}


def annotation(env: str, components: int, *, named: bool) -> str:
    """A backup tag's annotation subject; a named backup says so, whatever its name looks
    like, so no prune mistakes it for a timestamped one."""
    count = f"{components} component{'' if components == 1 else 's'}"
    return f"{MESSAGE}{env} ({count}{NAMED_MARK if named else ')'}"


def default_tag(env: str, now: datetime | None = None) -> str:
    return f"{PREFIX}{env}/{(now or datetime.now(UTC)).strftime(STAMP)}"


def free_default_tag(store: SnapshotStore, env: str, commit: str,
                     now: datetime | None = None) -> str:
    """`backup/<env>/<UTC second>`, or with `-<commit>` (then `-2`, `-3`...) when backups of
    `env` within that second took it: two promotions' backups of an unchanged target in one
    second are on one commit, and a third backup refused for a taken name lost its promotion."""
    name = default_tag(env, now)
    taken = set(store.tags(name))
    if name not in taken:
        return name
    candidate, number = f"{name}-{commit[:7]}", 2
    while candidate in taken:
        candidate, number = f"{name}-{commit[:7]}-{number}", number + 1
    return candidate


def check_tag_name(store: SnapshotStore, name: str) -> str:
    """`name` if git accepts it as a tag (git check-ref-format rules) and no tag has it yet."""
    if (not name or name.startswith("-")  # git would read it as an option
            or store.git.ok(["check-ref-format", f"refs/tags/{name}"]) is None):
        raise BackupError(f"backup tag {name!r} is not a valid git tag name (no spaces, '..', "
                          f"'~^:?*[\\', leading '-', trailing '.lock' or '/'): choose another")
    if store.ref_commit(f"refs/tags/{name}"):
        raise BackupError(f"backup tag {name} already exists: choose another name "
                          f"(tags are never moved)")
    return name


def _stamp_date(tag: str) -> str | None:
    try:
        stamp = _SAME_SECOND.sub("", tag.rsplit("/", 1)[-1])
        return datetime.strptime(stamp, STAMP).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


def _timestamped(name: str, subject: str, tagged: str) -> bool:
    """A default `backup/<env>/<stamp>` tag: stamp-shaped, not marked named, and stamped when
    it was tagged (a named tag made today with an old-looking stamp is named)."""
    stamp = _stamp_date(name) if name.startswith(PREFIX) else None
    if stamp is None or subject.endswith(NAMED_MARK):
        return False
    created = _parse_utc(tagged)
    if created is None:  # a lightweight tag (no tagger date): trust the name
        return True
    made = _parse_utc(stamp)
    return made is not None and abs(created - made) <= STAMP_SLACK


def _parse_utc(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso_utc(value: str) -> str:
    try:
        return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return value


def list_backups(store: SnapshotStore) -> list[Backup]:
    """Every backup tag, newest first: `backup/...` ones and named tags whose annotation says
    they are a backup."""
    out = store.git.run(["for-each-ref", "--format=%(refname:strip=2)%00%(objectname)%00"
                         "%(*objectname)%00%(taggerdate:iso-strict)%00%(contents:subject)",
                         "refs/tags/"]).decode("utf-8", "replace")
    found = []
    for line in out.splitlines():
        parts = line.split("\x00")
        if len(parts) != 5:
            continue
        name, obj, peeled, tagged, subject = parts
        is_default = name.startswith(PREFIX)
        if not is_default and not subject.startswith(MESSAGE):
            continue
        env = subject[len(MESSAGE):].split(" ", 1)[0] if subject.startswith(MESSAGE) else ""
        if not env and is_default and name.count("/") >= 2:
            env = name.split("/")[1]
        timestamped = _timestamped(name, subject, tagged)
        date = (_stamp_date(name) if timestamped else None) or _iso_utc(tagged)
        found.append(Backup(tag=name, env=env, commit=peeled or obj, date=date,
                            named=not timestamped,
                            created=_iso_utc(tagged) if tagged else ""))
    found.sort(key=lambda b: (b.date, b.tag), reverse=True)
    return found


def unchanged_backup(store: SnapshotStore, env: str, commit: str) -> str | None:
    """The newest backup tag of `env` already on `commit`: a backup of an unchanged org adds
    no tag (a nightly job would otherwise pile one tag a night on the same snapshot)."""
    for backup in list_backups(store):
        if backup.env == env and backup.commit == commit:
            return backup.tag
    return None


def referenced_tags(store: SnapshotStore) -> set[str]:
    """Backup tags the release record names: release log entries, rollback packages and frozen
    checklists on the releases ref."""
    head = store.ref_commit(RELEASES_REF)
    if head is None:
        return set()
    names: set[str] = set()
    for path, sha in store.files(head).items():
        if not path.startswith("releases/") or not path.endswith(".json"):
            continue
        if not (path.endswith("/log.json") or "/checklist-" in path or
                path.endswith("/rollback.json")):
            continue
        try:
            doc = json.loads(store.read_blob(sha))
        except ValueError:
            continue
        _collect(doc, names)
    return names


def _collect(doc: object, names: set[str]) -> None:
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "backup_tag" and isinstance(value, str) and value:
                names.add(value)
            else:
                _collect(value, names)
    elif isinstance(doc, list):
        for item in doc:
            _collect(item, names)


def prune_plan(backups: list[Backup], *, keep_daily: int, keep_weekly: int,
               protected: set[str], now: datetime | None = None) -> PruneResult:
    """Per environment: keep the newest timestamped backup of each of the `keep_daily` latest
    days that have one, and of each of the `keep_weekly` latest ISO weeks; named backups,
    protected tags and tags created within `RECENT` of `now` are always kept."""
    now = now or datetime.now(UTC)
    if keep_daily < 0 or keep_weekly < 0:
        raise BackupError("--keep-daily and --keep-weekly must be 0 or more")
    result = PruneResult()
    by_env: dict[str, list[Backup]] = {}
    for b in backups:
        by_env.setdefault(b.env, []).append(b)
    for items in by_env.values():
        items.sort(key=lambda b: (b.date, b.tag), reverse=True)
        keep: set[str] = set()
        days: list[str] = []
        weeks: list[tuple[int, int]] = []
        for b in items:
            if b.named:
                continue
            day = b.date[:10]
            week = datetime.strptime(day, "%Y-%m-%d").isocalendar()[:2]
            if day not in days and len(days) < keep_daily:
                days.append(day)
                keep.add(b.tag)
            if week not in weeks and len(weeks) < keep_weekly:
                weeks.append(week)
                keep.add(b.tag)
        for b in items:
            created = _parse_utc(b.created) if b.created else None
            if b.named or b.tag in keep:
                result.kept.append(b)
            elif b.tag in protected:
                result.protected.append(b)
                result.why[b.tag] = "the release record points to it"
            elif created is not None and now - created < RECENT:
                result.protected.append(b)
                result.why[b.tag] = "created in the last hour: a promotion may not have recorded it yet"
            else:
                result.removed.append(b)
    return result


def prune_backups(store: SnapshotStore, *, keep_daily: int, keep_weekly: int,
                  dry_run: bool = False) -> PruneResult:
    """Delete the backup tags the policy does not keep (tags only: history stays)."""
    result = prune_plan(list_backups(store), keep_daily=keep_daily, keep_weekly=keep_weekly,
                        protected=referenced_tags(store))
    result.dry_run = dry_run
    if not dry_run:
        for b in result.removed:
            store.git.run(["update-ref", "-d", f"refs/tags/{b.tag}"])
    return result
