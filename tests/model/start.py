"""The start state of a promotion model, built once per process and copied for each example.

Every example of a model starts the same way (orgs seeded, first pulls, sync points, the first
build and promotion): that is a third or more of an example's cost, and it is the same work each
time. The first example builds it in a folder of its own with the servers running, stops them
and keeps the folder (the orgs' data folders and the project with its repository) and the
machine's oracle; each example copies the folder, restarts the servers on the copies (new ports:
the machine rewrites sfenv.yml) and deep-copies the oracle. Nothing of a run leaks into the
next: each example has its own copy.
"""

from __future__ import annotations

import atexit
import copy
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

_CACHE: dict[str, tuple[Path, dict[str, Any]]] = {}


def start_state(key: str, build: Callable[[Path], dict[str, Any]], into: Path) -> dict[str, Any]:
    """Copy the start folder of `key` (built by `build(folder)` on first use, which returns the
    machine's attributes at the start) into `into`; return a deep copy of those attributes."""
    if key not in _CACHE:
        folder = Path(tempfile.mkdtemp(prefix=f"sfenv-model-{key}-"))
        atexit.register(shutil.rmtree, folder, True)
        _CACHE[key] = (folder, copy.deepcopy(build(folder)))
    folder, state = _CACHE[key]
    shutil.copytree(folder, into, dirs_exist_ok=True, symlinks=True)
    return copy.deepcopy(state)


class Scripted:
    """Stands for hypothesis' `data` in a scripted sequence: draws the given values in order."""

    def __init__(self, *values: object) -> None:
        self.values = list(values)

    def draw(self, strategy: object) -> object:
        return self.values.pop(0)
