"""An org holding at least one component of every type in the registry (`every-type`).

For the completeness round trip: what the local org serves of it must be what a default pull
stores. Each top-level type gets one component at the path the registry expects, written in
Salesforce's byte format; types with child types carry one child of each; content types get
their `-meta.xml`; bundles their main file plus a second file; in-folder types one component
in a folder, one in a nested folder (not for documents) and one in `unfiled$public` (the folders get their
`<folder>-meta.xml`, as a retrieve returns them); Documents keep their extension in the name.
"""

from __future__ import annotations

from pathlib import Path

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import MetadataType, Registry, default_registry

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
NS = "http://soap.sforce.com/2006/04/metadata"
NAME = "Every1"
FOLDER = "Every_Folder"
NESTED = f"{FOLDER}/Every_Sub"
UNFILED = "unfiled$public"
# types whose components only exist under Salesforce's own names
STANDARD_NAMES = {"StandardValueSet": "AccountType"}


def _xml(root: str, body: str = "") -> bytes:
    return f'{HEAD}<{root} xmlns="{NS}">\n{body}</{root}>\n'.encode()


def _body(mtype: MetadataType) -> str:
    lines = ["    <description>every-type fixture</description>\n"]
    for spec in mtype.children:
        key = f"{NAME}_{spec.type_name}"
        lines.append(f"    <{spec.xml_element}>\n        <{spec.key_element}>{key}</{spec.key_element}>\n"
                     f"    </{spec.xml_element}>\n")
    return "".join(lines)


def every_type_files(registry: Registry | None = None) -> dict[str, bytes]:
    """path -> bytes of the every-type org (deterministic)."""
    registry = registry or default_registry()
    files: dict[str, bytes] = {}
    for mtype in sorted(registry.all(), key=lambda t: t.name):
        if mtype.handler.is_folder:
            continue
        for cid in _components(mtype):
            files.update(_component_files(registry, mtype, cid))
        if mtype.in_folder and mtype.folder_type:
            for folder in _folders(mtype):
                # as a Metadata API retrieve returns folders: reports/Sales-meta.xml
                files[f"{mtype.directory}/{folder}-meta.xml"] = _xml(mtype.folder_type, f"    <name>{folder}</name>\n"
                                   "    <publicFolderAccess>ReadOnly</publicFolderAccess>\n")
    return files


def _components(mtype: MetadataType) -> list[ComponentId]:
    ext = ".txt" if mtype.name_has_extension else ""
    if not mtype.in_folder:
        return [ComponentId(mtype.name, STANDARD_NAMES.get(mtype.name, NAME) + ext)]
    return [ComponentId(mtype.name, f"{folder}/{NAME}{ext}") for folder in (*_folders(mtype), UNFILED)]


def _folders(mtype: MetadataType) -> tuple[str, ...]:
    """Document folders do not nest in Salesforce; report, dashboard and email folders do."""
    return (FOLDER,) if mtype.name_has_extension else (FOLDER, NESTED)


def _component_files(registry: Registry, mtype: MetadataType, cid: ComponentId) -> dict[str, bytes]:
    main = registry.expected_path(cid)
    if mtype.handler.compares_elements:
        return {main: _xml(mtype.name, _body(mtype))}
    if not mtype.handler.folder_per_component:  # content: the file and its -meta.xml
        meta = registry.meta_path(cid) or f"{main}-meta.xml"
        return {main: f"{cid.full_name} content\n".encode(), meta: _xml(mtype.name, _body(mtype))}
    # bundle: the main file plus one more file in the bundle's folder
    folder = f"{mtype.directory}/{cid.full_name}"
    out = {main: _xml(mtype.name, _body(mtype)) if main.endswith(".xml")
           else f"{cid.full_name}\n".encode()}
    out[f"{folder}/{NAME}.txt" if main.startswith(folder + "/") else f"{folder}/content.txt"] = \
        b"bundle file\n"
    return out


def generate_every_type(dest: Path, registry: Registry | None = None) -> dict[str, bytes]:
    """Write the every-type org into `dest` (no state: the local org creates it on start)."""
    files = every_type_files(registry)
    for rel, data in files.items():
        path = Path(dest) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files
