"""What a promotion deploys and reads back: the train's zips and files with an environment's
values, their digests, the org's deploy answers as rows, and the texts asked or recorded
around a deploy. No step logic here."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sfenv.core.checklist import Step
from sfenv.core.compare.diff import component_index
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry
from sfenv.errors import ReleaseError
from sfenv.services.records.checklist_state import current_done
from sfenv.services.train.envvalues import substitute_files, substitute_zip, target_values
from sfenv.services.train.model import BuiltTrain, ComponentFailure
from sfenv.services.train.train import releases_head, train_folder

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.org.client import DeployResult
    from sfenv.io.store.snapshots import SnapshotStore


def wave_zips(store: SnapshotStore, built: BuiltTrain) -> list[bytes]:
    head = releases_head(store)
    folder = train_folder(built.name)
    if len(built.waves) <= 1:
        names = [folder + "package.zip"]
    else:
        names = [f"{folder}waves/{w.number}/package.zip" for w in built.waves]
    out = []
    for name in names:
        data = store.read_file(head, name)
        if data is None:
            raise ReleaseError(f"{name} is missing on the releases ref: rebuild the train")
        out.append(data)
    return out


def built_src(store: SnapshotStore, built: BuiltTrain,
              values: Mapping[str, str] | None = None) -> dict[str, bytes]:
    """The train's metadata files; with `values`, as deployed to an environment (its values in
    place of the placeholders)."""
    head = releases_head(store)
    prefix = train_folder(built.name) + "src/"
    files = {p: sha for p, sha in store.files(head).items() if p.startswith(prefix)}
    blobs = store.read_blobs(files.values())
    return substitute_files({p[len(prefix):]: blobs[sha] for p, sha in files.items()},
                            values or {})


def env_values(config: Config, built: BuiltTrain, env: str) -> dict[str, str]:
    """`env`'s value for each placeholder of the train; ReleaseError when one is undeclared."""
    return target_values(env, config.env(env), built.placeholders, built.name)


def target_zips(store: SnapshotStore, built: BuiltTrain, values: Mapping[str, str]) -> list[bytes]:
    """The deployable zips for one environment: the stored ones with its values substituted."""
    return [substitute_zip(data, values, f"{built.name} package.zip")
            for data in wave_zips(store, built)]


def zip_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def deploy_failures(result: DeployResult) -> list[ComponentFailure]:
    """The component and test failures of a validation or deploy, for the log."""
    out = []
    for f in list(result.component_failures) + list(getattr(result, "test_failures", []) or []):
        name = f.get("fullName") or f.get("name") or ""
        kind = f.get("componentType") or ""
        line = f.get("lineNumber")
        out.append(ComponentFailure(component=f"{kind}:{name}" if kind else str(name),
                                    problem=str(f.get("problem") or f.get("message") or ""),
                                    file_name=str(f.get("fileName") or ""),
                                    line=int(line) if line not in (None, "") else None))
    if not out and getattr(result, "error_message", None):
        out.append(ComponentFailure("", str(result.error_message), ""))
    return out


def components_report(result: DeployResult) -> list[dict[str, Any]]:
    """One row per component the org reported (changed, created, deleted, failed)."""
    rows = []
    for ok in result.component_successes:
        if ok.get("fullName") in ("package.xml", "destructiveChangesPost.xml",
                                  "destructiveChangesPre.xml"):
            continue
        rows.append({"component": f"{ok.get('componentType') or ''}:{ok.get('fullName')}",
                     "status": "deleted" if str(ok.get("deleted")).lower() == "true"
                     else "created" if str(ok.get("created")).lower() == "true" else "changed",
                     "problem": ""})
    for f in result.component_failures:
        rows.append({"component": f"{f.get('componentType') or ''}:{f.get('fullName')}",
                     "status": "failed", "problem": str(f.get("problem") or "")})
    return rows


def production_question(built: BuiltTrain, env: str) -> str:
    """What a production deploy will do, asked (or, with --yes, printed) before it runs."""
    text = (f"Deploy release {built.name} to production {env}: {len(built.components)} "
            f"components, {len(built.deletes)} destructive (deletions)")
    if built.deletes:
        text += ": " + ", ".join(built.deletes)
    return text + "?"


def verification_failed(mismatches: list[dict[str, str]]) -> str:
    """The record's (and the CLI's) line for a deploy the org accepted whose result differs
    from the package: the CLI exits 4 on it."""
    return (f"deployed; verification failed: {len(mismatches)} mismatch(es): "
            + ", ".join(f"{m['component']} ({m['problem']})" for m in mismatches[:5]))


def backup_gaps(built: BuiltTrain, skipped: Sequence[dict], registry: Registry) -> list[str]:
    """The train's components (or their parents) the backup's retrieve skipped, with why."""
    ids = set(built.components) | set(built.deletes)
    owners = set(ids)
    for text in ids:
        try:
            owners.add(str(registry.parent_id(ComponentId.parse(text))))
        except (KeyError, ValueError):
            continue
    return [f"{s.get('component')} ({s.get('reason') or 'skipped'})" for s in skipped
            if str(s.get("component")) in owners]


def open_before_steps(config: Config, train: str, env: str, steps: list[Step],
                      store: SnapshotStore) -> list[Step]:
    """The checklist's 'before' steps not yet ticked for `train` → `env`."""
    done = current_done(config, store, train, env)
    return [s for s in steps if s.phase == "before" and s.id not in done]


def org_client_connect(config: Config) -> Callable:
    """The real org client's `connect` (imported on use: it loads simple-salesforce), waiting
    between status asks of a deploy as sfenv.yml's `pull.poll_interval`/`poll_max_interval`
    say, like the pull's retrieves."""
    from sfenv.io.org import client as org_client

    return functools.partial(org_client.connect, poll=config.pull.poll_interval,
                             max_poll=config.pull.poll_max_interval)


def present_in(store: SnapshotStore, commit: str, registry: Registry) -> set[str] | None:
    """Every component a snapshot holds: those listed by the pull (children too) and the
    owners of its files. None when the snapshot has no listing: nothing is taken as gone."""
    listed = component_index(store, commit)
    if not listed:
        return None
    owners = {str(cid) for path in store.files(commit)
              if (cid := registry.component_of(path)) is not None}
    return owners | set(listed)
