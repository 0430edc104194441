"""Load a fixture case folder into (changes, context): `before/` is the target today, `after/`
what the promotion brings (the source), `target/` unchanged target components, `manual/` the
held-back manual components, `case.yml` the rest of the context. Files are `<Type>/<FullName>.<ext>`."""

from __future__ import annotations

from pathlib import Path

import yaml

from sfenv.core.checklist import ChecklistContext
from sfenv.core.checklist.engine import field_changes
from sfenv.core.checklist.xmlview import xml_dict
from sfenv.core.compare.model import Change, ElementChange
from sfenv.core.metadata.ids import ComponentId

CASES = Path(__file__).parent / "cases"


def read_tree(folder: Path) -> dict[ComponentId, bytes]:
    out: dict[ComponentId, bytes] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            rel = path.relative_to(folder)
            type_name = rel.parts[0]
            full_name = "/".join(rel.parts[1:]).rsplit(".", 1)[0]
            out[ComponentId(type_name, full_name)] = path.read_bytes()
    return out


def changes_between(before: dict[ComponentId, bytes], after: dict[ComponentId, bytes]) -> list[Change]:
    changes = []
    for cid in sorted(set(before) | set(after)):
        old, new = before.get(cid), after.get(cid)
        if old == new:
            continue
        kind = "added" if old is None else "removed" if new is None else "modified"
        elements = [
            ElementChange(f["field"], "changed" if f["old"] is not None and f["new"] is not None
                          else "added" if f["old"] is None else "removed", f["old"], f["new"])
            for f in field_changes(xml_dict(old, str(cid)), xml_dict(new, str(cid)))
        ] if kind == "modified" else []
        changes.append(Change(component=cid, kind=kind, path=str(cid), elements=elements,
                              old_xml=old, new_xml=new))
    return changes


def load_case(folder: Path) -> tuple[list[Change], ChecklistContext]:
    spec = yaml.safe_load((folder / "case.yml").read_text()) if (folder / "case.yml").exists() else {}
    spec = spec or {}
    before, after = read_tree(folder / "before"), read_tree(folder / "after")
    target_extra = read_tree(folder / "target")
    target = {**target_extra, **before}
    ctx = ChecklistContext(
        source_env=spec.get("source_env", "qa"),
        target_env=spec.get("target_env", "prod"),
        target_owner=spec.get("target_owner", "Release Team"),
        target_is_production=spec.get("target_is_production", True),
        manual=sorted(read_tree(folder / "manual").items()),
        manual_removed=sorted(read_tree(folder / "manual_removed").items()),
        audit_rows=spec.get("audit_rows", []),
        audit_since=spec.get("audit_since"),
        source_components={**target_extra, **after},
        target_components=target,
        group_members=spec.get("group_members", {}),
        username_suffixes=spec.get("username_suffixes", {}),
        manual_types=tuple(spec.get("manual_types", [])),
    )
    return changes_between(before, after), ctx
