"""A promotion's state while its steps run (`Promotion`), and its step list: backup, guard,
then per wave validate, re-check, deploy, wait, then verify, rollback package, checklist,
sync point; the runner records the outcome. A rerun builds the same list from the log entry
and continues where the runner says (`runner.resume`): what a later step needs from an earlier
one is read back from the entry (the backup commit, the deploy ids), never kept only in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sfenv.core.checklist import Step
from sfenv.core.compare.counts import counted
from sfenv.core.metadata.registry import Registry
from sfenv.errors import ReleaseError
from sfenv.io.store.snapshots import EnvLock, SnapshotStore
from sfenv.services import pull as pull_mod
from sfenv.services.promote.artifacts import (
    backup_gaps,
    open_before_steps,
    present_in,
    zip_digest,
)
from sfenv.services.promote.deploying import Deployer, check_org
from sfenv.services.promote.guard import GuardOutcome
from sfenv.services.promote.guard_parts import NAME_EACH, guard_lines, unknown_names_line
from sfenv.services.promote.recording import drop_backup_tag, finish, log_intent
from sfenv.services.promote.rollback import without_absent_deletions
from sfenv.services.train.checklist import compute_checklist
from sfenv.services.train.inventory import target_has
from sfenv.services.train.model import BuiltTrain, ComponentFailure, LogEntry, PromoteResult
from sfenv.services.train.package import fit_zips

if TYPE_CHECKING:
    from sfenv.config.model import Config, EnvConfig
    from sfenv.progress import Progress

GuardFn = Callable[["Promotion", str], GuardOutcome]


@dataclass
class Promotion:
    """Everything the steps of one promotion attempt share."""

    config: Config
    store: SnapshotStore
    built: BuiltTrain
    env: str
    result: PromoteResult
    registry: Registry
    connect: Callable
    values: dict[str, str]
    zips: list[bytes]
    record_sync: bool
    progress: Progress | None = None
    lock: EnvLock | None = None
    strict: bool = False
    check_only: bool = False
    confirm: Callable[[str], bool] | None = None
    overwrite: Sequence[str] = ()
    overwrite_all: bool = False
    resumed: bool = False
    guard: GuardFn | None = None
    client: Deployer | None = None
    checklist: list[Step] | None = None
    fitted: bool = False
    skipped: list[dict] = field(default_factory=list)
    extra: dict[str, bytes] = field(default_factory=dict)

    @property
    def entry(self) -> LogEntry:
        return self.result.entry

    @property
    def notes(self) -> list[str]:
        return self.result.steps

    @property
    def env_cfg(self) -> EnvConfig:
        return self.config.env(self.env)

    def record(self) -> None:
        log_intent(self.store, self.result, self.extra or None)

    def finish(self, outcome: str, failures: list[ComponentFailure] | None = None,
               error: str = "") -> PromoteResult:
        return finish(self.config, self.store, self.result, outcome, failures, error,
                      self.extra or None)

    def org(self) -> Deployer:
        """The org client, connected once and checked to be the environment's org."""
        if self.client is None:
            client = self.connect(self.env_cfg, self.config.api_version)
            check_org(self.store, self.env, client)
            self.client = client
        return self.client

    def fitted_zips(self) -> list[bytes]:
        """The zips fitted to the target as backed up (entries granting what neither the
        target nor the train has are left out: Salesforce rejects them)."""
        if not self.fitted:
            self.zips, fits = fit_zips(self.zips, target_has(self.store, self.entry.backup_commit,
                                                             self.registry), self.registry)
            # deletions the target already has (a re-promotion, a deletion made there by
            # hand): Salesforce fails a deploy that deletes a missing component
            present = present_in(self.store, self.entry.backup_commit, self.registry)
            gone: set[str] = set()
            if present is not None:
                fitted = [without_absent_deletions(z, present, self.registry) for z in self.zips]
                self.zips = [z for z, _ in fitted]
                gone = {c for _, done in fitted for c in done}
            self.fitted = True
            if not self.resumed:
                self.notes.extend(f"left out of the package for {self.env}: {f}" for f in fits
                                  if not f.deployed)
                if gone:
                    self.notes.append(f"already gone from {self.env}, left out of the "
                                      f"package's deletions: {', '.join(sorted(gone))}")
        return self.zips

    def the_checklist(self) -> list[Step]:
        """The checklist as computed against the pre-deploy backup."""
        if self.checklist is None:
            self.checklist = compute_checklist(self.config, self.store, self.built, self.env,
                                               self.entry.backup_commit, self.registry)
            self.result.checklist = self.checklist
        return self.checklist

    def label(self, number: int) -> str:
        return f"wave {number}/{len(self.zips)}" if len(self.zips) > 1 else "package"

    def step_name(self, name: str, number: int) -> str:
        return name if len(self.zips) <= 1 else f"{name}-{number}"


def backup_step(p: Promotion) -> PromoteResult | None:
    """Pull the target and tag it: the state a rollback returns to and the guard reads."""
    backup = pull_mod.backup_env(p.config, p.env, connect=p.connect, store=p.store,
                                 progress=p.progress, lock=p.lock)
    p.entry.backup_tag, p.entry.backup_commit = backup.tag, backup.pull.commit
    p.skipped = list(backup.pull.skipped)
    p.notes.append(f"backup of {p.env}: {backup.tag} ({backup.pull.commit[:12]})")
    p.fitted_zips()
    return None


def guard_step(p: Promotion) -> PromoteResult | None:
    """Refuse (recorded, backup tag dropped) when the backup lacks a component of the train or
    the target changed one since the plan, unless named; refuse (exit 2) under --strict while
    'before' checklist steps are open."""
    entry, notes, env, train = p.entry, p.notes, p.env, p.built.name
    uncovered = backup_gaps(p.built, p.skipped, p.registry)
    guarded = GuardOutcome() if uncovered or p.guard is None else p.guard(p, entry.backup_commit)
    notes.extend(guarded.notes)
    found, blocking = guarded.found, guarded.blocking
    named = {c.component for c in guarded.overwritten}
    if guarded.unknown_names:
        notes.append(unknown_names_line(guarded.unknown_names))
    checklist = compute_checklist(p.config, p.store, p.built, env, entry.backup_commit,
                                  p.registry)
    p.checklist = p.result.checklist = checklist
    still_open = open_before_steps(p.config, train, env, checklist, p.store)
    if still_open:
        notes.append(f"{len(still_open)} 'before' checklist steps still open: "
                     + ", ".join(s.id for s in still_open[:5]))
        if p.strict or p.env_cfg.strict:
            drop_backup_tag(p.store, entry.backup_tag)
            raise ReleaseError(f"{len(still_open)} 'before' checklist steps are open for {train} "
                               f"→ {env} (first: {still_open[0].title}); mark them done with "
                               f"`sfenv checklist done` or drop --strict")
    entry.checklist_open = [s.id for s in still_open]
    entry.package_digests = [zip_digest(z) for z in p.zips]
    entry.conflicts = [c.to_dict() for c in blocking]
    entry.overwrites = [c.to_dict() for c in found if c.component in named]
    if uncovered or blocking:  # refused before anything was validated: no backup tag stays
        notes.append(drop_backup_tag(p.store, entry.backup_tag))
        entry.backup_tag = ""
    if uncovered:
        notes.extend(f"not in the backup: {gap}" for gap in uncovered)
        return p.finish("backup_incomplete", error=(
            f"the backup of {env} lacks {counted(len(uncovered), 'component')} of {train} (first: "
            f"{uncovered[0]}): a rollback could not restore them; nothing was deployed"))
    notes.extend(guard_lines(env, blocking, guarded.overwritten))
    if blocking:
        return p.finish("refused", error=(
            f"{counted(len(blocking), 'component')} of {train} changed in {env} since the train "
            f"was planned; the deploy would overwrite them ({NAME_EACH})"))
    return None
