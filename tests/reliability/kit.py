"""Shared checks of the counted reliability suite: every case ends complete-and-correct, or
failed-and-untouched with a one-line error and the right exit code."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from click.testing import Result

from sfenv.io.store.snapshots import SnapshotStore

# one test module per family; `python -m tests.reliability.count` counts cases by these
FAMILIES = {
    "test_faults": "faults (pull, backup)",
    "test_kills": "server or sfenv killed mid-pull",
    "test_concurrency": "concurrency and locks",
    "test_hostile_zip": "hostile zips",
    "test_hostile_xml": "hostile XML",
    "test_hostile_config": "hostile config and manifests",
    "test_secrets": "secrets",
    "test_defects": "issue 13/10 defects (pull side)",
    "test_config_messages": "config messages and one-line errors (issues 23, 26)",
    "test_unknown_names": "unknown types and members, manifest size",
    "test_prune_races": "prune races and named backups",
    "test_tracking_gaps": "source-tracking counter discontinuities and verification",
    "test_promote_faults": "faults (promote, rollback)",
    "test_promote_kills": "sfenv killed mid-promotion, concurrent promotions",
    "test_promote_exactly_once": "lost deploy answers, org-bound and stacked rollbacks",
    "test_promote_kill_anywhere": "sfenv killed at every deploy and rollback boundary",
    "test_promote_step_resume": "resuming at every promotion and rollback step",
    "test_promote_recheck": "re-check before the deploy call",
    "test_promote_recheck_folders": "re-check before the deploy call",
    "test_promote_recheck_waves": "re-check before the deploy call",
    "test_promote_rollback_drift": "rollbacks keep the restored authors",
    "test_promote_reuse_validation": "quick deploy of a --check-only validation",
}


def error_line(result: Result) -> str:
    """The one line a failed command printed (stderr); asserts there is exactly one."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got: {result.stderr!r} / {result.stdout!r}"
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.output
    return lines[0]


def untouched(store_root: Path, env: str, before: str | None, result: Result,
              code: int) -> str:
    """Failed with `code`, one error line, and `env`'s ref where it was; returns the line."""
    assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
    line = error_line(result)
    assert SnapshotStore(store_root).head(env) == before, "the ref moved after a failure"
    return line


def complete(store_root: Path, env: str, baseline_tree: str, result: Result) -> str:
    """Exit 0 and a snapshot whose metadata equals the baseline's; returns the head commit."""
    assert result.exit_code == 0, result.output
    store = SnapshotStore(store_root)
    head = store.head(env)
    assert head is not None
    assert metadata_files(store, head) == metadata_files(store, baseline_tree), \
        "the snapshot differs from a clean pull's"
    return head


def metadata_files(store: SnapshotStore, commit_or_tree: str) -> dict[str, str]:
    """path -> blob of the metadata files (`.sfenv/` bookkeeping left out)."""
    return {p: b for p, b in store.files(commit_or_tree).items() if not p.startswith(".sfenv/")}


def zip_with(base: bytes, extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    """A copy of zip `base` with `extra` entries appended (names taken as given)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        for info, data in extra:
            dst.writestr(info, data)
    return out.getvalue()
