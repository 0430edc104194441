"""mypy with a per-package error budget that may only go down (`make lint`).

mypy reports errors the code had before type checking was enforced. Each package of `sfenv/`
may keep at most the errors it had when the budget was written (`tools/mypy-budget.json`);
a package over its budget fails the check, one under it is reported so the budget can be
lowered with `--update`. A package missing from the budget has a budget of 0.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = ROOT / "tools" / "mypy-budget.json"
ERROR = re.compile(r"^(sfenv/[^:]+):\d+: error:")


def package_of(path: str) -> str:
    """`sfenv/core/metadata/xmlio.py` -> `sfenv/core/metadata`; a top module -> `sfenv`."""
    parts = path.split("/")[:-1]
    if len(parts) > 1 and parts[1] in {"core", "io", "services"}:
        return "/".join(parts[:3])
    return "/".join(parts[:2])


def count_errors() -> tuple[Counter[str], str]:
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    counts: Counter[str] = Counter()
    for line in run.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            counts[package_of(match.group(1))] += 1
    if run.returncode not in (0, 1) or (run.returncode == 1 and not counts):
        raise SystemExit(f"mypy did not run: {run.stdout[-2000:]}{run.stderr[-2000:]}")
    return counts, run.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--update", action="store_true",
                        help="write today's counts as the budget (only lower counts are kept "
                             "unless --reset)")
    parser.add_argument("--reset", action="store_true",
                        help="with --update: take today's counts even where higher (after a "
                             "move of packages)")
    args = parser.parse_args()
    counts, output = count_errors()
    budget: dict[str, int] = json.loads(BUDGET.read_text()) if BUDGET.exists() else {}
    if args.update:
        merged = dict(counts) if args.reset else {
            pkg: min(n, budget.get(pkg, n)) for pkg, n in counts.items()}
        BUDGET.write_text(json.dumps(dict(sorted(merged.items())), indent=2) + "\n")
        print(f"mypy budget written: {sum(merged.values())} errors in {len(merged)} packages")
        return 0
    over = {pkg: (n, budget.get(pkg, 0)) for pkg, n in counts.items() if n > budget.get(pkg, 0)}
    under = {pkg: (counts.get(pkg, 0), n) for pkg, n in budget.items()
             if counts.get(pkg, 0) < n}
    for pkg, (n, allowed) in sorted(over.items()):
        print(f"mypy: {pkg} has {n} errors, its budget is {allowed}:")
        print("\n".join(line for line in output.splitlines() if line.startswith(pkg + "/")))
    for pkg, (n, allowed) in sorted(under.items()):
        print(f"mypy: {pkg} is down to {n} errors (budget {allowed}): lower it with "
              f"`python tools/mypy_budget.py --update`")
    total = sum(counts.values())
    print(f"mypy: {total} errors, budget {sum(budget.values())}"
          + (" — over budget" if over else " — within budget"))
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
