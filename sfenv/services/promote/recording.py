"""What a promotion or rollback writes besides the deploy: the log entry (in progress before a
step, the outcome at the end), the backup tag of a refused attempt, who made each change, the
rollback package, and the hop's sync point (recorded, or restored by a rollback)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from sfenv.core.compare import diff as compare_diff
from sfenv.core.compare.diff import component_index
from sfenv.core.compare.model import Change
from sfenv.core.compare.status import SYNC_FILE, sync_ref
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry
from sfenv.core.metadata.ziputil import write_zip
from sfenv.services.promote.deploying import Deployer, accepted, check_org, find_accepted
from sfenv.services.promote.deploying import pending_intent as pending_intent
from sfenv.services.promote.rollback import rollback_package
from sfenv.services.records import release_log
from sfenv.services.records.origins import record_origins, upstream_origins
from sfenv.services.records.sync_points import record_sync_point
from sfenv.services.train.model import BuiltTrain, ComponentFailure, LogEntry, PromoteResult
from sfenv.services.train.train import export, now_iso, train_folder
from sfenv.services.train.trees import StoreTree

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.store.snapshots import SnapshotStore


def log_intent(store: SnapshotStore, result: PromoteResult,
               extra: dict[str, bytes] | None = None) -> None:
    """Record the attempt as in progress (with what is known so far) before the next step."""
    result.entry.result = release_log.IN_PROGRESS
    release_log.append(store, result.train, result.entry, extra)


def finish(config: Config, store: SnapshotStore, result: PromoteResult, outcome: str,
           failures: list[ComponentFailure] | None = None, error: str = "",
           extra: dict[str, bytes] | None = None) -> PromoteResult:
    """Record the attempt's outcome (one commit, with `extra` files) and export the log."""
    entry = result.entry
    entry.result = outcome
    entry.failures = failures or []
    entry.error = error
    entry.finished = now_iso()
    if error:
        result.steps.append(error)
    _commit, log_bytes = release_log.append(store, result.train, entry, extra)
    export(config, result.train, {"log.json": log_bytes, **(extra or {})})
    return result


def close_interrupted(store: SnapshotStore, train: str, prior: LogEntry) -> None:
    """An attempt that stopped before any deploy was accepted: closed, a fresh one runs."""
    prior.result, prior.error = "interrupted", "the process stopped before a deploy"
    prior.finished = now_iso()
    release_log.append(store, train, prior)


def drop_backup_tag(store: SnapshotStore, tag: str) -> str:
    """Remove the backup tag of a promotion refused before validation (issue 11: a refused
    promotion leaves no tag behind; the snapshot stays in the environment's history and the
    log entry keeps its commit)."""
    store.git.run(["update-ref", "-d", f"refs/tags/{tag}"])
    return f"backup tag {tag} removed: the promotion was refused, nothing was deployed"


def resolve_intent(store: SnapshotStore, train: str, env: str, prior: LogEntry,
                   client: Deployer) -> str | None:
    """A rerun after the process stopped between a submit and its id reaching the log: ask
    the org which deploy it accepted since the intent and log it (None when it lists none:
    nothing was accepted, the intent is closed)."""
    intent = pending_intent(prior)
    if intent is None:
        return None
    check_org(store, env, client)
    found = find_accepted(store, env, client, intent)
    if found is None:
        intent["refused"] = f"{env} lists no deploy accepted since {intent['at']}"
        return None
    accepted(prior, intent, found, [], env)
    release_log.append(store, train, prior)
    return found


def record_change_origins(store: SnapshotStore, built: BuiltTrain, env: str, before: str,
                          after: str, registry: Registry) -> None:
    """Who made each change this promotion brought into `env`: the author the train's source
    snapshot names (the org now names the deploy user), with the date `env` gave it after the
    deploy, so status attributes the change to its author until someone edits it again."""
    source_index = compare_diff.component_index(store, built.source_commit)
    found: dict[str, dict] = {}
    ids = set(built.components)
    for change in compare_diff.diff_commits(store, before, after, registry=registry).changes:
        cid = str(change.component)
        parent = str(change.parent) if change.parent else None
        if change.kind == "removed" or (cid not in ids and parent not in ids):
            continue
        origin = source_index.get(cid) or (source_index.get(parent) if parent else None) or {}
        found[cid] = {"by": origin.get("lastModifiedByName"),
                      "date": origin.get("lastModifiedDate"),
                      "deployed_date": change.new_by.last_modified_date,
                      "train": built.name, "source": built.source}
    found.update(upstream_origins(store, built, before, after, found))
    if found:
        record_origins(store, env, found, f"release {built.name}")


def record_restored_origins(store: SnapshotStore, env: str, train: str, restored: list[str],
                            backup_commit: str, after: str, registry: Registry, *,
                            destroyed: Sequence[str] = (), own: Collection[str] = ()) -> int:
    """After a rollback the org names the deploy user for every restored component; their
    author is the one the backup names (a hotfix stays its author's). Recorded as origins
    with the date the rollback left, so status and the guard credit the author until someone
    edits the component again. A child (a field of an object file, a permission entry) has
    its container's author and dates.

    Every component the rollback restored or deleted (`destroyed`) is also marked with the
    snapshot the rollback left (`rolled_back`): while the target still holds it as the
    rollback left it, the change is the release process's, not the target's own (status'
    `rolled_back_as_left`). `own`: the components the rolled-back promotion overwrote by name,
    whose restored content is the target's own change again. Returns how many were recorded."""
    was, now = component_index(store, backup_commit), component_index(store, after)
    when = now_iso()
    found: dict[str, dict] = {}
    for cid in [*restored, *destroyed]:
        top = _container(cid, registry)
        old = was.get(cid) or was.get(top) or {}
        new = now.get(cid) or now.get(top) or {}
        rec: dict[str, Any] = {"train": train, "source": f"backup of {env}",
                               "rolled_back": after, "rolled_back_at": when,
                               "own": cid in own}
        if cid not in destroyed and old.get("lastModifiedByName") and \
                new.get("lastModifiedDate"):
            rec.update({"by": old.get("lastModifiedByName"),
                        "date": old.get("lastModifiedDate"),
                        "deployed_date": new.get("lastModifiedDate")})
        found[cid] = rec
    if found:
        record_origins(store, env, found, f"rollback of release {train}")
    return sum(1 for rec in found.values() if rec.get("by"))


def _container(text: str, registry: Registry) -> str:
    """The component whose file holds `text`: a child's object (or labels) file, a
    permission entry's set or profile (`PermissionSetFieldPermission:Set/Obj.F` lives in
    `PermissionSet:Set`), else `text` itself."""
    try:
        cid = ComponentId.parse(text)
    except ValueError:
        return text
    top = registry.parent_id(cid)
    if top != cid or "/" not in cid.full_name:
        return str(top)
    for end in range(len(cid.type) - 1, 0, -1):  # the entry's type extends its holder's
        if registry.find(cid.type[:end]) is not None:
            return f"{cid.type[:end]}:{cid.full_name.split('/', 1)[0]}"
    return text


def rollback_files(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
                   before: str, after: str, backup_tag: str,
                   registry: Registry) -> dict[str, bytes]:
    """The rollback package of this promotion (after → before for the train's components),
    with its rollback.json, as files under the train's folder."""
    ids = [ComponentId.parse(c) for c in built.components + built.deletes]
    pkg, changes = rollback_package(ids, StoreTree(store, before), StoreTree(store, after),
                                    registry, config.api_version)
    prefix = f"rollback/{env}/"
    files = {prefix + p: b for p, b in pkg.files.items()}
    files[prefix + "package.zip"] = write_zip(pkg.zip_members())
    info: dict[str, Any] = {
        "env": env, "backup_tag": backup_tag, "before_commit": before, "after_commit": after,
        "restore": sorted(str(c.component) for c in changes if c.kind != "removed"),
        "destroy": [str(c) for c in pkg.deleted]}
    files[prefix + "rollback.json"] = (json.dumps(info, indent=2, sort_keys=True) + "\n").encode()
    return files


def rollback_folder(train: str, env: str) -> str:
    return f"{train_folder(train)}rollback/{env}/"


def record_sync(config: Config, store: SnapshotStore, built: BuiltTrain, env: str, after: str,
                by: str, before: str = "", registry: Registry | None = None,
                mismatched: Collection[str] = ()) -> dict[str, str]:
    """The hop into `env` now has a base for the components it made equal. Returns the hop
    and its sync ref's commit before ({"hop", "commit", "recorded"}) for a rollback.

    What the deploy wrote in `env` (`before` → `after`) is the release process's there: the
    record judges it against the source's snapshot that held the train (`released_from`),
    so a source that moved on since (a hand change in qa after the train reached it) is
    pending at the target, not a conflict of the target's own. `mismatched`: what the
    verification found different from the package (a hand change made between the deploy and
    its pull): not the train's content, so it stays judged by the previous base."""
    upstream = config.upstream_of(env)
    if built.source in upstream and env == built.target:
        source, source_commit = built.source, built.source_commit
    elif upstream and store.head(upstream[0]):
        source, source_commit = upstream[0], store.head(upstream[0])
    else:
        return {}
    old = store.ref_commit(sync_ref(source, env)) or ""
    released = (released_from(store, built, source, source_commit, before, after, registry,
                              mismatched)
                if before and registry is not None else None)
    new = record_sync_point(store, source, env, source_commit, after, f"release {built.name}",
                            by=by, config=config, released=released)
    return {"hop": f"{source}/{env}", "commit": old, "recorded": new}


def released_from(store: SnapshotStore, built: BuiltTrain, source: str, source_commit: str,
                  before: str, after: str, registry: Registry,
                  mismatched: Collection[str] = ()) -> dict[str, dict[str, str]]:
    """The components the deploy wrote in the target (`before` → `after`: the train's, their
    children and entries), each with the source's snapshot that held the train's content:
    the train's source commit, or the source environment right after the train's last
    deployed promotion there ({a_commit, when}). Without one (never deployed there), the
    source as it is now. A change whose component, parent or container the verification
    found different from the package (`mismatched`) is left out: someone else wrote it."""
    held = {"a_commit": source_commit, "when": ""}
    if source == built.source:
        held = {"a_commit": built.source_commit, "when": built.created}
    else:
        last = next((e for e in reversed(release_log.read_log(store, built.name))
                     if e.action == "promote" and e.env == source and e.result == "deployed"
                     and e.after_commit), None)
        if last is not None:
            held = {"a_commit": last.after_commit, "when": last.finished}
    ids = set(built.components) | set(built.deletes)
    off = set(mismatched)

    def foreign(c: Change) -> bool:
        return bool(off) and (str(c.component) in off
                              or (c.parent is not None and str(c.parent) in off)
                              or _container(str(c.component), registry) in off)

    return {str(c.component): held
            for c in compare_diff.diff_commits(store, before, after, registry=registry).changes
            if (str(c.component) in ids or (c.parent is not None and str(c.parent) in ids))
            and not foreign(c)}


def restore_sync(store: SnapshotStore, promoted: LogEntry, train: str) -> str:
    """After a rollback, give the hop the base it had before the promotion (and with it the
    checklist's audit window): only when no later sync point was recorded since."""
    info = promoted.sync_before
    if not info or "/" not in info.get("hop", ""):
        return ""
    source, env = info["hop"].split("/", 1)
    ref = sync_ref(source, env)
    now = store.ref_commit(ref)
    recorded = info.get("recorded")
    # unmoved: the ref is where the promotion left it, or a later rollback (of a train stacked
    # on this one) restored that same record in a new commit
    same = now == recorded or (now is not None and recorded is not None and
                               store.read_file(now, SYNC_FILE) == store.read_file(recorded,
                                                                                  SYNC_FILE))
    if not same:
        return f"the sync point of {source} → {env} moved since the promotion: left as it is"
    if info.get("commit"):
        data = store.read_file(info["commit"], SYNC_FILE) or b""
        store.write_ref_commit(ref, {SYNC_FILE: data},
                               f"sfenv rollback of release {train}: base of {source} → {env} "
                               f"restored\n", expected_old=now)
    else:
        store.delete_ref(ref, now)
    return f"restored the base of {source} → {env} from before the promotion"
