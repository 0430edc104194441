"""RELEASE_NOTES.md of a train: every component with who last changed it and when.

Part of the artifact (committed with the package), so it is produced with the build rather than
by a renderer: the same train always carries the same notes.
"""

from __future__ import annotations

from sfenv.core.compare.counts import counted, package, planned
from sfenv.services.train.model import BuiltTrain, Item, ReleasePlan


def _cell(text: str | None) -> str:
    return (text or "—").replace("|", "\\|").replace("\n", " ")


def _table(title: str, items: list[Item]) -> list[str]:
    if not items:
        return []
    out = [f"## {title} ({len(items)})", "", "| Component | Last changed by | When |",
           "| --- | --- | --- |"]
    out += [f"| `{_cell(i.component)}` | {_cell(i.last_modified_by)} | "
            f"{_cell(i.last_modified_date)} |" for i in items]
    return out + [""]


def release_notes(train: BuiltTrain, plan: ReleasePlan) -> str:
    lines = [
        f"# Release {train.name}", "",
        f"- Built {train.created} by {train.created_by}",
        f"- From {train.source} at `{train.source_commit[:12]}`, "
        f"based on {train.target} at `{train.target_commit[:12]}`",
        f"- Changes: {planned(len(plan.adds), len(plan.changes), len(plan.deletes), len(plan.manual))}",
        f"- Package: {package(len(train.components) + len(train.deletes), len(train.deletes))}; "
        f"{counted(train.files, 'file')}, {counted(train.bytes, 'byte')}"
        + (f", {len(train.waves)} waves" if len(train.waves) > 1 else ""),
        f"- Digest `{train.digest}`", "",
    ]
    lines += _table("Added", plan.adds)
    lines += _table("Changed", plan.changes)
    lines += _table("Deleted", plan.deletes)
    lines += _table("Held back: manual steps (see `sfenv checklist`)", plan.manual)
    if plan.entries:
        lines += [f"## Permission entries deployed ({len(plan.entries)})", ""]
        lines += [f"- `{_cell(e)}`" for e in plan.entries] + [""]
    if plan.entries_left_out:
        lines += [f"## Permission entries left out ({len(plan.entries_left_out)})", "",
                  "Their component is neither in the target nor in the train; Salesforce would "
                  "reject the deploy.", ""]
        lines += [f"- `{_cell(e)}`" for e in plan.entries_left_out] + [""]
    if plan.pulled_in:
        lines += [f"## Pulled in as dependencies ({len(plan.pulled_in)})", ""]
        lines += [f"- `{c}`" for c in plan.pulled_in] + [""]
    if train.placeholders:
        lines += [f"## Environment values ({len(train.placeholders)})", "",
                  "The package holds these placeholders; each promotion substitutes the target "
                  "environment's `values:` from sfenv.yml.", "",
                  "| Placeholder | Components |", "| --- | --- |"]
        lines += [f"| `{{{{{name}}}}}` | " + ", ".join(f"`{_cell(c)}`" for c in comps) + " |"
                  for name, comps in train.placeholders.items()] + [""]
    return "\n".join(lines).rstrip("\n") + "\n"
