"""Where a train stands on the path, read from its release log: which environment it last
changed (deployed or rolled back), whether a promotion would skip a stage, which trains sit
on top of it in an environment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sfenv.errors import SfenvError
from sfenv.services.records import release_log
from sfenv.services.train.model import BuiltTrain, LogEntry

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.store.snapshots import SnapshotStore


def env_states(entries: list[LogEntry]) -> dict[str, LogEntry]:
    """The last entry that changed each environment (deployed or rolled back)."""
    out: dict[str, LogEntry] = {}
    for e in entries:
        if e.result in ("deployed", "rolled_back"):
            out[e.env] = e
    return out


def deployed_envs(entries: list[LogEntry]) -> set[str]:
    return {env for env, e in env_states(entries).items() if e.result == "deployed"}


def stage_problem(config: Config, built: BuiltTrain, entries: list[LogEntry],
                  env: str) -> str | None:
    """Why promoting to `env` would skip a stage, or None when the path allows it."""
    if env == built.target:
        return None
    upstream = config.upstream_of(env)
    if not upstream:
        return f"{env} is the first stage of the path: trains are built from it, not promoted to it"
    if built.source in upstream or deployed_envs(entries) & set(upstream):
        return None
    return (f"release {built.name} has not been deployed to {' or '.join(upstream)} yet, "
            f"the stage before {env}")


def skipped_envs(config: Config, built: BuiltTrain, env: str) -> list[str]:
    """The path environments between the train's source stage and `env` (for hotfix tracking)."""
    try:
        start = config.stage_index(built.source)
    except SfenvError:
        start = config.stage_index(built.target) - 1
    end = config.stage_index(env)
    return [e for stage in config.stages[start + 1:end] for e in stage]


def later_trains(store: SnapshotStore, train: str, env: str,
                 logs: Mapping[str, list[LogEntry]] | None = None) -> list[str]:
    """The trains deployed to `env` (and not rolled back) after `train`'s deploy there,
    newest first. `logs`: every train's log (`release_log.read_logs`), read once by a caller
    asking more than one question."""
    logs = release_log.read_logs(store) if logs is None else logs
    mine = env_states(logs.get(train, [])).get(env)
    if mine is None or mine.result != "deployed":
        return []
    since = mine.finished or mine.started
    found = []
    for other, entries in logs.items():
        if other == train:
            continue
        state = env_states(entries).get(env)
        if state is not None and state.result == "deployed" and \
                (state.finished or state.started) > since:
            found.append((state.finished or state.started, other))
    return [name for _when, name in sorted(found, reverse=True)]


def last_rollback_into(store: SnapshotStore, env: str,
                       logs: Mapping[str, list[LogEntry]] | None = None,
                       ) -> tuple[str, str] | None:
    """`(finished, after_commit)` of the newest finished rollback of any train in `env`: the
    release process changed the target there (issue 22: a rollback is no hand change).
    `logs` as for `later_trains`."""
    logs = release_log.read_logs(store) if logs is None else logs
    found: tuple[str, str] | None = None
    for entries in logs.values():
        for e in entries:
            if e.action == "rollback" and e.env == env and e.result == "rolled_back" \
                    and e.after_commit and (found is None or (e.finished or e.started) > found[0]):
                found = (e.finished or e.started, e.after_commit)
    return found


def last_deployed(entries: list[LogEntry], env: str) -> LogEntry | None:
    """The promotion a rollback of `env` undoes: the last `deployed` promote entry there."""
    found = None
    for e in entries:
        if e.env == env and e.action == "promote" and e.result == "deployed":
            found = e
    return found
