"""What a train changes in an environment, and the checklist computed from it: shared by the
promotion (frozen at its deploy), the checklist views (before a promotion) and the undo steps
of a rollback, without any of them importing the others."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfenv.core.checklist import ChecklistContext, Step, build_checklist, load_catalogue
from sfenv.core.checklist.model import username_suffixes
from sfenv.core.compare import diff as compare_diff
from sfenv.core.compare.inventory import load_json_blob
from sfenv.core.compare.model import Change
from sfenv.core.compare.neutralize import Neutralizer
from sfenv.core.compare.status import sync_point
from sfenv.core.metadata.components import component_pieces
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.io.store.format import GROUP_MEMBERS_PATH
from sfenv.services.train.model import BuiltTrain
from sfenv.services.train.package import manual_type_names

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.store.snapshots import SnapshotStore


# -- checklist --------------------------------------------------------------------------------

def typed_components(store: SnapshotStore, commit: str,
                      registry: Registry) -> dict[ComponentId, bytes]:
    """The checklist's context components (roles, groups, queues) of a snapshot: git lists
    only their folders, not the whole tree, and their files are read in one batch."""
    context = registry.checklist_context_types()
    prefixes = sorted({registry.get(t).directory + "/" for t in context if registry.find(t)})
    listed = store.files_under(commit, prefixes)
    data = store.read_blobs(set(listed.values()))
    files = {p: data[sha] for p, sha in listed.items()}
    return {cid: piece.xml for cid, piece in component_pieces(files, registry).items()
            if cid.type in context}


def group_members(store: SnapshotStore, commit: str) -> dict[str, list[str]]:
    """The snapshot's `.sfenv/group-members.json` (public group -> members); {} when absent."""
    data = load_json_blob(store.read_file(commit, GROUP_MEMBERS_PATH), {})
    return {str(g): [str(m) for m in v] for g, v in data.items()
            if isinstance(v, list)} if isinstance(data, dict) else {}


def train_changes(store: SnapshotStore, built: BuiltTrain, target_commit: str, env: str,
                  registry: Registry, neutralize: Neutralizer | None = None) -> list[Change]:
    """What the train changes in `env` as it is at `target_commit` (its components only)."""
    diff = compare_diff.diff_commits(store, target_commit, built.source_commit,
                                     registry=registry, neutralize=neutralize, a_name=env,
                                     b_name=built.source)
    ids = set(built.components) | set(built.deletes) | set(built.manual)
    return [c for c in diff.changes
            if str(c.component) in ids or (c.parent is not None and str(c.parent) in ids)]


def _audit_since(config: Config, store: SnapshotStore, env: str) -> str | None:
    """Setup changes made by hand upstream count from the last sync into `env` (a promotion
    or `sfenv sync-point`); with none, every row the source's snapshot recorded counts."""
    whens = []
    for upstream in (config.upstream_of(env) if env in sum(config.stages, []) else []):
        record = sync_point(store, upstream, env)
        if record and record.get("when"):
            whens.append(str(record["when"])[:19])
    return max(whens) if whens else None


def compute_checklist(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
                      target_commit: str | None = None,
                      registry: Registry | None = None) -> list[Step]:
    registry = registry or default_registry()  # until promote passes its own (record)
    env_cfg = config.env(env)
    target_commit = target_commit or store.head(env) or built.target_commit
    changes = train_changes(store, built, target_commit, env, registry,
                            Neutralizer.for_envs(env_cfg, config.environments.get(built.source)))
    manual_ids = set(built.manual)
    # a removed manual component has no source XML: it goes to the changes feed (deletion
    # rules), not to the manual feed, which would read its old XML as something to create
    manual = [(c.component, c.new_xml) for c in changes
              if str(c.component) in manual_ids and c.new_xml is not None]
    manual_removed = [(c.component, c.old_xml) for c in changes
                      if str(c.component) in manual_ids and c.new_xml is None]
    since = _audit_since(config, store, env)
    source_env = config.environments.get(built.source)
    ctx = ChecklistContext(
        source_env=built.source, target_env=env, target_owner=env_cfg.owner,
        target_is_production=env_cfg.production,
        source_is_production=bool(source_env and source_env.production),
        manual=manual, manual_removed=manual_removed, audit_rows=compare_diff.audit_rows(store, built.source_commit),
        audit_since=since,
        source_components=typed_components(store, built.source_commit, registry),
        target_components=typed_components(store, target_commit, registry),
        group_members=group_members(store, built.source_commit),
        username_suffixes=username_suffixes(config), manual_types=tuple(manual_type_names(config.manual_types, registry)))
    return build_checklist(changes, ctx, load_catalogue(), registry)
