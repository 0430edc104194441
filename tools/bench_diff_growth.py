"""The diff's growth in a file's element count: `diff_trees` of a canonical profile of N field
permissions against a copy with 1% of the entries removed and 1% changed, CPU seconds (best of
R runs, `gc.collect()` before each) per size and the ratio of each step. A linear diff gives
x2 per doubling and x2.5 from 40k to 100k; a quadratic one x4 and x6.25.

    .venv/bin/python tools/bench_diff_growth.py [--sizes 10000,20000,40000,100000] [--runs 5]
        [--gc-off]

CPU seconds, not wall: on a shared machine the step ratios of single runs still move by
20-40% with the load, so compare each size's best over several runs.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sfenv.core.compare.diff import diff_trees  # noqa: E402
from sfenv.core.metadata.registry import default_registry  # noqa: E402
from sfenv.core.metadata.xmlio import canonicalize  # noqa: E402
from tests.unit.metadata.test_growth import shuffled_profile  # noqa: E402

PATH = "profiles/Admin.profile"
ENTRY = "    <fieldPermissions>"


def pair(entries: int) -> tuple[bytes, bytes]:
    """(old, new) canonical profiles: new drops every 100th field permission and makes another
    1% read-only."""
    old = canonicalize(PATH, shuffled_profile(entries), default_registry())
    head, *parts = old.decode().split(ENTRY)
    new = [head]
    for i, part in enumerate(parts):
        if i % 100 == 0:
            continue
        if i % 100 == 50:
            part = part.replace("<editable>true</editable>", "<editable>false</editable>", 1)
        new.append(part)
    return old, ENTRY.join(new).encode()


def best_cpu(work: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,20000,40000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gc-off", action="store_true", help="disable the cyclic GC while timing")
    args = parser.parse_args(argv)
    registry = default_registry()
    previous: tuple[int, float] | None = None
    print("| entries | diff CPU s | µs per entry | step |")
    print("| ---: | ---: | ---: | --- |")
    for entries in (int(s) for s in args.sizes.split(",")):
        old, new = pair(entries)
        if args.gc_off:
            gc.disable()
        cpu = best_cpu(lambda a=old, b=new: diff_trees({PATH: a}, {PATH: b}, registry=registry),
                       args.runs)
        gc.enable()
        step = (f"x{cpu / previous[1]:.2f} for x{entries / previous[0]:g}"
                if previous else "")
        print(f"| {entries:,} | {cpu:.3f} | {1e6 * cpu / entries:.1f} | {step} |", flush=True)
        previous = (entries, cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
