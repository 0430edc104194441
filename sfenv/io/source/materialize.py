"""`git` and `dir` environments as snapshots: what `sfenv pull` does for them.

The folder or the commit is read, converted to canonical Metadata API format (format detected,
package directories, `.forceignore` and declared replacements honoured) and written as a
snapshot commit on `refs/heads/sfenv/<env>`, the same tree layout as an org pull, so `diff`,
`status` and `release plan/build` take these environments unchanged. For a git environment
`.sfenv/components.json` carries each component's last git author and date.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sfenv.config.model import Config, EnvConfig
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import META, Registry, default_registry
from sfenv.core.metadata.xmlio import canonicalize
from sfenv.errors import MetadataError
from sfenv.io.source.authorship import index_entries, last_changes
from sfenv.io.source.load import Loaded, load_tree
from sfenv.io.source.paths import locate
from sfenv.io.source.trees import git_dir_of, read_dir, read_git, resolve_ref
from sfenv.io.store.format import INDEX_PATH
from sfenv.io.store.snapshots import SnapshotStore


@dataclass
class Materialized:
    """The snapshot a git/dir environment gave; the pull service turns it into its result, so
    this module needs nothing from the pull (the pull imports it)."""

    env: str
    commit: str
    previous: str | None
    changed: bool
    components: int
    counts_by_type: dict[str, int]
    warnings: list[str]
    duration_s: float


def source_location(config: Config, env: EnvConfig) -> tuple[Path, str]:
    """(repository or folder, project folder inside it) of a git or dir environment."""
    if env.kind == "dir":
        return (config.root / (env.path or ".")).resolve(), ""
    repo = (config.root / env.repository).resolve() if env.repository else config.root
    return repo, (env.path or "").strip("/")


def read_env_files(config: Config, env: EnvConfig) -> tuple[dict[str, bytes], str | None, Path]:
    """The files of the environment's project (paths relative to the project folder), the
    commit read (git) and the repository or folder."""
    where, sub = source_location(config, env)
    if env.kind == "dir":
        return read_dir(where), None, where
    commit = resolve_ref(where, env.ref or "HEAD")
    prefix = sub + "/" if sub else ""
    files = read_git(where, commit, wanted=lambda p: p.startswith(prefix))
    return {p[len(prefix):]: d for p, d in files.items()}, commit, where


def materialize_env(config: Config, env: str, *, store: SnapshotStore | None = None,
                    registry: Registry | None = None, progress=None) -> Materialized:
    """Read a git/dir environment and record it as a snapshot (unchanged content: no commit).
    The caller (`pull_env`) holds the environment's lock."""
    env_config = config.env(env)
    store = store or SnapshotStore(config.root)
    registry = registry or default_registry()
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    previous = store.head(env)
    files, commit, where = read_env_files(config, env_config)
    if progress:
        progress.note(f"{env}: reading {where}" + (f" at {commit[:12]}" if commit else ""))
    loaded = load_tree(files, str(where), registry, values=env_config.values)
    tree = {path: _canonical(path, data, loaded, registry) for path, data in loaded.files.items()}
    index: dict[str, dict[str, str]] = {}
    if commit is not None:
        _, sub = source_location(config, env_config)
        index = _git_index(git_dir_of(where), commit, sub, loaded, registry)
    tree[INDEX_PATH] = _index_bytes(index)
    counts = Counter(cid.type for cid in {registry.component_of(p) for p in loaded.files} if cid)
    components = sum(counts.values())
    by_type = dict(sorted(counts.items()))
    duration = round(time.monotonic() - started, 3)
    meta = {
        "env": env, "org_id": "", "instance_url": "", "api_version": config.api_version,
        "started": started_at.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "duration_s": duration, "components": components, "counts_by_type": by_type,
        "skipped": [], "warnings": loaded.warnings, "incremental": False,
        "manifest": "", "retrieved": components, "removed": 0,
        "source": {"kind": env_config.kind, "location": str(where), "ref": env_config.ref,
                   "commit": commit, "format": loaded.format},
    }
    if previous and store.write_tree(tree) == store.tree_of(previous):
        new, changed = previous, False
    else:
        new = store.write_snapshot(env, tree, meta, expected_old=previous)
        changed = True
    return Materialized(env=env, commit=new, previous=previous, changed=changed,
                        components=components, counts_by_type=by_type,
                        warnings=loaded.warnings, duration_s=duration)


def _canonical(path: str, data: bytes, loaded: Loaded, registry: Registry) -> bytes:
    """Canonical bytes; a parse error names the repository file rather than the converted one."""
    try:
        return canonicalize(path, data, registry)
    except MetadataError as err:
        sources = loaded.origin.get(path) or [path]
        message = str(err)
        if len(sources) == 1 and message.startswith(path + ":"):
            message = sources[0] + message[len(path):]
        raise MetadataError(message) from None


def _git_index(git_dir: Path, commit: str, sub: str, loaded: Loaded,
               registry: Registry) -> dict[str, dict[str, str]]:
    prefix = sub + "/" if sub else ""
    owners: dict[str, list[str]] = {}
    for path, sources in loaded.origin.items():
        cid = registry.component_of(path)
        if cid is None:
            continue
        owners.setdefault(str(cid), []).extend(prefix + s for s in sources)
        for source in sources:
            child = _child_of(source, registry)
            if child is not None:
                owners.setdefault(str(child), []).append(prefix + source)
    changes = last_changes(git_dir, commit, {f for fs in owners.values() for f in fs})
    return index_entries(owners, changes)


def _child_of(source: str, registry: Registry) -> ComponentId | None:
    """The child component a decomposed source file holds (CustomField Account.Region__c)."""
    table = registry.source
    found = locate(source, registry, table)
    if found is None or found.type not in table.decomposed or not source.endswith(META):
        return None
    parts = found.rel.split("/")
    stem = parts[-1][: -len(META)]
    name, _, suffix = stem.rpartition(".")
    child = table.decomposed[found.type].by_suffix(suffix)
    if child is None or registry.find(child.type) is None or len(parts) < 3:
        return None
    return ComponentId(child.type, f"{parts[1]}.{name}")


def _index_bytes(index: dict[str, dict[str, str]]) -> bytes:
    lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in sorted(index.items())]
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode() if lines else b"{}\n"
