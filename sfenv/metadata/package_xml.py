"""package.xml (and destructiveChanges*.xml) read and written as Salesforce does.

Member names are escaped XML and may hold spaces, dots, `&`, `/` and unicode; we keep them
verbatim and sort them (with `*` first) so that the same package always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from sfenv.errors import MetadataError
from sfenv.metadata.ids import ComponentId
from sfenv.metadata.xmlio import NS, local_name, parse_xml, write_xml


@dataclass
class Package:
    types: dict[str, list[str]] = field(default_factory=dict)
    version: str = ""

    @classmethod
    def of(cls, components: Iterable[ComponentId], version: str) -> Package:
        pkg = cls({}, version)
        for cid in components:
            pkg.add(cid)
        return pkg

    def add(self, cid: ComponentId) -> None:
        members = self.types.setdefault(cid.type, [])
        if cid.full_name not in members:
            members.append(cid.full_name)

    def components(self) -> list[ComponentId]:
        """Every named member as a ComponentId (wildcards `*` excluded), sorted."""
        return sorted(ComponentId(t, m) for t, ms in self.types.items() for m in ms if m != "*")


def _member_order(name: str) -> tuple[int, str]:
    return (0 if name == "*" else 1, name)


def parse_package(data: bytes, source: str) -> Package:
    """Parse a package.xml; MetadataError naming `source` when it is not one."""
    root = parse_xml(data, source)
    if local_name(root) != "Package":
        raise MetadataError(f"{source}:{root.sourceline or 1}: root element is <{local_name(root)}>, "
                            "expected <Package>")
    pkg = Package({}, "")
    for el in root:
        name = local_name(el)
        if name == "version":
            pkg.version = (el.text or "").strip()
        elif name == "types":
            type_name = ""
            members: list[str] = []
            for sub in el:
                sub_name = local_name(sub)
                if sub_name == "name":
                    type_name = (sub.text or "").strip()
                elif sub_name == "members":
                    members.append(sub.text or "")
            if not type_name:
                raise MetadataError(f"{source}:{el.sourceline or 1}: <types> without <name>")
            bucket = pkg.types.setdefault(type_name, [])
            bucket.extend(m for m in members if m and m not in bucket)
    return pkg


def write_package(pkg: Package) -> bytes:
    """Salesforce's package.xml bytes: types by name, members sorted with `*` first, version."""
    root = etree.Element(f"{{{NS}}}Package", nsmap={None: NS})
    for type_name in sorted(pkg.types):
        members = sorted(set(pkg.types[type_name]), key=_member_order)
        if not members:
            continue
        types_el = etree.SubElement(root, f"{{{NS}}}types")
        for member in members:
            etree.SubElement(types_el, f"{{{NS}}}members").text = member
        etree.SubElement(types_el, f"{{{NS}}}name").text = type_name
    if pkg.version:
        etree.SubElement(root, f"{{{NS}}}version").text = pkg.version
    return write_xml(root)



def destructive_files(pkg: Package, *, pre: bool = False) -> dict[str, bytes]:
    """A deletion package: an empty package.xml plus destructiveChangesPost.xml (or
    destructiveChanges.xml with `pre=True`, deleting before the deploy's additions)."""
    name = "destructiveChanges.xml" if pre else "destructiveChangesPost.xml"
    return {"package.xml": write_package(Package({}, pkg.version)), name: write_package(pkg)}
