"""Benchmark harness: `--bench-out PATH` collects every benchmark's figures into one JSON file.

Each benchmark records seconds, counts and, where it has one, a baseline measured in the same
run; the JSON carries the ratio to that baseline (never a comparison with an absolute time, so
figures from a slow and a fast machine stay comparable). A short table is printed at the end.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

DEFAULT_COMPONENTS = 60000


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bench", "sfenv benchmarks")
    group.addoption("--bench-out", default="bench-results.json",
                    help="JSON file the benchmark figures are written to")
    group.addoption("--bench-components", type=int, default=DEFAULT_COMPONENTS,
                    help="size of the generated org (top-level components)")
    group.addoption("--bench-mutate", type=float, default=0.01,
                    help="share of components changed before the incremental pull")


@dataclass
class Figure:
    """One benchmark's figures."""

    name: str
    seconds: float | None = None
    counts: dict = field(default_factory=dict)
    baseline: str | None = None          # what the baseline measures
    baseline_seconds: float | None = None
    ratios: dict = field(default_factory=dict)   # name -> ratio (measured / baseline)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        out: dict = {"seconds": _round(self.seconds), "counts": self.counts}
        if self.baseline:
            out["baseline"] = {"what": self.baseline, "seconds": _round(self.baseline_seconds)}
        if self.ratios:
            out["ratios"] = {k: _round(v, 4) for k, v in self.ratios.items()}
        if self.notes:
            out["notes"] = self.notes
        return out


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


class Bench:
    """The figures of one `make bench` run, written as JSON at the end of the session."""

    def __init__(self, out: Path, components: int, mutate: float) -> None:
        self.out = out
        self.components = components
        self.mutate = mutate
        self.started = datetime.now(UTC)
        self.load_start = _loadavg()
        self.figures: dict[str, Figure] = {}
        # the tree measured is the one at start (others may commit while the benches run)
        self.git_commit, self.git_dirty = _git_commit(), _git_dirty()

    def figure(self, name: str) -> Figure:
        return self.figures.setdefault(name, Figure(name))

    def ratio(self, fig: Figure, name: str, measured: float, baseline: float) -> float:
        value = measured / baseline if baseline > 0 else float("inf")
        fig.ratios[name] = value
        return value

    def to_json(self) -> dict:
        return {
            "date": self.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "git_commit": self.git_commit,
            "git_dirty": self.git_dirty,   # uncommitted changes were in the tree measured
            "machine": {
                "platform": platform.platform(), "python": sys.version.split()[0],
                "cpu_count": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                "load_average_start": self.load_start, "load_average_end": _loadavg(),
            },
            "scale": {"components": self.components, "mutate_share": self.mutate},
            "duration_s": round((datetime.now(UTC) - self.started).total_seconds(), 1),
            "benchmarks": {name: fig.to_json() for name, fig in self.figures.items()},
        }

    def write(self) -> None:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(json.dumps(self.to_json(), indent=2) + "\n")

    def table(self) -> list[str]:
        rows = [f"{'benchmark':<22} {'seconds':>9} {'baseline s':>10}  ratios / counts"]
        for name, fig in self.figures.items():
            base = f"{fig.baseline_seconds:10.2f}" if fig.baseline_seconds is not None else " " * 10
            secs = f"{fig.seconds:9.2f}" if fig.seconds is not None else "        -"
            extra = ", ".join([f"{k}={v:.3g}" for k, v in fig.ratios.items()]
                              + [f"{k}={v}" for k, v in fig.counts.items()])
            rows.append(f"{name:<22} {secs} {base}  {extra}")
            rows += [f"{'':<22}   note: {note}" for note in fig.notes]
        return rows


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).parent, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _git_dirty() -> bool | None:
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                             capture_output=True, text=True, cwd=Path(__file__).parent, check=True)
        return bool(out.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return None


_BENCH_KEY = pytest.StashKey[Bench]()


def pytest_configure(config: pytest.Config) -> None:
    out = Path(config.getoption("--bench-out"))
    config.stash[_BENCH_KEY] = Bench(out, config.getoption("--bench-components"),
                                     config.getoption("--bench-mutate"))


@pytest.fixture(scope="session")
def bench(pytestconfig: pytest.Config) -> Bench:
    return pytestconfig.stash[_BENCH_KEY]


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    bench = config.stash.get(_BENCH_KEY, None)
    if bench is None or not bench.figures:
        return
    bench.write()
    terminalreporter.section("sfenv benchmarks")
    load = bench.load_start
    terminalreporter.write_line(f"{bench.components} components, {os.cpu_count()} cores, "
                                f"load average at start {load}")
    for row in bench.table():
        terminalreporter.write_line(row)
    terminalreporter.write_line(f"figures written to {bench.out}")


@pytest.fixture(scope="session")
def scenario(tmp_path_factory, bench):
    """The generated org and its steps, shared by every benchmark file (see scenario.py)."""
    from tests.bench.scenario import Scenario

    sc = Scenario(tmp_path_factory.mktemp("bench"), bench.components, bench.mutate)
    yield sc
    sc.close()
