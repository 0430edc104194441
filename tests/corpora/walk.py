"""`make corpora`: `sfenv delta` over every consecutive commit pair of every corpus bundle.

Each commit with a parent gives one pair (its first parent, itself): about 12,460 pairs over
the three bundles. A pair passes when the delta is computed and both layouts (Metadata API and
source) write only metadata paths inside the output folder. One line of JSON per pair goes to
the results file, so a run can be resumed (`--resume`) and its failures read afterwards; the
last line is the summary (pairs, seconds, failures by kind).

    python -m tests.corpora.walk --out corpora-walk.jsonl [--corpus NAME] [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from sfenv.errors import SfenvError
from tests.corpora.checks import check_written, corpora_dir
from tests.corpora.pairs import CORPORA


def consecutive_pairs(repo: Path) -> list[tuple[str, str]]:
    """(first parent, commit) for every commit of the checked-out branch's history that has a
    parent, oldest first."""
    out = subprocess.run(["git", "rev-list", "--reverse", "--parents", "HEAD"], cwd=repo,
                         check=True, capture_output=True, text=True).stdout
    pairs = []
    for line in out.splitlines():
        shas = line.split()
        if len(shas) >= 2:
            pairs.append((shas[1], shas[0]))
    return pairs


def clone(bundle: Path, dest: Path) -> Path:
    if not dest.exists():
        subprocess.run(["git", "clone", "-q", str(bundle), str(dest)], check=True)
    return dest


def same_tree(repo: Path, old: str, new: str) -> bool:
    """True when the two commits hold the same files (236 of DAHLIA's 440 Gearset commits)."""
    out = subprocess.run(["git", "rev-parse", f"{old}^{{tree}}", f"{new}^{{tree}}"], cwd=repo,
                         check=True, capture_output=True, text=True).stdout.split()
    return out[0] == out[1]


def walk_pair(repo: Path, old: str, new: str, scratch: Path,
              cache: dict[tuple[str, bytes], bytes] | None = None) -> dict:
    """One pair: "unchanged" (same tree, nothing to compute), "ok", "error" (a one-line
    SfenvError), "crash" or "wrote-outside-metadata". `cache` keeps canonical files between
    consecutive pairs (see `compute_delta`)."""
    from sfenv.services.train.delta import compute_delta, write_delta

    row: dict = {"old": old, "new": new}
    start = time.perf_counter()
    if same_tree(repo, old, new):
        row["kind"], row["seconds"] = "unchanged", round(time.perf_counter() - start, 3)
        return row
    try:
        result = compute_delta(repo, old, new, cache=cache)
        for fmt in ("mdapi", "source"):
            out = scratch / fmt
            shutil.rmtree(out, ignore_errors=True)
            written = write_delta(result, out, fmt=fmt)
            bad = check_written(out, written, fmt)
            if bad:
                row["kind"], row["error"] = "wrote-outside-metadata", bad[0]
                break
        else:
            row["kind"] = "ok"
        row["members"] = sum(len(v) for v in result.package.values())
        row["deleted"] = sum(len(v) for v in result.destructive.values())
    except SfenvError as err:
        row["kind"], row["error"] = "error", str(err).splitlines()[0][:300]
    except Exception as err:  # noqa: BLE001 - a crash is what this walk looks for
        row["kind"] = "crash"
        row["error"] = f"{type(err).__name__}: {str(err)[:200]}"
        row["where"] = traceback.format_exc().strip().splitlines()[-3].strip()[:200]
    row["seconds"] = round(time.perf_counter() - start, 3)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="corpora-walk.jsonl")
    parser.add_argument("--corpus", action="append", choices=CORPORA)
    parser.add_argument("--budget", type=float, default=0, help="stop after this many seconds")
    parser.add_argument("--resume", action="store_true", help="skip pairs already in --out")
    parser.add_argument("--work", default=None, help="folder for the clones (default: a tmp dir)")
    args = parser.parse_args(argv)
    source = corpora_dir()
    if source is None:
        print("corpora walk skipped: no ../shared/corpora beside the repository", file=sys.stderr)
        return 0
    results = Path(args.out)
    done: set[tuple[str, str]] = set()
    if args.resume and results.exists():
        for line in results.read_text().splitlines():
            row = json.loads(line)
            if "old" in row:
                done.add((row["old"], row["new"]))
    work = Path(args.work or tempfile.mkdtemp(prefix="sfenv-corpora-"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    counts: dict[str, int] = {}
    with results.open("a" if args.resume else "w") as sink:
        for name in args.corpus or CORPORA:
            repo = clone(source / f"{name}.bundle", work / name)
            cache: dict[tuple[str, bytes], bytes] = {}
            for old, new in consecutive_pairs(repo):
                if (old, new) in done:
                    continue
                if args.budget and time.monotonic() - start > args.budget:
                    break
                row = {"corpus": name, **walk_pair(repo, old, new, work / "out", cache)}
                counts[row["kind"]] = counts.get(row["kind"], 0) + 1
                sink.write(json.dumps(row) + "\n")
                sink.flush()
                if row["kind"] not in ("ok", "unchanged"):
                    print(f"{name} {old[:10]}..{new[:10]}: {row['kind']}: {row['error']}",
                          file=sys.stderr, flush=True)
        summary = {"summary": True, "pairs": sum(counts.values()), "by_kind": counts,
                   "seconds": round(time.monotonic() - start, 1)}
        sink.write(json.dumps(summary) + "\n")
    print(json.dumps(summary))
    return 1 if counts.keys() - {"ok", "unchanged"} else 0


if __name__ == "__main__":
    sys.exit(main())
