"""`sfenv sync`: share one metadata repository between CI jobs and people.

Every job keeps its own clone of the metadata repository and writes its own refs (the
snapshots of the environments it pulls, backups, the release record). `sync` fetches the
remote's sfenv refs into a mirror namespace (`refs/sfenv-remotes/<REMOTE>/…`), reconciles each
ref, and pushes everything in ONE atomic push where every ref is guarded by the value this job
saw (`--force-with-lease=<ref>:<expected>`). Another job's push in between makes the whole push
fail; the job then fetches again and reconciles again, so no job overwrites what it did not see.

Reconciling one ref:
- equal, or one side descends from the other: the newer side is taken (pushed or fetched);
- the release record diverged: the two histories are merged (`records_merge`), never
  overwritten;
- a tag differs: tags never move; it is reported and left alone;
- any other ref diverged (two jobs pulled one environment, two promotions along one hop): the
  ref whose tip was committed last wins, and the other tip is kept under
  `refs/sfenv/superseded/…` (pushed too), so nothing is lost and the loss of the race is said.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sfenv.errors import EXIT_ORG, ConfigError, StoreError
from sfenv.io.store.gitplumbing import Git
from sfenv.services.sync.records_merge import merge_record_files

# What is shared: snapshot branches (and the release record), sfenv's own refs, tags.
SCOPES = ("refs/heads/sfenv/", "refs/sfenv/", "refs/tags/")
RELEASES_REF = "refs/heads/sfenv/releases"
SUPERSEDED = "refs/sfenv/superseded/"
MIRROR = "refs/sfenv-remotes/"
ZERO = "0" * 40
MAX_BACKOFF_S = 3.0  # jobs that lost a race spread out (exponential, random) up to this


@dataclass
class RefOutcome:
    """What sync did with one ref."""

    ref: str
    action: str  # pushed | fetched | merged | kept-remote | kept-local | conflict
    detail: str = ""


@dataclass
class SyncResult:
    remote: str
    attempts: int = 0
    outcomes: list[RefOutcome] = field(default_factory=list)

    @property
    def conflicts(self) -> list[RefOutcome]:
        return [o for o in self.outcomes if o.action == "conflict"]

    def to_dict(self) -> dict[str, Any]:
        return {"remote": self.remote, "attempts": self.attempts,
                "outcomes": [asdict(o) for o in self.outcomes],
                "conflicts": len(self.conflicts)}


class SyncError(StoreError):
    """git could not reach or update the remote (exit 3, like any network failure)."""

    exit_code = EXIT_ORG


class LeaseLost(Exception):
    """The remote moved between our fetch and our push: fetch and reconcile again."""


def _mirror_prefix(remote: str) -> str:
    return f"{MIRROR}{remote}/"


def _refs(git: Git, prefixes: tuple[str, ...]) -> dict[str, str]:
    out = git.run(["for-each-ref", "--format=%(refname) %(objectname)", *prefixes]).decode()
    return dict(line.split(" ", 1) for line in out.splitlines() if line)


def _check_remote(git: Git, remote: str) -> None:
    if not remote or remote.startswith("-") or "/" in remote or "\0" in remote:
        raise ConfigError(f"sync: {remote!r} is not a git remote name")
    if git.ok(["remote", "get-url", remote]) is None:
        raise ConfigError(f"sync: the metadata repository has no remote named {remote!r}; add "
                          f"one with `git remote add {remote} URL` in the repository")


def _fetch(git: Git, remote: str) -> dict[str, str]:
    """The remote's shared refs, mirrored under refs/sfenv-remotes/<remote>/ (pruned)."""
    mirror = _mirror_prefix(remote)
    specs = [f"+{scope}*:{mirror}{scope[len('refs/'):]}*" for scope in SCOPES]
    try:
        git.run(["fetch", "--quiet", "--no-tags", "--prune", "--no-write-fetch-head", remote,
                 *specs])
    except StoreError as err:
        raise SyncError(f"sync: could not fetch from {remote}: {err}") from None
    return {"refs/" + name[len(mirror):]: sha for name, sha in _refs(git, (mirror,)).items()}


def _is_ancestor(git: Git, a: str, b: str) -> bool:
    return git.ok(["merge-base", "--is-ancestor", a, b]) is not None


def _commit_time(git: Git, sha: str) -> int:
    return int(git.run(["show", "-s", "--format=%ct", sha]).decode().strip() or 0)


def _tree_files(git: Git, commit: str) -> dict[str, str]:
    out = git.run(["ls-tree", "-r", "-z", "--full-tree", commit]).decode()
    files: dict[str, str] = {}
    for item in out.split("\0"):
        if item:
            meta, path = item.split("\t", 1)
            files[path] = meta.split()[2]
    return files


def _merge_records(git: Git, ours: str, theirs: str,
                   replay: Callable[[list[dict[str, str]]], dict[str, dict[str, str]]]) -> str:
    """A merge commit of the two release record histories (parents: ours, theirs)."""
    base_out = git.ok(["merge-base", ours, theirs])
    base = _tree_files(git, base_out.decode().strip()) if base_out else {}
    merged = merge_record_files(base, _tree_files(git, ours), _tree_files(git, theirs),
                                lambda sha: git.run(["cat-file", "blob", sha]), replay)
    lines = []
    for path, value in merged.items():
        sha = value if isinstance(value, str) else \
            git.run(["hash-object", "-w", "--stdin"], input=value).decode().strip()
        lines.append(f"100644 blob {sha}\t{path}")
    index = git.git_dir / f"sfenv-sync-index-{random.getrandbits(32):08x}"
    try:
        env = {"GIT_INDEX_FILE": str(index)}
        git.run(["read-tree", "--empty"], env=env)
        git.run(["update-index", "--index-info"], input=("\n".join(lines) + "\n").encode(),
                env=env)
        tree = git.run(["write-tree"], env=env).decode().strip()
    finally:
        index.unlink(missing_ok=True)
    message = b"sfenv sync: merged the release record of two jobs\n"
    return git.run(["commit-tree", tree, "-p", ours, "-p", theirs], input=message).decode().strip()


def _superseded_ref(ref: str, sha: str) -> str:
    return f"{SUPERSEDED}{ref[len('refs/'):]}/{sha[:12]}"


def _reconcile(git: Git, ref: str, local: str | None, remote: str | None,
               replay: Callable[[list[dict[str, str]]], dict[str, dict[str, str]]],
               local_updates: dict[str, tuple[str | None, str]],
               pushes: dict[str, tuple[str | None, str]]) -> RefOutcome | None:
    """Decide one ref: fills `local_updates`/`pushes` (ref -> (expected old, new))."""
    if local == remote:
        return None
    if remote is None:
        assert local is not None
        pushes[ref] = (None, local)
        return RefOutcome(ref, "pushed", "new")
    if local is None:
        local_updates[ref] = (None, remote)
        return RefOutcome(ref, "fetched", "new")
    if _is_ancestor(git, remote, local):
        pushes[ref] = (remote, local)
        return RefOutcome(ref, "pushed", f"{remote[:12]}..{local[:12]}")
    if _is_ancestor(git, local, remote):
        local_updates[ref] = (local, remote)
        return RefOutcome(ref, "fetched", f"{local[:12]}..{remote[:12]}")
    if ref.startswith("refs/tags/"):
        return RefOutcome(ref, "conflict", f"the tag is {local[:12]} here and {remote[:12]} "
                                           f"on the remote; tags never move: left as they are")
    if ref == RELEASES_REF:
        try:
            merged = _merge_records(git, local, remote, replay)
        except StoreError as err:
            return RefOutcome(ref, "conflict", str(err))
        local_updates[ref] = (local, merged)
        pushes[ref] = (remote, merged)
        return RefOutcome(ref, "merged", f"{local[:12]} + {remote[:12]} -> {merged[:12]}")
    if _commit_time(git, local) >= _commit_time(git, remote):
        keep = _superseded_ref(ref, remote)
        pushes[ref] = (remote, local)
        local_updates[keep] = (None, remote)
        return RefOutcome(ref, "kept-local", f"another job's {remote[:12]} was older: kept as "
                                             f"{keep}")
    keep = _superseded_ref(ref, local)
    local_updates[ref] = (local, remote)
    local_updates[keep] = (None, local)
    return RefOutcome(ref, "kept-remote", f"this job's {local[:12]} was older than the "
                                          f"remote's {remote[:12]}: kept as {keep}")


def _apply_local(git: Git, updates: dict[str, tuple[str | None, str]]) -> None:
    """Compare-and-swap every local update in one transaction (all or none)."""
    if not updates:
        return
    lines = "".join(f"update {ref} {new} {old or ZERO}\n" for ref, (old, new) in updates.items())
    try:
        git.run(["update-ref", "--stdin", "-m", "sfenv sync"],
                input=f"start\n{lines}prepare\ncommit\n".encode())
    except StoreError as err:
        raise LeaseLost(str(err)) from None


def _push(git: Git, remote: str, pushes: dict[str, tuple[str | None, str]]) -> None:
    if not pushes:
        return
    args = ["push", "--atomic", "--porcelain", "--quiet", remote]
    for ref, (old, new) in sorted(pushes.items()):
        args.append(f"--force-with-lease={ref}:{old or ''}")
        args.append(f"{new}:{ref}")
    proc = subprocess.run(["git", *args], capture_output=True, env=git.base_env, check=False)
    if proc.returncode == 0:
        return
    text = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    if any(sign in text for sign in _RACE_SIGNS):
        raise LeaseLost(text.strip().splitlines()[-1] if text.strip() else "rejected")
    last = " | ".join(text.strip().splitlines()[-3:]) if text.strip() else f"exit {proc.returncode}"
    raise SyncError(f"sync: git push to {remote} failed: {last}")


# How git says another push got there first: a lease that no longer holds, a ref the remote
# moved, or a ref another receive-pack holds locked at that moment.
_RACE_SIGNS = ("stale info", "fetch first", "non-fast-forward", "[rejected]",
               "cannot lock ref", "atomic transaction failed", "failed to update ref",
               "Unable to create", "File exists")


def sync(git: Git, remote: str,
         replay: Callable[[list[dict[str, str]]], dict[str, dict[str, str]]], *,
         attempts: int = 8, sleep: Callable[[float], None] = time.sleep) -> SyncResult:
    """Fetch, reconcile and push until one atomic push goes through (or `attempts` runs out:
    StoreError saying so; nothing half-pushed, local refs only moved to states that contain
    the remote's)."""
    _check_remote(git, remote)
    result = SyncResult(remote)
    for attempt in range(1, attempts + 1):
        result.attempts = attempt
        remote_refs = _fetch(git, remote)
        local_refs = _refs(git, SCOPES)
        local_updates: dict[str, tuple[str | None, str]] = {}
        pushes: dict[str, tuple[str | None, str]] = {}
        outcomes = []
        for ref in sorted(set(local_refs) | set(remote_refs)):
            outcome = _reconcile(git, ref, local_refs.get(ref), remote_refs.get(ref), replay,
                                 local_updates, pushes)
            if outcome is not None:
                outcomes.append(outcome)
        # A tip kept by an earlier attempt is already here: nothing to create again.
        local_updates = {ref: (old, new) for ref, (old, new) in local_updates.items()
                         if not (old is None and local_refs.get(ref) == new)}
        # Superseded tips kept locally are shared too (they are new on the remote).
        for ref, (_old, new) in list(local_updates.items()):
            if ref.startswith(SUPERSEDED) and ref not in remote_refs:
                pushes[ref] = (None, new)
        try:
            _apply_local(git, local_updates)
            _push(git, remote, pushes)
        except LeaseLost as lost:  # another job got there first: wait a random, growing while
            if os.environ.get("SFENV_SYNC_DEBUG"):  # why each attempt lost, for a support case
                print(f"sync attempt {attempt}: {lost}", file=sys.stderr)
            sleep(random.uniform(0.05, min(MAX_BACKOFF_S, 0.1 * 2 ** attempt)))
            continue
        result.outcomes = outcomes
        return result
    raise SyncError(f"sync: {remote} kept moving; gave up after {attempts} attempts (run "
                    f"`sfenv sync` again)")
