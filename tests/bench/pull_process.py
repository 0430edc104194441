"""`sfenv pull` in a process of its own: wall seconds and the peak RSS of that process.

The pull's own Python process is measured (`VmHWM` of /proc/self/status at its end: the high
water mark of that process's memory since its exec), not the git processes it starts nor the
local org (which runs in the benchmark's process). `getrusage(RUSAGE_SELF).ru_maxrss` would
not do: Linux carries the forking parent's peak across exec, so it reports the benchmark's
own size. With
`code`, another checkout of sfenv is run (its path first on `sys.path`): the same pull
measured against an older commit in the same run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_SCRIPT = """
import json, sys
sys.argv = ["sfenv", *sys.argv[1:]]
from sfenv.cli import main
code = 0
try:
    main()
except SystemExit as exit:
    code = exit.code or 0
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
sys.stderr.write("\\nPULL-RSS-KB " + json.dumps({"peak_kb": peak, "code": code}) + "\\n")
sys.exit(code)
"""


@dataclass
class PullRun:
    seconds: float
    peak_mb: float
    result: dict


def run_pull(project: Path, env: str, *args: str, code: Path | None = None) -> PullRun:
    environ = dict(os.environ)
    if code is not None:
        environ["PYTHONPATH"] = str(code)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _SCRIPT, "pull", env, "--json", *args],
                          cwd=project, env=environ, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    marker = [line for line in done.stderr.splitlines() if line.startswith("PULL-RSS-KB ")]
    if done.returncode != 0 or not marker:
        raise AssertionError(f"sfenv pull {env} failed ({done.returncode}): {done.stderr[-2000:]}")
    peak = json.loads(marker[-1].split(" ", 1)[1])["peak_kb"]
    return PullRun(seconds, peak / 1024, json.loads(done.stdout))
