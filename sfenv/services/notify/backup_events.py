"""A backup that failed, told to the team (`backup_failed`, an exception: sent by default).

A nightly backup job that fails is easy to miss in a CI dashboard; the next promotion then
has no fresh backup to roll back to. The failure is sent like any other event, never changes
the backup's own error or exit code, and a notification that cannot be sent is a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sfenv.config.model import Config
from sfenv.errors import SfenvError
from sfenv.services.notify.events import Event


def backup_failed_event(env: str, err: BaseException) -> Event:
    exit_code = err.exit_code if isinstance(err, SfenvError) else 1
    reason = str(err) if isinstance(err, SfenvError) else f"{type(err).__name__}: {err}"
    return Event("backup_failed", f"backup of {env} failed", env=env,
                 summary=reason.splitlines()[0] if reason else type(err).__name__,
                 facts=(("exit code", str(exit_code)),),
                 command=f"sfenv backup {env}")


@contextmanager
def told_if_failed(config: Config, env: str, warn: Callable[[str], None]) -> Iterator[None]:
    """Around a backup: on an exception, send `backup_failed` to sfenv.yml's channels, then
    let the exception go on unchanged. A name that is no environment of sfenv.yml is a typo,
    not a failed backup: it is not sent."""
    try:
        yield
    except Exception as err:
        if config.notify and env in config.environments:
            try:
                from sfenv.io.store.snapshots import SnapshotStore
                from sfenv.services.notify.service import notify

                for warning in notify(config, SnapshotStore(config.root),
                                      backup_failed_event(env, err)).warnings:
                    warn(warning)
            except Exception as failed:  # the backup's error is the one to report
                warn(f"the backup_failed notification could not be sent: {failed}")
        raise
