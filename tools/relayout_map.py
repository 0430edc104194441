"""The table `tools/relayout.py` applies: old module or package -> new, at package level with
module exceptions. The longest matching old prefix wins, so a module another branch adds
today in an old folder (`sfenv/release/steps.py`, `sfenv/localorg/rest/bulk.py`) follows its
package without a new row. Why each module goes where it goes: docs/ARCHITECTURE.md.

Every new name must map to itself (checked by `relayout.py`), which is what makes the move
re-runnable on a tree that was already moved or half merged.
"""

from __future__ import annotations

# (old dotted name, new dotted name). A row names a package (its whole folder, data files
# included) or a module (exactly one file, or the package of that name).
MOVES: tuple[tuple[str, str], ...] = (
    # core: pure functions over bytes and dataclasses
    ("sfenv.metadata", "sfenv.core.metadata"),
    ("sfenv.compare", "sfenv.core.compare"),
    ("sfenv.compare.refreshes", "sfenv.services.records.refreshes"),  # reads the store's log
    ("sfenv.checklist", "sfenv.core.checklist"),
    ("sfenv.checklist.state", "sfenv.services.records.checklist_done"),  # ticks on disk
    # io: the outside world
    ("sfenv.org", "sfenv.io.org"),
    ("sfenv.store", "sfenv.io.store"),
    ("sfenv.source", "sfenv.io.source"),
    ("sfenv.source.delta", "sfenv.services.train.delta"),  # a package from two commits
    ("sfenv.source.export", "sfenv.services.train.export"),  # a snapshot as a project
    # services
    ("sfenv.pull", "sfenv.services.pull"),
    ("sfenv.pull.history", "sfenv.services.records.history"),
    ("sfenv.pull.backups", "sfenv.services.records.backups"),
    ("sfenv.pull.identity", "sfenv.services.records.org_identity"),  # org ids and refreshes
    ("sfenv.release", "sfenv.services.promote"),  # the promotion and anything new in release/
    ("sfenv.release.train", "sfenv.services.train.train"),
    ("sfenv.release.model", "sfenv.services.train.model"),
    ("sfenv.release.package", "sfenv.services.train.package"),
    ("sfenv.release.dependencies", "sfenv.services.train.dependencies"),
    ("sfenv.release.envvalues", "sfenv.services.train.envvalues"),
    ("sfenv.release.inventory", "sfenv.services.train.inventory"),
    ("sfenv.release.trees", "sfenv.services.train.trees"),
    ("sfenv.release.notes", "sfenv.services.train.notes"),
    ("sfenv.release.waves", "sfenv.services.train.waves"),  # the build splits a package
    ("sfenv.release.checklist_compute", "sfenv.services.train.checklist"),  # a train's steps
    ("sfenv.release.log", "sfenv.services.records.release_log"),
    ("sfenv.release.checklist_state", "sfenv.services.records.checklist_state"),
    ("sfenv.release.changelog", "sfenv.services.records.changelog"),
    ("sfenv.record", "sfenv.services.records"),
    ("sfenv.report", "sfenv.services.report"),
    ("sfenv.report.render", "sfenv.views.report"),  # the report's HTML and JSON
    ("sfenv.sync", "sfenv.services.sync"),  # `sfenv sync`: CI jobs sharing one repository
    ("sfenv.notify", "sfenv.services.notify"),  # notifications
    ("sfenv.monitor", "sfenv.services.monitor"),  # `sfenv monitor`
    ("sfenv.ci", "sfenv.services.ci"),  # `sfenv ci init`: pipeline files
    ("sfenv.adoption", "sfenv.services.adoption"),  # `sfenv adoption`
    # views
    ("sfenv.render", "sfenv.views"),
    ("sfenv.render.changelog_render", "sfenv.views.changelog"),
    ("sfenv.render.checklist_render", "sfenv.views.checklist"),
    ("sfenv.render.diff_render", "sfenv.views.diff"),
    ("sfenv.render.release_render", "sfenv.views.release"),
    ("sfenv.render.status_render", "sfenv.views.status"),
    # cli: the commands that start local orgs live apart (the one way into localorg)
    ("sfenv.cli.demo_cmds", "sfenv.cli.local.demo_cmds"),
    ("sfenv.cli.localorg_cmds", "sfenv.cli.local.localorg_cmds"),
    ("sfenv.demo", "sfenv.cli.local.demo"),
)

# Not moved (listed so the table says so): the base every layer may import, and the local org.
STAYS: tuple[str, ...] = (
    "sfenv", "sfenv.__main__", "sfenv.errors", "sfenv.progress", "sfenv.identity",
    "sfenv.config", "sfenv.cli",
    "sfenv.localorg",
)

# Docstrings of packages the move creates (no old package maps onto them).
NEW_PACKAGES: dict[str, str] = {
    "sfenv.core": "Pure core: metadata types, comparing, checklists. No I/O beyond package data.",
    "sfenv.io": "The outside world: the org (HTTP), the snapshot store (git), sfdx sources.",
    "sfenv.services": "Orchestration: pull, train, promote, records, report. Return data, never print.",
    "sfenv.services.train": "Release trains: plan, build, package, delta and export.",
    # used only when the old package's __init__.py is gone
    "sfenv.services.records": "Records beside the snapshots, each on its own ref of the store.",
    "sfenv.services.promote": "A built train promoted to one environment, and rolled back.",
    "sfenv.services.pull": "Pull: an org's metadata into a git snapshot.",
    "sfenv.views": "Text, JSON, markdown and HTML of what services return.",
    "sfenv.cli.local": "The commands that start local orgs (`sfenv demo`, `sfenv localorg`): "
                       "the only product code that imports sfenv.localorg.",
}
