"""A snapshot pair shaped like the real one of issue 16, written straight into a store.

The real pair: Metadata API format, 3,511 and 4,299 files, 1,071 files differing, large
profiles and objects. `real_pair(project)` generates the target side (A, `prod`) with
`sfenv.localorg.seeds.generate.generate_org` and derives the source side (B, `dev`) from it in
memory: new Apex classes (two files each), new fields on objects (with their layouts), the
profiles and some permission sets granting the new fields and classes, reports edited. No org
and no pull: the benchmark measures `release plan`/`build` and sfdx-git-delta on the same two
commits, nothing else.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.seeds.generate import generate_org
from tests.bench.scenario import org_files

# sizes of the real pair (issue 16); `scale` multiplies them
TARGET_FILES = 3511
SOURCE_FILES = 4299
FILES_PER_COMPONENT = 1.42      # generate_org's ratio (85,279 files for 60,000 components)
NEW_CLASSES = 380               # 760 files added
CHANGED_OBJECTS = 90            # object + layout each: 180 files
CHANGED_PERMSETS = 40
CHANGED_REPORTS = 90
NEW_FIELDS = 3

CONFIG = """project: realpair
api_version: "62.0"
environments:
  dev:
    login_url: https://dev.invalid
    username: dev@realpair.invalid
    password_env: SFENV_REALPAIR_PW
  prod:
    login_url: https://prod.invalid
    username: prod@realpair.invalid
    password_env: SFENV_REALPAIR_PW
    production: true
path: [dev, prod]
"""  # no org is reached: plan and build read the store only


@dataclass
class RealPair:
    project: Path
    before: str          # A: the target's snapshot (prod)
    after: str           # B: the source's snapshot (dev)
    files_before: int
    files_after: int
    files_differing: int


def _field(name: str) -> str:
    return (f"    <fields>\n        <fullName>{name}</fullName>\n        <externalId>false</externalId>\n"
            f"        <label>{name.removesuffix('__c').replace('_', ' ')}</label>\n"
            "        <length>80</length>\n        <required>false</required>\n"
            "        <type>Text</type>\n        <unique>false</unique>\n    </fields>\n")


def _grant(field: str) -> str:
    return (f"    <fieldPermissions>\n        <editable>true</editable>\n        <field>{field}</field>\n"
            "        <readable>true</readable>\n    </fieldPermissions>\n")


def _class_access(name: str) -> str:
    return (f"    <classAccesses>\n        <apexClass>{name}</apexClass>\n"
            "        <enabled>true</enabled>\n    </classAccesses>\n")


def _insert_before(text: str, marker: str, block: str) -> str:
    at = text.index(marker)
    return text[:at] + block + text[at:]


def _class(name: str, i: int) -> tuple[str, str]:
    src = (f"public with sharing class {name} {{\n    public static Integer release() {{\n"
           f"        return {i};\n    }}\n}}\n")
    meta = ('<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="http://soap.sforce.com/2006/04/'
            'metadata">\n    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n</ApexClass>\n')
    return src, meta


def derive_source(a: dict[str, bytes], scale: float = 1.0) -> dict[str, bytes]:
    """B from A: what a sprint of a team of a dozen people adds and edits."""
    b = dict(a)
    text = {p: d.decode("utf-8") for p, d in a.items()}
    objects = sorted(p for p in a if p.startswith("objects/") and p.endswith(".object"))
    layouts = {p.split("/", 1)[1].split("-", 1)[0]: p for p in a if p.startswith("layouts/")}
    granted: list[str] = []
    for p in objects[:round(CHANGED_OBJECTS * scale)]:
        obj = p.split("/", 1)[1].removesuffix(".object")
        names = [f"Release_{k}__c" for k in range(NEW_FIELDS)]
        body = text[p]
        for name in names:
            body = _insert_before(body, "</CustomObject>", _field(name))
        b[p] = body.encode()
        granted += [f"{obj}.{n}" for n in names]
        layout = layouts.get(obj)
        if layout is not None:
            items = "".join(f"            <layoutItems>\n                <behavior>Edit</behavior>\n"
                            f"                <field>{n}</field>\n            </layoutItems>\n"
                            for n in names)
            b[layout] = _insert_before(text[layout], "            <layoutItems>", items).encode()
    classes = [f"Release{i:05d}Handler" for i in range(round(NEW_CLASSES * scale))]
    for i, name in enumerate(classes):
        src, meta = _class(name, i)
        b[f"classes/{name}.cls"] = src.encode()
        b[f"classes/{name}.cls-meta.xml"] = meta.encode()
    grants = "".join(_grant(f) for f in granted) + "".join(_class_access(c) for c in classes[:150])
    for p in sorted(x for x in a if x.startswith("profiles/")):
        b[p] = _insert_before(text[p], "    <objectPermissions>", grants).encode()
    for n, p in enumerate(sorted(x for x in a if x.startswith("permissionsets/"))
                          [:round(CHANGED_PERMSETS * scale)]):
        mine = "".join(_grant(f) for f in granted[n * 3:n * 3 + 3]) or _class_access(classes[n])
        b[p] = _insert_before(text[p], "    <hasActivationRequired>", mine).encode()
    reports = sorted(p for p in a if p.startswith("reports/") and p.endswith(".report"))
    for n, p in enumerate(reports[:round(CHANGED_REPORTS * scale)]):
        b[p] = text[p].replace("</description>", f" Revised in sprint {n}.</description>", 1).encode()
    return b


def real_pair(project: Path, scale: float = 1.0, seed: int = 7) -> RealPair:
    """Write sfenv.yml and the two snapshots (prod = A, dev = B) into `project`."""
    project.mkdir(parents=True, exist_ok=True)
    (project / "sfenv.yml").write_text(CONFIG)
    with tempfile.TemporaryDirectory(prefix="realpair-") as tmp:
        generate_org(Path(tmp), round(TARGET_FILES * scale / FILES_PER_COMPONENT), seed)
        a = org_files(Path(tmp))
    return _write_pair(project, a, derive_source(a, scale))


def mutated_pair(project: Path, components: int, share: float = 0.01, seed: int = 1) -> RealPair:
    """The pair of `make bench`'s scenario without the org and the pulls: a generated org of
    `components` (A, `prod`) and the same org after `mutate_org` changed `share` of its
    components (B, `dev`), both written straight into the store (for growth measurements)."""
    from sfenv.localorg.seeds.generate import mutate_org

    project.mkdir(parents=True, exist_ok=True)
    (project / "sfenv.yml").write_text(CONFIG)
    with tempfile.TemporaryDirectory(prefix="mutatedpair-") as tmp:
        generate_org(Path(tmp), components, 0)
        a = org_files(Path(tmp))
        mutate_org(Path(tmp), max(1, round(components * share)), seed)
        b = org_files(Path(tmp))
    return _write_pair(project, a, b)


def _write_pair(project: Path, a: dict[str, bytes], b: dict[str, bytes]) -> RealPair:
    """A as `prod`'s snapshot, B as `dev`'s, in the store of `project`."""
    store = SnapshotStore(project)
    meta = {"source": "tests/bench/realpair.py"}
    before = store.write_snapshot("prod", a, meta, expected_old=None)
    after = store.write_snapshot("dev", b, meta, expected_old=None)
    differing = sum(1 for p in set(a) | set(b) if a.get(p) != b.get(p))
    return RealPair(project, before, after, len(a), len(b), differing)
