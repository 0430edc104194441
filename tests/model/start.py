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
import fcntl
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, Self

from click.testing import CliRunner, Result
from hypothesis import seed
from hypothesis.stateful import RuleBasedStateMachine

from sfenv.cli import main
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.testing import running_org

_CACHE: dict[str, tuple[Path, dict[str, Any]]] = {}
# Where the start folders are shared by every process of a pytest session (its xdist workers):
# set by tests/model/conftest.py. Unset (a script, or outside pytest), each process builds its
# own.
SHARED: Path | None = None


def start_state(key: str, build: Callable[[Path], dict[str, Any]], into: Path) -> dict[str, Any]:
    """Copy the start folder of `key` (built by `build(folder)` on first use, which returns the
    machine's attributes at the start) into `into`; return a deep copy of those attributes."""
    if key not in _CACHE:
        _CACHE[key] = _shared(key, build) if SHARED is not None else _built(key, build)
    folder, state = _CACHE[key]
    shutil.copytree(folder, into, dirs_exist_ok=True, symlinks=True)
    return copy.deepcopy(state)


def _built(key: str, build: Callable[[Path], dict[str, Any]]) -> tuple[Path, dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix=f"sfenv-model-{key}-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder, copy.deepcopy(build(folder))


def _shared(key: str, build: Callable[[Path], dict[str, Any]]) -> tuple[Path, dict[str, Any]]:
    """The start of `key` built once per session in SHARED, whichever worker asks first (the
    others wait on the lock, then read it): under `make test`'s workers each built its own,
    the same seconds of orgs, pulls and a build up to three times a model. The folder is only
    copied from, never changed; the attributes travel pickled (the oracle's sets and
    classes)."""
    assert SHARED is not None
    root = SHARED / key
    root.mkdir(parents=True, exist_ok=True)
    folder, saved = root / "start", root / "state.pickle"
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not saved.exists():
            if folder.exists():  # a worker stopped while building: start again
                shutil.rmtree(folder)
            folder.mkdir()
            state = build(folder)
            saved.write_bytes(pickle.dumps(state))
            return folder, copy.deepcopy(state)
    return folder, pickle.loads(saved.read_bytes())


def fixed_examples(machine: type[RuleBasedStateMachine], number: int) -> None:
    """Outside the soak, a model's examples draw from `Random(number)` on every run. (With
    `derandomize` alone hypothesis seeds from the machine's source: any edit of the class, a
    docstring or a method moved to this module, took CI's fixed examples down other paths.)"""
    seed(number)(machine)


class Scripted:
    """Stands for hypothesis' `data` in a scripted sequence: draws the given values in order."""

    def __init__(self, *values: object) -> None:
        self.values = list(values)

    def draw(self, strategy: object) -> object:
        return self.values.pop(0)


class ServedMachine(RuleBasedStateMachine):
    """What each promotion model's machine stands on: its orgs served from the example's own
    copy of the start folder, a project whose sfenv.yml names their ports, and the CLI run
    against it. A model sets ENVS (the path), KEY (its start state's name), STATE (the
    attributes its start keeps), PACKAGE (its manifest) and PASSWORD_VAR, and builds its start
    state in `_build_start(folder)`."""

    ENVS: tuple[str, ...]
    KEY: str
    STATE: tuple[str, ...]
    PACKAGE: str
    PASSWORD_VAR: str  # formatted with the environment's name in capitals

    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.tmp = Path(self.stack.enter_context(TemporaryDirectory()))
        self.__dict__.update(start_state(self.KEY, self._build_start, self.tmp))
        self._serve()

    @classmethod
    def _build_start(cls, folder: Path) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def _blank(cls, folder: Path) -> Self:
        """A machine without start state, on `folder`: for `_build_start`."""
        machine = cls.__new__(cls)
        RuleBasedStateMachine.__init__(machine)
        machine.stack, machine.tmp = ExitStack(), folder
        return machine

    def _serve(self) -> None:
        """The orgs served from this example's folder; sfenv.yml names their new ports."""
        self.orgs = {env: self.stack.enter_context(running_org(self.tmp / "orgs" / env))
                     for env in self.ENVS}
        self.root = self.tmp / "project"
        self.root.mkdir(exist_ok=True)
        self.config_path = self._write_config()
        self.store = SnapshotStore(self.root)

    def teardown(self) -> None:
        self.stack.close()

    def _write_config(self) -> Path:
        lines = ["project: model", 'api_version: "62.0"', "environments:"]
        for env, org in self.orgs.items():
            var = self.PASSWORD_VAR.format(env.upper())
            os.environ[var] = org.password + org.security_token
            lines += [f"  {env}:", f"    login_url: {org.instance_url}",
                      f"    username: {org.username}", f"    password_env: {var}"]
            if org.ca_file:
                lines.append(f"    ca_file: {org.ca_file}")
            if env == "prod":
                lines.append("    production: true")
        lines += [f"path: [{', '.join(self.ENVS)}]", "pull:", "  poll_interval: 0.02",
                  "  poll_max_interval: 0.1", "manifest: package.xml"]
        (self.root / "package.xml").write_text(self.PACKAGE)
        path = self.root / "sfenv.yml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(main, [*args, "--config", str(self.config_path)],
                                  catch_exceptions=False)

    def ok(self, *args: str) -> Result:
        result = self.cli(*args)
        assert result.exit_code == 0, f"sfenv {' '.join(args)}: {result.output}"
        return result
