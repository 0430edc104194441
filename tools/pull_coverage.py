"""Measure how much of an org a pull keeps: served files vs. snapshot files, time, peak memory.

Usage:
    python tools/pull_coverage.py ORG [--manifest default] [--json out.json]

ORG is a seed (`large:20000`, `acme-dev`), `every-type`, or a folder in Metadata API format (a
real org repository's `src/`; copied to a scratch folder, never modified; files holding git
conflict markers are left out and counted, as no org can hold them). A local org serves
it over HTTPS, `sfenv pull` takes a full snapshot, and the tool compares the files the org
serves (every file its inventory claims) with the files in the snapshot, grouping the gap by
metadata type. Time is the pull's wall time; peak memory is this process's peak RSS (the
local org runs in the same process, as in the benchmarks).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sfenv.config import load_config  # noqa: E402
from sfenv.core.metadata.registry import default_registry  # noqa: E402
from sfenv.io.store.snapshots import SnapshotStore  # noqa: E402
from sfenv.localorg.seeds import materialize  # noqa: E402
from sfenv.localorg.state.inventory import Inventory  # noqa: E402
from sfenv.localorg.testing import running_org  # noqa: E402
from sfenv.services.pull import pull_env  # noqa: E402

PASSWORD_VAR = "SFENV_COVERAGE_PW"


CONFLICT = (b"<<<<<<< ", b"\n<<<<<<< ")


def prepare(org: str, dest: Path) -> list[str]:
    """Copy or generate the org; files holding git conflict markers are left out (no org can
    hold them: they are a broken merge in the repository) and returned."""
    source = Path(org)
    if not source.is_dir():
        if org == "every-type":
            from sfenv.localorg.seeds.every_type import generate_every_type
            generate_every_type(dest)
        else:
            materialize(org, dest)
        return []
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".*", "package.xml",
                                                                 "destructiveChanges*.xml"))
    broken = []
    for path in sorted(dest.rglob("*")):
        if path.is_file() and any(mark in path.read_bytes()[:1 << 22] for mark in CONFLICT):
            broken.append(path.relative_to(dest).as_posix())
            path.unlink()
    return broken


def served_files(org_dir: Path) -> set[str]:
    """Files the local org can hand out: those its inventory attributes to a component."""
    return set(Inventory.of_folder(org_dir, default_registry()).paths())


def write_config(root: Path, org, manifest: str) -> Path:
    lines = ["project: coverage", 'api_version: "62.0"', f"manifest: {manifest}",
             "environments:", "  org:", f"    login_url: {org.instance_url}",
             f"    username: {org.username}", f"    password_env: {PASSWORD_VAR}"]
    if org.ca_file:
        lines.append(f"    ca_file: {org.ca_file}")
    lines += ["path: [org]", "pull:", "  poll_interval: 0.1", "  poll_max_interval: 1.0"]
    root.mkdir(parents=True, exist_ok=True)
    path = root / "sfenv.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def measure(org: str, manifest: str) -> dict:
    registry = default_registry()
    with tempfile.TemporaryDirectory(prefix="sfenv-coverage-") as tmp:
        work = Path(tmp)
        org_dir = work / "org"
        broken = prepare(org, org_dir)
        all_files = {str(p.relative_to(org_dir)).replace(os.sep, "/")
                     for p in org_dir.rglob("*") if p.is_file() and ".localorg" not in p.parts}
        served = served_files(org_dir)
        with running_org(org_dir) as handle:
            os.environ[PASSWORD_VAR] = handle.password + handle.security_token
            config = load_config(write_config(work / "project", handle, manifest))
            started = time.perf_counter()
            result = pull_env(config, "org")
            seconds = time.perf_counter() - started
        store = SnapshotStore(work / "project")
        snapshot = {p for p in store.files(result.commit) if not p.startswith(".sfenv/")}
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def by_type(paths: set[str]) -> dict[str, int]:
        counts = Counter((registry.component_of(p).type if registry.component_of(p) else "?")
                         for p in paths)
        return dict(counts.most_common())

    missing = served - snapshot
    return {
        "org": org, "manifest": manifest, "left_out_conflict_markers": len(broken),
        "conflict_examples": broken[:10], "files_in_folder": len(all_files),
        "not_served": len(all_files - served), "not_served_examples": sorted(all_files - served)[:20],
        "served": len(served), "snapshot": len(snapshot), "kept": len(served & snapshot),
        "kept_pct": round(100 * len(served & snapshot) / max(1, len(served)), 2),
        "missing_by_type": by_type(missing), "missing_examples": sorted(missing)[:20],
        "extra_in_snapshot": sorted(snapshot - served)[:20],
        "components": result.components, "skipped": len(result.skipped),
        "retrieves": result.retrieves, "accounting_totals": result.accounting.get("totals"),
        "warnings": len(result.warnings), "warning_examples": result.warnings[:10],
        "pull_seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("org", help="seed name or a Metadata API format folder")
    parser.add_argument("--manifest", default="default")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    figures = measure(args.org, args.manifest)
    text = json.dumps(figures, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
