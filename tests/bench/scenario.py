"""The benchmark scenario: one generated org, pulled, mutated, pulled again, compared, released.

Steps run once per session and on demand, so each benchmark asks for what it needs in any
order. Everything sfenv does goes over HTTPS to a local org, as in the end-to-end tests; only
the baselines read files directly.

Refs in the metadata repository: `prod` holds the full pull before the mutation (A); `dev`
starts at A and its incremental pull after the mutation gives B. A second, full pull of the
mutated org goes to a separate repository (the correctness guard: its tree must equal B's).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from sfenv.config import load_config
from sfenv.config.model import Config
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.seeds import materialize
from sfenv.localorg.seeds.generate import mutate_org
from sfenv.localorg.testing import LocalOrgHandle, running_org
from sfenv.services.pull import PullResult, pull_env

PASSWORD_VAR = "SFENV_BENCH_PW"
MUTATE_SEED = 1


def org_files(root: Path) -> dict[str, bytes]:
    """Every metadata file of an org folder (hidden state such as `.localorg/` left out)."""
    out: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel = os.path.relpath(dirpath, root)
        for name in filenames:
            if name.startswith("."):
                continue
            path = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
            with open(os.path.join(dirpath, name), "rb") as fh:
                out[path] = fh.read()
    return out


def write_config(root: Path, org: LocalOrgHandle, envs: list[str]) -> Path:
    """sfenv.yml with every env pointing at the same local org (the store refs tell them apart).

    Polling is tightened (0.1 s, at most 1 s) so that the figures measure sfenv and the org,
    not the wait between status checks; chunk size and parallelism keep sfenv's defaults."""
    lines = ["project: bench", 'api_version: "62.0"', "environments:"]
    for env in envs:
        lines += [f"  {env}:", f"    login_url: {org.instance_url}", f"    username: {org.username}",
                  f"    password_env: {PASSWORD_VAR}"]
        if org.ca_file:
            lines.append(f"    ca_file: {org.ca_file}")
        if env == envs[-1]:
            lines.append("    production: true")
    lines.append(f"path: [{', '.join(envs)}]")
    lines += ["pull:", "  poll_interval: 0.1", "  poll_max_interval: 1.0"]
    path = root / "sfenv.yml"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


class Timer:
    """`with Timer() as t: ...; t.seconds`"""

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start


@dataclass
class Step:
    seconds: float
    value: object = None
    extra: dict = field(default_factory=dict)


class Scenario:
    """Lazily computed steps over one generated org of `components` components."""

    def __init__(self, workdir: Path, components: int, mutate_share: float) -> None:
        self.workdir = workdir
        self.components = components
        self.changes = max(1, round(components * mutate_share))
        self.org_dir = workdir / "org"
        self.project = workdir / "project"
        self._stack = ExitStack()
        self._steps: dict[str, Step] = {}
        self._org: LocalOrgHandle | None = None
        self._old_password = os.environ.get(PASSWORD_VAR)

    def close(self) -> None:
        self._stack.close()
        if self._old_password is None:
            os.environ.pop(PASSWORD_VAR, None)
        else:
            os.environ[PASSWORD_VAR] = self._old_password

    def _once(self, name: str, run) -> Step:
        if name not in self._steps:
            self._steps[name] = run()
        return self._steps[name]

    # -- 1. the org ----------------------------------------------------------------------------
    def generated(self) -> Step:
        def run() -> Step:
            with Timer() as t:
                materialize(f"large:{self.components}", self.org_dir)
            files = org_files(self.org_dir)
            return Step(t.seconds, extra={"files": len(files),
                                          "mb": sum(map(len, files.values())) / 1e6})
        return self._once("generated", run)

    def org(self) -> LocalOrgHandle:
        if self._org is None:
            self.generated()
            self._org = self._stack.enter_context(running_org(self.org_dir))
            self._org.set_source_tracking()   # a Developer sandbox with source tracking
            os.environ[PASSWORD_VAR] = self._org.password + self._org.security_token
            write_config(self.project, self._org, ["dev", "prod"])
        return self._org

    def config(self) -> Config:
        self.org()
        return load_config(self.project / "sfenv.yml")

    def store(self) -> SnapshotStore:
        """A fresh store object (no in-memory caches carried from an earlier step)."""
        return SnapshotStore(self.project)

    # -- 2. full pull ----------------------------------------------------------------------------
    def full_pull(self) -> Step:
        def run() -> Step:
            config = self.config()
            with Timer() as t:
                result = pull_env(config, "prod")
            return Step(t.seconds, result, {"chunk_size": self._chunk_size(self.store(), result),
                                            "configured_chunk_size": config.pull.chunk_size,
                                            "parallel": config.pull.parallel})
        return self._once("full_pull", run)

    def zip_baseline(self) -> Step:
        """Read the org folder's files and zip them: the floor under any retrieve of them."""
        def run() -> Step:
            from sfenv.core.metadata.ziputil import write_zip

            self.generated()
            with Timer() as t:
                data = write_zip(org_files(self.org_dir))
            return Step(t.seconds, extra={"zip_mb": len(data) / 1e6})
        return self._once("zip_baseline", run)

    @staticmethod
    def _chunk_size(store: SnapshotStore, result: PullResult) -> int | None:
        path = store.git_dir / "sfenv" / "chunk-size.json"
        try:
            return json.loads(path.read_text()).get(result.org_id)
        except (OSError, ValueError):
            return None

    # -- 3. mutation and incremental pull ---------------------------------------------------
    def mutated(self) -> Step:
        """Change 1% of the components on disk and record their dates in the running org (the
        org reads the folder at request time, but its lastModifiedDate data lives in its own
        state, which `mutate_org` cannot reach once the org has started)."""
        def run() -> Step:
            org = self.org()
            self.full_pull()
            with Timer() as t:
                touched = mutate_org(self.org_dir, self.changes, MUTATE_SEED)
            deleted = [c for c in touched if c.startswith("ApexClass:")
                       and not (self.org_dir / "classes" / f"{c.split(':', 1)[1]}.cls").exists()]
            state = org.server.org
            with state.lock:
                state.touch_components([c for c in touched if c not in deleted], state.admin)
                state.forget_components(deleted)
                state.save()
            return Step(t.seconds, touched, {"changed": len(touched), "deleted": len(deleted)})
        return self._once("mutated", run)

    def incremental_pull(self) -> Step:
        def run() -> Step:
            before = self.full_pull().value.commit
            store = self.store()
            store.update_ref(store.env_ref("dev"), before, None, message="bench: dev = prod")
            self.mutated()
            config = self.config()
            with Timer() as t:
                result = pull_env(config, "dev")
            return Step(t.seconds, result)
        return self._once("incremental_pull", run)

    def check_pull(self) -> Step:
        """A full pull of the mutated org into another repository (the correctness guard)."""
        def run() -> Step:
            self.mutated()
            store = SnapshotStore(self.workdir / "check")
            with Timer() as t:
                result = pull_env(self.config(), "dev", full=True, store=store)
            return Step(t.seconds, result, {"tree": store.tree_of(result.commit),
                                            "files": store.files(result.commit)})
        return self._once("check_pull", run)

    def commits(self) -> tuple[str, str]:
        """(before, after): the full pull A and the incremental pull B."""
        return self.full_pull().value.commit, self.incremental_pull().value.commit


def git_diff_tree(store: SnapshotStore, a: str, b: str) -> int:
    """`git diff-tree -r` of two commits: the baseline of the diff benchmark (lines out)."""
    out = subprocess.run(["git", "--git-dir", str(store.git_dir), "diff-tree", "-r", a, b],
                         capture_output=True, check=True).stdout
    return out.count(b"\n")


class BlobCounter:
    """Counts the blobs a store reads (every read goes through `store.git.read_blobs`)."""

    def __init__(self, store: SnapshotStore) -> None:
        self.blobs = 0
        self.calls = 0
        inner = store.git.read_blobs

        def counting(shas):
            shas = list(shas)
            self.blobs += len(shas)
            self.calls += 1
            return inner(shas)

        store.git.read_blobs = counting  # type: ignore[method-assign]
