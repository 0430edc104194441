"""Compare sfenv's source conversion and delta with the Salesforce CLI's on real sfdx repositories.

For each repository (a git clone with a work tree; never committed to sfenv):
  1. conversion at a commit: sfenv's Metadata API tree vs the CLI's converter
     (tools/sdr_convert.js, the library `sf project convert source` runs), raw bytes and
     normalised (sfenv's canonical XML; zips by their entries);
  2. round trip source -> mdapi -> source: strict bytes, and keeping unchanged-XML formatting;
  3. delta between consecutive commits touching the project: package.xml and destructive
     members of `sfenv delta` vs sfdx-git-delta (tools/sgd_delta.mjs).

    npm install --prefix ~/.cache/sfenv-sf @salesforce/cli sfdx-git-delta
    python tools/compare_real_repos.py --node-modules ~/.cache/sfenv-sf/node_modules \
        --pairs 20 --json figures.json CLONE...
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sfenv.core.metadata.package_xml import parse_package  # noqa: E402
from sfenv.core.metadata.registry import default_registry  # noqa: E402
from sfenv.core.metadata.xmlio import canonicalize  # noqa: E402
from sfenv.core.metadata.ziputil import read_zip  # noqa: E402
from sfenv.io.source.convert import to_source  # noqa: E402
from sfenv.io.source.load import load_tree  # noqa: E402
from sfenv.io.source.paths import locate  # noqa: E402
from sfenv.io.source.project import read_project, source_files  # noqa: E402
from sfenv.io.source.trees import read_dir, read_git, resolve_ref  # noqa: E402
from sfenv.services.train.delta import compute_delta  # noqa: E402


def node(script: str, args: list[str], node_modules: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NODE_PATH": str(node_modules), "SF_DISABLE_TELEMETRY": "true"}
    return subprocess.run(["node", str(ROOT / "tools" / script), *args], env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def _equal(path: str, a: bytes, b: bytes, registry, *, normalised: bool) -> bool:
    if a == b:
        return True
    if not normalised:
        return False
    if path.endswith(".resource") and a[:4] == b[:4] == b"PK\x03\x04":
        return read_zip(a, path) == read_zip(b, path)
    try:
        return canonicalize(path, a, registry) == canonicalize(path, b, registry)
    except Exception:  # noqa: BLE001 - a file the CLI wrote that we cannot parse is a difference
        return False


def conversion(repo: Path, commit: str, node_modules: Path) -> dict:
    registry = default_registry()
    files = read_git(repo, commit)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        for path, data in files.items():
            target = project / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        started = time.monotonic()
        done = node("sdr_convert.js", [str(project), str(Path(tmp) / "cli")], node_modules)
        cli_s = time.monotonic() - started
        if done.returncode != 0:
            return {"error": done.stderr.strip()[-500:]}
        cli = read_dir(Path(tmp) / "cli")
    cli.pop("package.xml", None)
    started = time.monotonic()
    loaded = load_tree(files, str(repo), registry)
    ours_s = time.monotonic() - started
    ours = loaded.files
    paths = sorted(set(ours) | set(cli))
    raw = [p for p in paths if p in ours and p in cli and _equal(p, ours[p], cli[p], registry, normalised=False)]
    norm = [p for p in paths if p in ours and p in cli and _equal(p, ours[p], cli[p], registry, normalised=True)]
    differences = [{"path": p, "why": "only sfenv" if p not in cli else "only CLI" if p not in ours
                    else "content"} for p in paths if p not in norm]
    raw_only_norm = sorted(set(norm) - set(raw))
    # round trip
    project = read_project(files, str(repo))
    original: dict[str, bytes] = {}
    for path, data in source_files(files, project).items():
        if locate(path, registry, registry.source) is None:
            continue  # not metadata (jest mocks...): never converted
        for pkg in project.package_dirs:
            if path.startswith(pkg + "/"):
                original[path[len(pkg) + 1:].removeprefix("main/default/")] = data
    strict = to_source(ours, registry).files
    kept = to_source(ours, registry, existing=original).files
    return {
        "commit": commit, "files_sfenv": len(ours), "files_cli": len(cli),
        "raw_equal": len(raw), "normalised_equal": len(norm), "differences": differences,
        "equal_only_once_normalised": raw_only_norm,
        "seconds_sfenv": round(ours_s, 3), "seconds_cli": round(cli_s, 3),
        "round_trip_files": len(original),
        "round_trip_strict_identical": sum(1 for p, d in strict.items() if original.get(p) == d),
        "round_trip_identical_keeping_format": sum(1 for p, d in kept.items() if original.get(p) == d),
        "round_trip_missing": sorted(set(original) - set(kept)),
        "round_trip_extra": sorted(set(kept) - set(original)),
    }


def _members(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    pkg = parse_package(path.read_bytes(), str(path))
    return {f"{t}:{m}" for t, ms in pkg.types.items() for m in ms}


def deltas(repo: Path, pairs: int, node_modules: Path) -> dict:
    project = read_project(read_git(repo, resolve_ref(repo, "HEAD"),
                                    wanted=lambda p: p == "sfdx-project.json"), str(repo))
    log = subprocess.run(["git", "-C", str(repo), "log", "--format=%H", "--first-parent",
                          f"-{pairs + 1}", "HEAD", "--", *project.package_dirs],
                         capture_output=True, text=True, check=True).stdout.split()
    results = []
    for new, old in zip(log, log[1:], strict=False):
        ours = compute_delta(repo, old, new)
        ours_pkg = {f"{t}:{m}" for t, ms in ours.package.items() for m in ms}
        ours_del = {f"{t}:{m}" for t, ms in ours.destructive.items() for m in ms}
        with tempfile.TemporaryDirectory() as tmp:
            done = node("sgd_delta.mjs", [str(repo), old, new, tmp], node_modules)
            if done.returncode != 0:
                results.append({"from": old, "to": new, "error": done.stderr.strip()[-300:]})
                continue
            sgd_pkg = _members(Path(tmp) / "package" / "package.xml")
            sgd_del = _members(Path(tmp) / "destructiveChanges" / "destructiveChanges.xml")
        results.append({
            "from": old[:12], "to": new[:12], "sfenv_package": len(ours_pkg), "sgd_package": len(sgd_pkg),
            "sfenv_destructive": len(ours_del), "sgd_destructive": len(sgd_del),
            "package_only_sfenv": sorted(ours_pkg - sgd_pkg), "package_only_sgd": sorted(sgd_pkg - ours_pkg),
            "destructive_only_sfenv": sorted(ours_del - sgd_del),
            "destructive_only_sgd": sorted(sgd_del - ours_del),
            "held_by_sfenv": [h.component for h in ours.held],
        })
    agree = sum(1 for r in results if "error" not in r and not any(
        r[k] for k in ("package_only_sfenv", "package_only_sgd", "destructive_only_sfenv",
                       "destructive_only_sgd")))
    return {"pairs": len(results), "pairs_agreeing": agree, "results": results}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--node-modules", type=Path, required=True)
    parser.add_argument("--ref", default="HEAD")
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report = {}
    for repo in args.repos:
        commit = resolve_ref(repo, args.ref)
        entry = {"conversion": conversion(repo, commit, args.node_modules),
                 "delta": deltas(repo, args.pairs, args.node_modules)}
        report[repo.name] = entry
        c, d = entry["conversion"], entry["delta"]
        print(f"{repo.name}: conversion {c.get('normalised_equal')}/{c.get('files_cli')} equal "
              f"normalised, {c.get('raw_equal')} byte for byte; round trip "
              f"{c.get('round_trip_identical_keeping_format')}/{c.get('round_trip_files')} "
              f"(strict {c.get('round_trip_strict_identical')}); delta {d['pairs_agreeing']}/"
              f"{d['pairs']} commit pairs agree with sfdx-git-delta")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
