"""Text (and JSON-ready dicts) for release plans, builds, promotions, rollbacks and status."""

from __future__ import annotations

from typing import Any

from sfenv.core.compare import counts
from sfenv.services.train.model import (
    BuiltTrain,
    Item,
    PromoteResult,
    ReleasePlan,
    TrainSummary,
    overwrite_line,
)

SIGN = {"added": "+", "modified": "~", "removed": "-"}


def entry_lines(deployed: list[str], left_out: list[str]) -> list[str]:
    """Every profile / permission set entry the package deploys, and those
    left out (their component is in neither the target nor the train)."""
    lines: list[str] = []
    if deployed:
        lines.append(f"Permission entries the package deploys ({len(deployed)}):")
        lines += [f"  = {e}" for e in deployed] + [""]
    if left_out:
        lines.append(f"Permission entries left out of the package ({len(left_out)}):")
        lines += [f"  - {e}" for e in left_out] + [""]
    return lines


def _who(item: Item) -> str:
    if not item.last_modified_by and not item.last_modified_date:
        return ""
    return f"  ({item.last_modified_by or '?'}, {item.last_modified_date or '?'})"


def _why_manual(item: Item) -> str:
    """Why a change is held back, in the words that apply to it: a removed profile or
    permission set entry cannot be revoked by a deploy; anything else is held because
    sfenv.yml keeps its type manual (never cite manual_types for the former)."""
    type_name, _, name = item.component.partition(":")
    if item.kind == "removed" and "/" in name and type_name.startswith(("Profile", "PermissionSet")):
        return "a deploy cannot revoke it"
    return "sfenv.yml manual_types"


def plan_text(plan: ReleasePlan) -> str:
    lines = [f"Release {plan.train}: {plan.source} ({plan.source_commit[:10]}) → "
             f"{plan.target} ({plan.target_commit[:10]})", ""]
    lines += [f"warning: {w}" for w in plan.warnings] + ([""] if plan.warnings else [])
    for items in (plan.adds, plan.changes, plan.deletes):
        for item in items:
            lines.append(f"  {SIGN[item.kind]} {item.component}{_who(item)}")
        if items:
            lines.append("")
    if plan.pulled_in:
        lines.append("Pulled in as dependencies (--with-dependencies):")
        lines += [f"  + {c}" for c in plan.pulled_in] + [""]
    if plan.placeholders:
        lines.append("Environment values (placeholders, substituted per target on promotion):")
        lines += [f"  {{{{{name}}}}}  {', '.join(comps)}"
                  for name, comps in plan.placeholders.items()] + [""]
    if plan.manual:
        lines.append("Held back for a manual step (see `sfenv checklist`):")
        lines += [f"  ! {i.kind} {i.component}{_who(i)}  [{_why_manual(i)}]"
                  for i in plan.manual] + [""]
    if plan.pre_deletes:
        lines.append("Deleted before the deploy (destructiveChangesPre.xml): "
                     + ", ".join(plan.pre_deletes))
    if plan.conflicts:
        lines.append(f"Changes made in {plan.target} that this train would overwrite "
                     f"(`release promote` refuses unless --overwrite names them):")
        lines += [f"  ! {overwrite_line(plan.target, c)}" for c in plan.conflicts] + [""]
    lines += entry_lines(plan.entries, plan.entries_left_out)
    if plan.dependency_problems:
        lines.append("Dependency problems:")
        lines += [f"  ✗ {p}" for p in plan.dependency_problems] + [""]
    lines.append(f"Plan: {counts.planned(len(plan.adds), len(plan.changes), len(plan.deletes), len(plan.manual))}; "
                 f"{counts.counted(plan.files, 'file')}, {counts.counted(plan.bytes, 'byte')}"
                 + (f", {plan.waves} waves" if plan.waves > 1 else "") + ".")
    return "\n".join(lines)


def built_text(train: BuiltTrain) -> str:
    lines = [f"Built release {train.name} from {train.source} ({train.source_commit[:10]}) "
             f"for {train.target} ({train.target_commit[:10]})",
             f"  {counts.package(len(train.components) + len(train.deletes), len(train.deletes))}; "
             f"{len(train.manual)} manual; {counts.counted(train.files, 'file')}, "
             f"{counts.counted(train.bytes, 'byte')}"
             + (f" in {len(train.waves)} waves" if len(train.waves) > 1 else ""),
             f"  digest  {train.digest}",
             f"  commit  {train.commit[:10]} on refs/heads/sfenv/releases, tag {train.tag}",
             f"  folder  {train.folder}"]
    lines += [f"warning: {w}" for w in train.warnings]
    lines += [f"  left out (not in {train.target} nor the train): {e}"
              for e in train.entries_left_out]
    if train.pulled_in:
        lines.append(f"  pulled in as dependencies: {', '.join(train.pulled_in)}")
    if train.placeholders:
        lines.append("  env values substituted per target: "
                     + ", ".join("{{" + n + "}}" for n in train.placeholders))
    return "\n".join(lines)


def failures_text(result: PromoteResult) -> list[str]:
    out = []
    for f in result.entry.failures:
        where = f.file_name + (f":{f.line}" if f.line else "")
        out.append(f"  ✗ {f.component or '-'}  {where}  {f.problem}")
    return out


def _conflict_line(c: dict[str, Any]) -> str:
    who = f"by {c.get('changed_by') or 'unknown'}" + (f" on {c['changed_on']}"
                                                      if c.get("changed_on") else "")
    what = ", ".join(c.get("elements") or []) or c.get("kind", "")
    return f"{c['component']}  {who}  ({what})"


def promote_text(result: PromoteResult) -> str:
    entry = result.entry
    action = "Rollback of" if entry.action == "rollback" else "Promotion of"
    lines = [f"{action} {result.train} → {result.env}" + (" (hotfix)" if entry.hotfix else "")]
    lines += [f"  • {s}" for s in result.steps]
    if result.validation_components:
        lines.append("Components:")
        lines += [f"  {r['status']:<8} {r['component']}" + (f"  {r['problem']}" if r["problem"] else "")
                  for r in result.validation_components]
    open_before = [s for s in result.checklist
                   if getattr(s, "phase", "") == "before" and s.id in entry.checklist_open]
    if open_before:
        lines.append("Checklist steps still open before deploying:")
        lines += [f"  [ ] {s.title} ({s.id})" for s in open_before]
    after = [s for s in result.checklist if getattr(s, "phase", "") == "after"]
    if after and entry.result == "deployed":
        lines.append("After the deploy:")
        lines += [f"  [ ] {s.title} ({s.id})" for s in after]
    if entry.failures:
        lines.append("Failures:")
        lines += failures_text(result)
    if entry.overwrites:
        lines.append("Overwritten target changes (--overwrite, recorded in the log):")
        lines += [f"  ! {_conflict_line(c)}" for c in entry.overwrites]
    if entry.verification and not entry.verification.get("ok", True):
        lines.append("Verification mismatches:")
        lines += [f"  ≠ {m['component']}: {m['problem']}" for m in entry.verification["mismatches"]]
    lines.append(f"Result: {entry.result}")
    return "\n".join(lines)


def status_text(summaries: list[TrainSummary]) -> str:
    if not summaries:
        return "No release trains yet (sfenv release build TRAIN)."
    lines = []
    for s in summaries:
        lines.append(f"{s.name}  built {s.created} from {s.source}, {counts.counted(s.components, 'package member')}"
                     + ("  [hotfix]" if s.hotfix else ""))
        for env in s.envs:
            extra = f"  {env.date}" if not env.label and env.state not in ("source", "built") else ""
            extra += f"  backup {env.backup_tag}" if env.backup_tag else ""
            extra += "  (hotfix)" if env.hotfix else ""
            lines.append(f"  {env.env:<12} {env.label or env.state}{extra}")
        if s.open_hotfixes:
            lines.append(f"  open hotfix: not yet in {', '.join(s.open_hotfixes)}")
    return "\n".join(lines)


def _dated(env: str, label: str, state: str) -> str:
    """`qa (2026-12-05)`, `prod re-promoted (2026-12-06)`: the stage's label without the state
    word its column already says."""
    return f"{env} {label.removeprefix(state)}" if label else env


def list_text(summaries: list[TrainSummary]) -> str:
    if not summaries:
        return "No release trains yet (sfenv release build TRAIN)."
    lines = []
    for s in summaries:
        where = [_dated(e.env, e.label, "deployed ") for e in s.envs if e.state == "deployed"]
        back = [_dated(e.env, e.label, "rolled back ") for e in s.envs if e.state == "rolled back"]
        lines.append(f"{s.name:<20} {s.created}  {s.source:<10} {counts.counted(s.components, 'package member'):>19}  "
                     f"deployed: {', '.join(where) or '-'}"
                     + (f"; rolled back: {', '.join(back)}" if back else ""))
    return "\n".join(lines)


def status_json(summaries: list[TrainSummary]) -> dict[str, Any]:
    return {"trains": [s.to_dict() for s in summaries],
            "open_hotfixes": [{"train": s.name, "envs": s.open_hotfixes}
                              for s in summaries if s.open_hotfixes]}
