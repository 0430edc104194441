"""The deploy engine: a package zip over the org folder -> what would change, or why not.

`plan_deploy` is pure: it reads the org folder and the zip and returns a `DeployPlan` (files
to write and delete, successes, failures, tests). `apply_plan` writes a successful plan into
the folder: every new file is written aside first, then moved into place, then deletions, all
under the org lock. A plan with any failure, and every checkOnly plan, changes nothing.

Merge rules (Salesforce's): a type with child components (objects, sharing rules, labels...)
merges: the package's children add or replace children of the same name, the org's other
children stay, the parent's own elements are replaced only when the parent itself is in
package.xml. Other XML and content types replace their files; bundles replace the folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from sfenv.core.metadata.components import compose_file, split_file
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.package_xml import Package, parse_package
from sfenv.core.metadata.xmlio import hardened_parser, parse_xml
from sfenv.core.metadata.ziputil import read_zip
from sfenv.errors import MetadataError
from sfenv.localorg.mdapi.validate import Failure, check_deletion, check_deployed
from sfenv.localorg.state.inventory import Inventory, mdapi_file_name, member_id

PARENT_MUST_EXIST = {"CustomObject"}  # parent types that are entities, not container files
DESTRUCTIVE = ("destructiveChangesPre.xml", "destructiveChanges.xml", "destructiveChangesPost.xml")
TEST_LEVELS = ("NoTestRun", "RunSpecifiedTests", "RunLocalTests", "RunAllTestsInOrg")
APEX_TYPES = ("ApexClass", "ApexTrigger")
NO_TEST_RUN_IN_PRODUCTION = "testLevel of NoTestRun cannot be used in production organizations"


def deploys_apex(zip_bytes: bytes, single_package: bool) -> bool:
    """Whether a deploy zip's package.xml names Apex (classes or triggers); False when the zip
    or its manifest cannot be read (the deploy job then reports why)."""
    try:
        files = _package_root(read_zip(zip_bytes, "deploy zip"), single_package)
        package = parse_package(files["package.xml"], "package.xml")
    except (MetadataError, KeyError):
        return False
    return any(package.types.get(t) for t in APEX_TYPES)
_ISTEST = re.compile(rb"@istest", re.IGNORECASE)
# a method annotated @IsTest (with or without parameters), or declared with `testMethod`
_TEST_ANNOTATED = re.compile(r"@istest\b(?:\s*\([^)]*\))?\s+(?:\w+\s+)*?void\s+(\w+)\s*\(",
                             re.IGNORECASE)
_TEST_MODIFIER = re.compile(r"\btestmethod\s+(?:\w+\s+)*?void\s+(\w+)\s*\(", re.IGNORECASE)
_LINE = re.compile(r":(\d+)(?::(\d+))?:")


@dataclass(frozen=True)
class Success:
    component: ComponentId
    file_name: str
    created: bool = False
    changed: bool = False
    deleted: bool = False


@dataclass
class DeployOptions:
    check_only: bool = False
    test_level: str | None = None
    run_tests: list[str] = field(default_factory=list)
    rollback_on_error: bool = True
    purge_on_delete: bool = False
    single_package: bool = False
    allow_missing_files: bool = False
    ignore_warnings: bool = False


@dataclass
class DeployPlan:
    successes: list[Success] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    writes: dict[str, bytes] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)
    tests_run: list[str] = field(default_factory=list)   # test methods "run": "Class.method"
    error_message: str | None = None                     # whole-deploy error (no component)
    before: dict[ComponentId, bytes] = field(default_factory=dict)  # old XML of changed comps

    @property
    def ok(self) -> bool:
        errors = [f for f in self.failures if f.problem_type == "Error"]
        return not errors and self.error_message is None

    def blocked_by_warnings(self, ignore_warnings: bool) -> bool:
        return not ignore_warnings and any(f.problem_type == "Warning" for f in self.failures)

    def touched(self) -> list[ComponentId]:
        return sorted({s.component for s in self.successes if not s.deleted})

    def removed(self) -> list[ComponentId]:
        return sorted({s.component for s in self.successes if s.deleted})


def _package_root(files: Mapping[str, bytes], single_package: bool) -> dict[str, bytes]:
    """Strip the package folder (`unpackaged/`) when package.xml is not at the zip root."""
    if "package.xml" in files or single_package:
        return dict(files)
    roots = {p.split("/", 1)[0] for p in files if p.endswith("/package.xml") and p.count("/") == 1}
    if len(roots) == 1:
        root = roots.pop() + "/"
        return {p[len(root):]: d for p, d in files.items() if p.startswith(root)}
    return dict(files)


def _parse_failure(cid: ComponentId, path: str, err: Exception, data: bytes | None = None) -> Failure:
    """componentFailure for malformed XML: the parser's line and column, Salesforce's wording."""
    text = str(err)
    match = _LINE.search(text)
    line = int(match.group(1)) if match else None
    why = text.split(": ", 1)[-1] if match else text
    column = None
    if data is not None:
        line, column = _xml_position(data, line)
    return Failure(cid, path, f"Error parsing file: {why}", line=line,
                   column=column or (1 if line else None))


def _xml_position(data: bytes, line: int | None) -> tuple[int | None, int | None]:
    """(line, column) of a syntax error, from the same hardened parser settings xmlio uses."""
    try:
        etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        if exc.position:
            return exc.position[0], exc.position[1]
    except ValueError:
        pass
    return line, None


def plan_deploy(org_inv: Inventory, zip_bytes: bytes, opts: DeployOptions, *,
                is_sandbox: bool = True) -> DeployPlan:
    """Everything a deploy would do, or every reason it cannot, without touching the org."""
    plan = DeployPlan()
    registry = org_inv.registry
    try:
        raw = read_zip(zip_bytes, "deploy zip")
    except MetadataError as err:
        plan.error_message = str(err)
        return plan
    files = _package_root(raw, opts.single_package)
    if "package.xml" not in files:
        plan.error_message = "No package.xml found"
        return plan
    pkg_cid = ComponentId("Package", "package.xml")
    try:
        package = parse_package(files["package.xml"], "package.xml")
    except MetadataError as err:
        plan.failures.append(_parse_failure(pkg_cid, "package.xml", err, files["package.xml"]))
        return plan
    destructive: list[tuple[str, Package]] = []
    for name in DESTRUCTIVE:
        if name in files:
            try:
                destructive.append((name, parse_package(files[name], name)))
            except MetadataError as err:
                plan.failures.append(_parse_failure(ComponentId("Package", name), name, err,
                                                    files[name]))
    content = {p: d for p, d in files.items() if p != "package.xml" and p not in DESTRUCTIVE}
    pkg_inv = Inventory.of_files(content, registry)
    wanted, children = _resolve_members(plan, pkg_inv, package)
    if opts.allow_missing_files:
        plan.failures = [f for f in plan.failures if "was not found in zipped directory" not in f.problem]
    _check_xml(plan, pkg_inv, wanted | set(children))
    _check_folders(plan, org_inv, pkg_inv, wanted)

    # the org after the deploy, as a file map overlay
    overlay: dict[str, bytes | None] = {}
    pre = [p for n, p in destructive if n != "destructiveChangesPost.xml"]
    post = [p for n, p in destructive if n == "destructiveChangesPost.xml"]
    for pkg in pre:
        _delete(plan, org_inv, pkg, overlay)
    _merge(plan, org_inv, pkg_inv, wanted, children, overlay)
    for pkg in post:
        _delete(plan, org_inv, pkg, overlay)
    after = _overlay_inventory(org_inv, overlay)
    _check_orphans(plan, org_inv, wanted, children)
    plan.failures.extend(check_deployed(after, wanted | set(children.values())))
    for s in [s for s in plan.successes if s.deleted]:
        plan.failures.extend(check_deletion(after, s.component, s.file_name))
    _tests(plan, after, opts, is_sandbox, wanted)
    plan.writes = {p: d for p, d in overlay.items() if d is not None}
    plan.deletes = {p for p, d in overlay.items() if d is None}
    if not plan.ok:
        failed = {f.component for f in plan.failures}
        plan.successes = [s for s in plan.successes if s.component not in failed]
    return plan


def _resolve_members(plan: DeployPlan, pkg_inv: Inventory, package: Package
                     ) -> tuple[set[ComponentId], dict[ComponentId, ComponentId]]:
    """Top-level components to deploy whole, and child components -> their parent."""
    registry = pkg_inv.registry
    wanted: set[ComponentId] = set()
    children: dict[ComponentId, ComponentId] = {}
    pkg_cid = ComponentId("Package", "package.xml")
    for type_name, members in sorted(package.types.items()):
        mtype = registry.find(type_name)
        if mtype is None:
            plan.failures.append(Failure(
                pkg_cid, "package.xml", f"Unknown type name '{type_name}' specified in package.xml"))
            continue
        if mtype.parent:
            pairs = pkg_inv.children_of_type(type_name)
            for member in members:
                hits = [(c, p) for c, p in pairs if member == "*" or c.full_name == member]
                if not hits and member != "*":
                    plan.failures.append(Failure(
                        ComponentId(type_name, member), "package.xml", _missing(type_name, member)))
                children.update(dict(hits))
            continue
        for member in members:
            if member == "*":
                wanted |= set(pkg_inv.of_type(type_name))
                continue
            cid = member_id(registry, type_name, member)
            if cid in pkg_inv.by_component:
                wanted.add(cid)
            else:
                plan.failures.append(Failure(cid, "package.xml", _missing(type_name, member)))
    return wanted, children


def _missing(type_name: str, member: str) -> str:
    return (f"An object '{member}' of type {type_name} was named in package.xml, "
            "but was not found in zipped directory")


def _check_xml(plan: DeployPlan, pkg_inv: Inventory, ids: set[ComponentId]) -> None:
    registry = pkg_inv.registry
    parents = {registry.parent_id(c) for c in ids}
    for cid in sorted(parents):
        for path in pkg_inv.by_component.get(cid, []):
            if not (path.endswith(".xml") or _is_xml_type(pkg_inv, cid, path)):
                continue
            try:
                parse_xml(pkg_inv.read(path), path)
            except MetadataError as err:
                plan.failures.append(_parse_failure(cid, path, err, pkg_inv.read(path)))


def _is_xml_type(inv: Inventory, cid: ComponentId, path: str) -> bool:
    mtype = inv.mtype(cid)
    return mtype is not None and mtype.handler.compares_elements


def _check_folders(plan: DeployPlan, org_inv: Inventory, pkg_inv: Inventory,
                   wanted: set[ComponentId]) -> None:
    for cid in sorted(wanted):
        mtype = pkg_inv.mtype(cid)
        if mtype is None or not mtype.in_folder or "/" not in cid.full_name:
            continue
        folder = ComponentId(mtype.folder_type or "", cid.full_name.rsplit("/", 1)[0])
        if folder.full_name == "unfiled$public":
            continue
        if folder not in org_inv.by_component and folder not in pkg_inv.by_component:
            plan.failures.append(Failure(cid, pkg_inv.main_file(cid),
                                         f"Cannot find folder:{folder.full_name}"))


def _merge(plan: DeployPlan, org_inv: Inventory, pkg_inv: Inventory, wanted: set[ComponentId],
           children: dict[ComponentId, ComponentId], overlay: dict[str, bytes | None]) -> None:
    registry = org_inv.registry
    failed = {f.component for f in plan.failures}
    parents_with_kids: dict[ComponentId, set[ComponentId]] = {}
    for kid, parent in children.items():
        parents_with_kids.setdefault(parent, set()).add(kid)
    for cid in sorted(wanted | set(parents_with_kids)):
        if cid in failed or any(k in failed for k in parents_with_kids.get(cid, ())):
            continue
        mtype = registry.find(cid.type)
        exists = cid in org_inv.by_component
        if mtype is not None and mtype.children:
            _merge_children(plan, org_inv, pkg_inv, cid, cid in wanted,
                            parents_with_kids.get(cid, set()), overlay)
            continue
        new_paths = pkg_inv.by_component[cid]
        old_paths = org_inv.by_component.get(cid, [])
        changed = any(org_inv.read(p) != pkg_inv.read(p) for p in new_paths if p in old_paths) \
            or set(new_paths) != set(old_paths)
        stored = {path: mdapi_file_name(path, registry) for path in new_paths}
        for path in old_paths:
            if path not in stored.values():
                overlay[path] = None
        for path in new_paths:  # kept under the Metadata API's names (folders: Sales-meta.xml)
            overlay[stored[path]] = pkg_inv.read(path)
        main = org_inv.main_file(cid) if exists else None
        if exists and changed and main in old_paths:
            plan.before[cid] = org_inv.read(main)
        plan.successes.append(Success(cid, pkg_inv.main_file(cid), created=not exists,
                                      changed=exists and changed))


def _merge_children(plan: DeployPlan, org_inv: Inventory, pkg_inv: Inventory, parent: ComponentId,
                    whole: bool, kids: set[ComponentId], overlay: dict[str, bytes | None]) -> None:
    registry = org_inv.registry
    path = pkg_inv.main_file(parent)
    new_pieces = split_file(path, pkg_inv.read(path), registry)
    exists = parent in org_inv.by_component
    current = overlay.get(path) or (org_inv.read(org_inv.main_file(parent)) if exists else None)
    old_pieces = split_file(path, current, registry) if current else []
    old_top = next((p for p in old_pieces if p.parent is None), None)
    new_top = next((p for p in new_pieces if p.parent is None), None)
    merged = {p.id: p.xml for p in old_pieces if p.parent is not None}
    old_kids = dict(merged)
    for piece in new_pieces:
        if piece.parent is not None and (whole or piece.id in kids):
            merged[piece.id] = piece.xml
            plan.successes.append(Success(piece.id, path, created=piece.id not in old_kids,
                                          changed=piece.id in old_kids and old_kids[piece.id] != piece.xml))
            if piece.id in old_kids and old_kids[piece.id] != piece.xml:
                plan.before[piece.id] = old_kids[piece.id]
    top = new_top if (whole or old_top is None) and new_top is not None else old_top
    ordered = [merged[k] for k in sorted(merged)]
    overlay[path] = compose_file(parent.type, ordered, top.xml if top else None, registry)
    if whole or not exists:
        changed = exists and old_top is not None and new_top is not None and old_top.xml != new_top.xml
        plan.successes.append(Success(parent, path, created=not exists, changed=changed))


def _delete(plan: DeployPlan, org_inv: Inventory, pkg: Package,
            overlay: dict[str, bytes | None]) -> None:
    registry = org_inv.registry
    for type_name, members in sorted(pkg.types.items()):
        mtype = registry.find(type_name)
        if mtype is None:
            plan.failures.append(Failure(ComponentId("Package", "destructiveChanges.xml"),
                                         "destructiveChanges.xml",
                                         f"Unknown type name '{type_name}' specified in package.xml"))
            continue
        for member in members:
            cid = member_id(registry, type_name, member)
            if mtype.parent:
                parent = org_inv.find_child(cid)
                if parent is None:
                    plan.failures.append(_not_found_warning(cid, type_name, member))
                    continue
                path = org_inv.main_file(parent)
                current = overlay.get(path) or org_inv.read(path)
                pieces = split_file(path, current, registry)
                top = next((p for p in pieces if p.parent is None), None)
                kids = [p.xml for p in pieces if p.parent is not None and p.id != cid]
                overlay[path] = compose_file(parent.type, kids, top.xml if top else None, registry)
                plan.successes.append(Success(cid, path, deleted=True))
                continue
            if cid not in org_inv.by_component:
                plan.failures.append(_not_found_warning(cid, type_name, member))
                continue
            for path in org_inv.by_component[cid]:
                overlay[path] = None
            plan.successes.append(Success(cid, org_inv.main_file(cid), deleted=True))


def _not_found_warning(cid: ComponentId, type_name: str, member: str) -> Failure:
    return Failure(cid, "destructiveChanges.xml", f"No {type_name} named: {member} found",
                   problem_type="Warning")


def _overlay_inventory(org_inv: Inventory, overlay: Mapping[str, bytes | None]) -> Inventory:
    """The org as it would be after the deploy, without copying unchanged files."""

    class _View(dict):
        def __missing__(self, path: str) -> bytes:
            return org_inv.read(path)

    paths = (set(org_inv.paths()) | {p for p, d in overlay.items() if d is not None}) - {
        p for p, d in overlay.items() if d is None}
    view = _View({p: d for p, d in overlay.items() if d is not None})
    inv = Inventory(registry=org_inv.registry, files=view)
    inv._index(sorted(paths))
    return inv


def _check_orphans(plan: DeployPlan, org_inv: Inventory, wanted: set[ComponentId],
                   children: dict[ComponentId, ComponentId]) -> None:
    """A child whose parent entity exists neither in the org nor in the package (a field on a
    missing object): the parent file would be nothing but that child. Only for parent types
    that are entities of their own (PARENT_MUST_EXIST); container files such as sharing rules
    or labels are created by their first child."""
    for kid, parent in sorted(children.items()):
        if parent.type not in PARENT_MUST_EXIST or parent in org_inv.by_component:
            continue
        if parent in wanted:
            continue
        plan.failures.append(Failure(
            kid, org_inv.registry.expected_path(parent),
            f"Entity of type '{parent.type}' named '{parent.full_name}' cannot be found"))


def _tests(plan: DeployPlan, after: Inventory, opts: DeployOptions, is_sandbox: bool,
           wanted: set[ComponentId]) -> None:
    # production's default: RunLocalTests when the deploy holds Apex, else no tests at all
    has_code = any(c.type in APEX_TYPES for c in wanted)
    level = opts.test_level or ("RunLocalTests" if not is_sandbox and has_code else "NoTestRun")
    if level not in TEST_LEVELS:
        plan.error_message = f"Invalid testLevel: {level}"
        return
    if not is_sandbox and level == "NoTestRun" and has_code:
        plan.error_message = (
            f"INVALID_OPERATION: {NO_TEST_RUN_IN_PRODUCTION}")
        return
    if level == "RunSpecifiedTests":
        if not opts.run_tests:
            plan.error_message = "No tests specified with RunSpecifiedTests"
            return
        for name in sorted(opts.run_tests):
            cls, _, method = name.partition(".")
            plan.tests_run += [f"{cls}.{method}"] if method else _test_methods(after, cls)
    elif level in ("RunLocalTests", "RunAllTestsInOrg"):
        for cid in after.of_type("ApexClass"):
            plan.tests_run += _test_methods(after, cid.full_name)


def _test_methods(inv: Inventory, class_name: str) -> list[str]:
    """`Class.method` of each test method of a class (`@IsTest` or `testMethod`), in source
    order, as Salesforce reports one result per method."""
    cid = ComponentId("ApexClass", class_name)
    found: list[str] = []
    for path in inv.by_component.get(cid, []):
        if not path.endswith(".cls"):
            continue
        text = inv.read(path).decode("utf-8", "replace")
        if not _ISTEST.search(text.encode()) and "testmethod" not in text.lower():
            continue
        hits = sorted((m.start(), m.group(1)) for regex in (_TEST_ANNOTATED, _TEST_MODIFIER)
                      for m in regex.finditer(text))
        found += [f"{class_name}.{name}" for _, name in hits if f"{class_name}.{name}" not in found]
    return found


def apply_plan(root: Path, plan: DeployPlan, staging: Path) -> None:
    """Write a validated plan into the org folder: stage every new file, then move them into
    place, then delete. Call with the org lock held."""
    staging.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for i, (path, data) in enumerate(sorted(plan.writes.items())):
            tmp = staging / f"{i}.tmp"
            tmp.write_bytes(data)
            staged.append((tmp, root / path))
    except OSError:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, dest in staged:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
    delete_and_prune(root, sorted(plan.deletes))


def delete_and_prune(root: Path, paths: list[str]) -> None:
    """Delete `paths` under `root` and every folder they leave empty (a deleted bundle's
    folder), as an org no longer lists a component whose files are gone."""
    for path in paths:
        target = root / path
        target.unlink(missing_ok=True)
        parent = target.parent
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
