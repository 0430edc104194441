"""Benchmarks at scale (`make bench`): one generated org, see `scenario.py` for the steps.

Each benchmark records seconds, counts and its ratio to a baseline measured in this run; the
only assertions are correctness guards (the incremental tree equals a full pull's tree), never
a time limit.
"""

from __future__ import annotations

import shutil

import pytest

from sfenv.core.compare.diff import diff_commits
from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.ziputil import read_zip, write_zip
from sfenv.services.train.train import build, plan
from tests.bench import sgd
from tests.bench.scenario import BlobCounter, Timer, git_diff_tree


def test_generate_org(scenario, bench):
    step = scenario.generated()
    fig = bench.figure("generate")
    fig.seconds = step.seconds
    fig.counts = {"components": scenario.components, "files": step.extra["files"],
                  "mb": round(step.extra["mb"], 1)}


def test_full_pull(scenario, bench):
    step = scenario.full_pull()
    base = scenario.zip_baseline()
    result = step.value
    fig = bench.figure("full_pull")
    fig.seconds = step.seconds
    fig.baseline, fig.baseline_seconds = "read + write_zip of the org folder's files", base.seconds
    fig.counts = {"components": result.components, "retrieves": result.retrieves,
                  "chunk_size": step.extra["chunk_size"],
                  "configured_chunk_size": step.extra["configured_chunk_size"],
                  "parallel": step.extra["parallel"],
                  "components_per_s": round(result.components / step.seconds, 1),
                  "skipped": len(result.skipped), "zip_mb": round(base.extra["zip_mb"], 1),
                  **result.cost}
    bench.ratio(fig, "pull/baseline", step.seconds, base.seconds)
    assert not result.skipped, result.skipped[:5]


def test_incremental_pull(scenario, bench):
    full = scenario.full_pull()
    mutated = scenario.mutated()
    step = scenario.incremental_pull()
    result = step.value
    fig = bench.figure("incremental_pull")
    fig.seconds = step.seconds
    fig.baseline, fig.baseline_seconds = "full pull of the same org (benchmark full_pull)", full.seconds
    fig.counts = {"changed_components": mutated.extra["changed"],
                  "deleted": mutated.extra["deleted"], "retrieved": result.retrieved,
                  "removed": result.removed, "retrieves": result.retrieves,
                  "incremental": result.incremental, **result.cost}
    bench.ratio(fig, "incremental/full", step.seconds, full.seconds)
    for key in ("api_calls", "list_calls", "bytes_retrieved"):
        if full.value.cost.get(key):
            bench.ratio(fig, f"incremental/full {key}", result.cost[key], full.value.cost[key])
    assert result.incremental

    # correctness guard: the incremental tree is the tree a full pull of the same org gives
    check = scenario.check_pull()
    fig.counts["check_full_pull_s"] = round(check.seconds, 2)
    store = scenario.store()
    if store.tree_of(result.commit) != check.extra["tree"]:
        mine, theirs = store.files(result.commit), check.extra["files"]
        differ = sorted(p for p in set(mine) | set(theirs) if mine.get(p) != theirs.get(p))
        pytest.fail(f"incremental tree differs from a full pull in {len(differ)} files: {differ[:20]}")


def test_diff_snapshots(scenario, bench):
    before, after = scenario.commits()
    store = scenario.store()
    shutil.rmtree(store.git_dir / "sfenv" / "diff-cache", ignore_errors=True)  # a cold diff
    counter = BlobCounter(store)
    with Timer() as t:
        diff = diff_commits(store, before, after, registry=default_registry())
    with Timer() as base:
        lines = git_diff_tree(store, before, after)
    fig = bench.figure("diff")
    fig.seconds, fig.baseline, fig.baseline_seconds = t.seconds, "git diff-tree -r", base.seconds
    fig.counts = {"rows": len(diff.changes), "files_changed": diff.files_changed,
                  "blobs_read": counter.blobs, "blob_batches": counter.calls,
                  "diff_tree_lines": lines}
    bench.ratio(fig, "diff/diff-tree", t.seconds, base.seconds)
    assert diff.changes

    # the same diff from another command (a fresh store object): read from the disk cache
    again = scenario.store()
    counter = BlobCounter(again)
    with Timer() as warm:
        cached = diff_commits(again, before, after, registry=default_registry())
    fig.counts.update({"warm_s": round(warm.seconds, 3), "warm_blobs_read": counter.blobs})
    bench.ratio(fig, "warm diff/diff-tree", warm.seconds, base.seconds)
    assert len(cached.changes) == len(diff.changes)


@pytest.fixture(scope="session")
def sgd_main(bench):
    """sfdx-git-delta's library (installed once into a cache folder), or None: why not."""
    return sgd.main_for(bench)


def _sgd_baseline(scenario, bench, sgd_main, fig, name: str, measured: float, *,
                  generate_delta: bool) -> None:
    """Run sgd on the same two snapshot commits (target A -> source B) and record the ratio."""
    if sgd_main is None:
        fig.notes.append(f"{name}: sfdx-git-delta not available, see the sgd figure")
        return
    before, after = scenario.commits()
    out = scenario.workdir / ("sgd-delta" if generate_delta else "sgd-manifest")
    got = sgd.run(sgd_main, scenario.project, before, after, out, generate_delta=generate_delta)
    fig.baseline = ("sfdx-git-delta --generate-delta (node process)" if generate_delta
                    else "sfdx-git-delta manifest (node process)")
    fig.baseline_seconds = got.seconds
    fig.counts.update({"sgd_s": round(got.seconds, 2), "sgd_library_s": round(got.library_seconds, 2),
                       "sgd_members": got.members, "sgd_destructive": got.destructive,
                       "sgd_files": got.files})
    bench.ratio(fig, name, measured, got.seconds)
    bench.ratio(fig, name + " (sgd library only)", measured, got.library_seconds)


def test_release_plan(scenario, bench, sgd_main):
    scenario.commits()
    store = scenario.store()
    shutil.rmtree(store.git_dir / "sfenv" / "diff-cache", ignore_errors=True)  # a cold plan
    with Timer() as t:
        planned = plan(scenario.config(), store, "bench-plan", source="dev", target="prod")
    fig = bench.figure("release_plan")
    fig.seconds = t.seconds
    fig.counts = {"adds": len(planned.adds), "changes": len(planned.changes),
                  "deletes": len(planned.deletes), "manual": len(planned.manual),
                  "files": planned.files, "waves": planned.waves,
                  "dependency_problems": len(planned.dependency_problems)}
    _sgd_baseline(scenario, bench, sgd_main, fig, "plan/sgd", t.seconds, generate_delta=False)
    assert planned.adds or planned.changes or planned.deletes


def test_release_build(scenario, bench, sgd_main):
    scenario.commits()
    store = scenario.store()
    with Timer() as t:
        built = build(scenario.config(), store, "bench-1", source="dev", target="prod")
    package = store.files(built.commit)
    zips = {p: store.read_blob(sha) for p, sha in package.items() if p.endswith("package.zip")}
    members: dict[str, bytes] = {}
    for path, data in zips.items():
        members.update({f"{path}/{k}": v for k, v in read_zip(data, path).items()})
    with Timer() as base:
        for data in zips.values():
            write_zip(read_zip(data, "package.zip"))
    fig = bench.figure("release_build")
    fig.seconds = t.seconds
    fig.notes.append("after release_plan of the same pair: its diff comes from the disk cache")
    fig.baseline = "read_zip + write_zip of the package's files"
    fig.baseline_seconds = base.seconds
    fig.counts = {"components": len(built.components), "deletes": len(built.deletes),
                  "files_in_package": built.files, "package_mb": round(built.bytes / 1e6, 2),
                  "waves": len(built.waves), "zips": len(zips)}
    bench.ratio(fig, "build/zip", t.seconds, base.seconds)
    zip_baseline = fig.baseline_seconds
    _sgd_baseline(scenario, bench, sgd_main, fig, "build/sgd-delta", t.seconds,
                  generate_delta=True)
    fig.counts["zip_baseline_s"] = round(zip_baseline, 3)
    assert built.files > 0 and members


def test_report(scenario, bench):
    from sfenv.services.report.collect import collect_report
    from sfenv.views.report import render_report

    scenario.commits()
    config, store = scenario.config(), scenario.store()
    with Timer() as collect:
        data = collect_report(config, store)
    with Timer() as render:
        html = render_report(data)
    fig = bench.figure("report")
    fig.seconds = collect.seconds + render.seconds
    fig.counts = {"collect_s": round(collect.seconds, 2), "render_s": round(render.seconds, 2),
                  "html_kb": round(len(html.encode()) / 1e3, 1),
                  "hop_rows_shown": sum(len(g.rows) for h in data.hops for g in h.groups),
                  "hop_differences": sum(h.total for h in data.hops)}
    assert "<html" in html.lower()
