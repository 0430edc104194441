"""Pull costs beyond time (`make bench`): an org without source tracking, and a pull measured
in a process of its own (peak RSS, the constant cost of starting one).

- incremental pull without tracking: the same 1% change, the same org with SourceMember
  switched off (as production and most sandboxes are): every type is listed again.
- full pull in its own process: wall time and peak RSS of `sfenv pull` (the org runs here).
"""

from __future__ import annotations

import shutil

import pytest

from sfenv.services.pull import pull_env
from tests.bench.pull_process import run_pull
from tests.bench.scenario import Timer


def test_incremental_pull_without_tracking(scenario, bench):
    full = scenario.full_pull()
    scenario.mutated()
    check = scenario.check_pull()
    store = scenario.store()
    store.update_ref(store.env_ref("dev"), full.value.commit, None, message="bench: dev = prod")
    org = scenario.org()
    org.set_source_tracking(False)
    try:
        with Timer() as t:
            result = pull_env(scenario.config(), "dev")
    finally:
        org.set_source_tracking(True)
        # the tracked incremental pull (test_scale) starts dev from no ref
        store.delete_ref(store.env_ref("dev"), store.ref_commit(store.env_ref("dev")))
    fig = bench.figure("incremental_pull_untracked")
    fig.seconds = t.seconds
    fig.baseline, fig.baseline_seconds = "full pull of the same org (benchmark full_pull)", full.seconds
    fig.counts = {"retrieved": result.retrieved, "removed": result.removed,
                  "retrieves": result.retrieves, **result.cost}
    bench.ratio(fig, "incremental/full", t.seconds, full.seconds)
    for key in ("api_calls", "list_calls", "bytes_retrieved"):
        if full.value.cost.get(key):
            bench.ratio(fig, f"incremental/full {key}", result.cost[key], full.value.cost[key])
    assert result.incremental and not result.cost["inventory"].startswith("source tracking")
    assert store.tree_of(result.commit) == check.extra["tree"], "incremental tree differs from a full pull"


def test_full_pull_in_its_own_process(scenario, bench, tmp_path):
    scenario.org()
    project = tmp_path / "own-process"
    project.mkdir()
    shutil.copy(scenario.project / "sfenv.yml", project / "sfenv.yml")
    run = run_pull(project, "prod")
    fig = bench.figure("full_pull_process")
    fig.seconds = run.seconds
    fig.counts = {"peak_rss_mb": round(run.peak_mb, 1), "components": run.result["components"],
                  **run.result.get("cost", {})}
    again = run_pull(project, "prod")  # nothing changed: the constant cost of a pull
    fig.counts["unchanged_pull_s"] = round(again.seconds, 2)
    fig.counts["unchanged_pull_peak_rss_mb"] = round(again.peak_mb, 1)
    if run.result["skipped"]:
        pytest.fail(f"skipped: {run.result['skipped'][:5]}")
