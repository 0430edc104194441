"""Release plan and build against sfdx-git-delta on a pair shaped like issue 16's real one,
and their growth with the size of the org (`make bench`; see `realpair.py`).

No org and no pull: the two snapshots are written straight into a store, so these benchmarks
measure `plan`/`build` and sgd on the same two commits. Like every benchmark here the only
assertions are correctness guards; times are reported with their ratio to sgd in this run.
"""

from __future__ import annotations

import resource
import shutil
from pathlib import Path

import pytest

from sfenv.config import load_config
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.train.train import build, plan
from tests.bench import sgd
from tests.bench.realpair import RealPair, mutated_pair, real_pair
from tests.bench.scenario import Timer


def _cpu() -> float:
    """CPU seconds of this process and its finished children (git): steadier than wall time
    on a shared machine."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _plan_and_build(pair: RealPair, train: str) -> dict[str, float | int]:
    """Cold plan (no diff cache), then build (its diff from the plan's cache, as for a user)."""
    config = load_config(pair.project / "sfenv.yml")
    store = SnapshotStore(pair.project)
    shutil.rmtree(store.git_dir / "sfenv" / "diff-cache", ignore_errors=True)
    cpu = _cpu()
    with Timer() as t_plan:
        planned = plan(config, store, train, source="dev", target="prod")
    plan_cpu, cpu = _cpu() - cpu, _cpu()
    with Timer() as t_build:
        built = build(config, SnapshotStore(pair.project), train, source="dev", target="prod")
    build_cpu = _cpu() - cpu
    assert planned.files == built.files > 0  # the build packages what the plan announced
    return {"plan_s": t_plan.seconds, "plan_cpu_s": plan_cpu, "build_s": t_build.seconds,
            "build_cpu_s": build_cpu, "files_in_package": built.files,
            "packaged": len(built.components), "deletes": len(built.deletes),
            "dependency_problems": len(planned.dependency_problems)}


@pytest.fixture(scope="module")
def realpair(tmp_path_factory) -> RealPair:
    return real_pair(tmp_path_factory.mktemp("realpair") / "project")


def test_release_realpair(realpair, bench, sgd_main):
    """Issue 16's real pair: plan ≤ sgd's manifest, build ≤ sgd --generate-delta."""
    got = _plan_and_build(realpair, "realpair")
    fig = bench.figure("release_realpair")
    fig.seconds = got["plan_s"]
    fig.counts = {"files_before": realpair.files_before, "files_after": realpair.files_after,
                  "files_differing": realpair.files_differing,
                  **{k: round(v, 3) if isinstance(v, float) else v for k, v in got.items()}}
    if sgd_main is None:
        fig.notes.append("sfdx-git-delta not available, see the sgd figure")
        return
    out = realpair.project.parent
    manifest = sgd.run(sgd_main, realpair.project, realpair.before, realpair.after,
                       out / "sgd-manifest", generate_delta=False)
    delta = sgd.run(sgd_main, realpair.project, realpair.before, realpair.after,
                    out / "sgd-delta", generate_delta=True)
    fig.baseline = "sfdx-git-delta manifest (node process)"
    fig.baseline_seconds = manifest.seconds
    fig.counts.update({"sgd_s": round(manifest.seconds, 2),
                       "sgd_library_s": round(manifest.library_seconds, 2),
                       "sgd_delta_s": round(delta.seconds, 2),
                       "sgd_delta_library_s": round(delta.library_seconds, 2),
                       "sgd_members": manifest.members, "sgd_files": delta.files})
    bench.ratio(fig, "plan/sgd", got["plan_s"], manifest.seconds)
    bench.ratio(fig, "plan/sgd (sgd library only)", got["plan_s"], manifest.library_seconds)
    bench.ratio(fig, "build/sgd-delta", got["build_s"], delta.seconds)
    bench.ratio(fig, "build/sgd-delta (sgd library only)", got["build_s"], delta.library_seconds)
    # CPU beside wall: sfenv's process with its git children, sgd's node process with its own
    bench.ratio(fig, "plan/sgd CPU", float(got["plan_cpu_s"]), manifest.cpu_seconds)
    bench.ratio(fig, "build/sgd-delta CPU", float(got["build_cpu_s"]), delta.cpu_seconds)
    fig.notes.append("targets: plan <= sgd manifest, build <= sgd --generate-delta (one run "
                     "each; CPU ratios steadier than wall on a shared machine)")


def test_release_growth(bench, tmp_path_factory):
    """Plan and build on the scenario's kind of pair (1% of the components changed) at
    1/30, 1/3 and all of `--bench-components`: each step's time ratio against its size ratio
    (≤ 1 per step is linear or better)."""
    sizes = sorted({max(50, bench.components // 30), max(50, bench.components // 3),
                    bench.components})
    fig = bench.figure("release_growth")
    rows: list[dict[str, float | int]] = []
    for n in sizes:
        pair = mutated_pair(tmp_path_factory.mktemp(f"growth{n}") / "project", n)
        got = _plan_and_build(pair, f"growth-{n}")
        rows.append({"components": n, "files": pair.files_after,
                     "files_differing": pair.files_differing,
                     **{k: round(v, 3) if isinstance(v, float) else v for k, v in got.items()}})
    fig.seconds = sum(float(r["plan_s"]) + float(r["build_s"]) for r in rows)
    fig.counts = {"steps": rows}
    for small, large in zip(rows, rows[1:], strict=False):
        size = int(large["components"]) / int(small["components"])
        step = f"{small['components']}->{large['components']}"
        for what in ("plan_cpu_s", "build_cpu_s"):
            before = max(float(small[what]), 1e-3)
            bench.ratio(fig, f"{what} growth/size {step}", float(large[what]) / before, size)
    assert all(int(r["files_in_package"]) > 0 for r in rows)


@pytest.fixture(scope="module")
def sgd_main(bench) -> Path | None:
    """sfdx-git-delta's library, or None (the reason is in the `sgd` figure)."""
    return sgd.main_for(bench)
