"""Progress reporting for long work: bars on a terminal, quiet lines in CI.

Services take a `Progress` (or None) and call it; they never print.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from rich.progress import TaskID


class Progress(Protocol):
    def stage(self, name: str, total: int | None = None) -> None: ...
    def advance(self, amount: int = 1) -> None: ...
    def note(self, message: str) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


class LineProgress:
    """CI form: one line per stage, per note, and at most one count line every few seconds."""

    def __init__(self, stream: TextIO | None = None, every_s: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.every_s = every_s
        self.name = ""
        self.total: int | None = None
        self.done = 0
        self.last = 0.0

    def stage(self, name: str, total: int | None = None) -> None:
        self.name, self.total, self.done, self.last = name, total, 0, time.monotonic()
        suffix = f" ({total})" if total is not None else ""
        print(f"… {name}{suffix}", file=self.stream, flush=True)

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        now = time.monotonic()
        if now - self.last >= self.every_s:
            self.last = now
            of = f"/{self.total}" if self.total is not None else ""
            print(f"  {self.name}: {self.done}{of}", file=self.stream, flush=True)

    def note(self, message: str) -> None:
        print(f"  {message}", file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichProgress:
    """Terminal form: a rich progress bar per stage."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=Console(stderr=True), transient=False)
        self._bar.start()
        self._task: TaskID | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=self._bar.tasks[-1].total or 0)
        self._task = self._bar.add_task(name, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, amount)

    def note(self, message: str) -> None:
        self._bar.console.print(f"  {message}")

    def close(self) -> None:
        self._bar.stop()


def for_terminal(quiet: bool = False) -> Progress:
    """Bars when stderr is a terminal, lines otherwise, nothing when quiet."""
    if quiet:
        return NullProgress()
    if sys.stderr.isatty():
        return RichProgress()
    return LineProgress()
