"""sfdx-git-delta as a baseline: installed with npm into a cache folder outside the repository,
run through its library entry (`lib/main.js`, what `sf sgd source delta` calls) by `node`.

`available()` installs it once (`~/.cache/sfenv-bench/sgd`, or `$SFENV_BENCH_CACHE/sgd`) and
says why not when node or npm or the registry is missing; the benchmarks then skip its part.
Node 20: the `undici` that sgd's Salesforce libraries pull in (8.x) needs Node 22, and sgd never
opens a connection, so the install pins undici 7 (which supports Node 20) through `overrides`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

VERSION = "6.31.0"
INSTALL_TIMEOUT_S = 600

RUNNER = """
const [,, lib, repo, from, to, output, delta] = process.argv;
const sgd = (await import(lib)).default;
const t = performance.now();
const work = await sgd({ from, to, output, repo, source: ['.'], ignoreWhitespace: false,
  generateDelta: delta === '1', apiVersion: 62 });
const seconds = (performance.now() - t) / 1000;
const count = (m) => [...m.values()].reduce((n, v) => n + v.size, 0);
console.log(JSON.stringify({ seconds, warnings: work.warnings.length,
  members: count(work.diffs.package), destructive: count(work.diffs.destructiveChanges) }));
"""


@dataclass
class SgdRun:
    seconds: float           # the whole `node` process: what a user of sgd waits for
    cpu_seconds: float       # its user + system CPU, with the git processes it waited for
    library_seconds: float   # inside sgd's main function (node start and module loading left out)
    members: int             # package.xml members
    destructive: int         # destructiveChanges.xml members
    files: int               # files written to the output folder


def cache_dir() -> Path:
    base = os.environ.get("SFENV_BENCH_CACHE") or str(Path.home() / ".cache" / "sfenv-bench")
    return Path(base) / "sgd"


def available() -> tuple[Path | None, str]:
    """(path of sgd's lib/main.js, "") or (None, why it is not available)."""
    folder = cache_dir()
    main = folder / "node_modules" / "sfdx-git-delta" / "lib" / "main.js"
    if shutil.which("node") is None:
        return None, "node is not installed"
    if main.is_file():
        return main, ""
    if shutil.which("npm") is None:
        return None, "npm is not installed"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({
        "private": True, "dependencies": {"sfdx-git-delta": VERSION},
        "overrides": {"undici": "^7"}}, indent=2) + "\n")
    try:
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=folder, capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, f"npm install sfdx-git-delta timed out after {INSTALL_TIMEOUT_S} s"
    if done.returncode != 0 or not main.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"npm install sfdx-git-delta failed (npm unreachable?): {last}"
    return main, ""


def main_for(bench) -> Path | None:
    """sgd's lib/main.js for a benchmark session, or None with the reason noted in the
    session's `sgd` figure (the fixture `sgd_main` of the benchmark modules)."""
    main, why = available()
    if main is None:
        bench.figure("sgd").notes.append(f"sfdx-git-delta skipped: {why}")
    return main


def run(main: Path, repo: Path, old: str, new: str, output: Path, *,
        generate_delta: bool) -> SgdRun:
    """sgd from commit `old` to `new` of `repo`, writing into `output` (emptied first)."""
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    runner = main.parents[3] / "sfenv-sgd-run.mjs"
    runner.write_text(RUNNER)
    out, err, code, seconds, cpu = measured(
        ["node", str(runner), main.as_uri(), str(repo), old, new, str(output),
         "1" if generate_delta else "0"])
    if code != 0:
        raise RuntimeError(f"sfdx-git-delta failed: {err.strip()[-500:]}")
    got = json.loads(out.strip().splitlines()[-1])
    files = sum(len(names) for _, _, names in os.walk(output))
    return SgdRun(seconds, cpu, got["seconds"], got["members"], got["destructive"], files)


def measured(cmd: list[str], timeout: float = 1800) -> tuple[str, str, int, float, float]:
    """(stdout, stderr, exit code, wall seconds, CPU seconds) of one process. The CPU is the
    process's own rusage (`wait4`: user + system, with the children it waited for), not
    this process's RUSAGE_CHILDREN, which any other finished child would change."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return (out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                proc.returncode, seconds, usage.ru_utime + usage.ru_stime)
