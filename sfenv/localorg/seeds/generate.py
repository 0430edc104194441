"""Large generated orgs for tests and benchmarks: deterministic, fast, in Salesforce's format.

`generate_org(dest, components, seed)` writes `components` top-level components spread over
the types a mature org has (Apex classes with meta files, custom objects with many fields,
layouts, profiles and permission sets referencing fields, reports and dashboards in folders,
email templates, LWC bundles, flows, roles, groups, queues, custom labels...). Files are
streamed from template strings (no XML library per file) that follow Salesforce's byte format
exactly; the same inputs always give byte-identical trees. `mutate_org` then applies a
deterministic set of modifications, additions and deletions for incremental-pull tests.
"""

from __future__ import annotations

import json
import math
import os
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sfenv.errors import ConfigError

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
NS = ' xmlns="http://soap.sforce.com/2006/04/metadata"'
API_VERSION = "62.0"
MIN_COMPONENTS = 50
STATE_DIR = ".localorg"
SEED_FILE = "seed.json"
_EPOCH = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
_AUTHORS = ("Org Admin", "Build Bot", "Ava Lindqvist", "Ravi Menon", "Chloe Dubois")

# Share of the components per type; ApexClass takes the remainder, folders follow contents.
_SHARES = (
    ("ApexTrigger", 0.03), ("CustomObject", 0.08), ("Layout", 0.08), ("Report", 0.30),
    ("Dashboard", 0.03), ("EmailTemplate", 0.10), ("PermissionSet", 0.02), ("Flow", 0.04),
    ("StaticResource", 0.03), ("LightningComponentBundle", 0.05), ("Role", 0.015),
    ("Group", 0.01), ("Queue", 0.005), ("CustomTab", 0.03), ("CustomPermission", 0.005),
    ("GlobalValueSet", 0.005),
)
_PER_FOLDER = 50
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class GeneratedOrg:
    """What `generate_org` wrote: top-level component counts per type, files, component ids."""

    dest: Path
    seed: int
    counts: dict[str, int]
    files: int
    components: tuple[str, ...] = field(repr=False)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def plan_counts(components: int) -> dict[str, int]:
    """Components per type for a requested total (folders and profiles included)."""
    if components < MIN_COMPONENTS:
        raise ConfigError(f"large:{components}: a generated org needs at least "
                          f"{MIN_COMPONENTS} components")
    counts = {name: max(1, int(components * share)) for name, share in _SHARES}
    counts["Layout"] = counts["CustomObject"]
    counts["CustomTab"] = min(counts["CustomTab"], counts["CustomObject"])
    counts["ReportFolder"] = math.ceil(counts["Report"] / _PER_FOLDER)
    counts["DashboardFolder"] = math.ceil(counts["Dashboard"] / _PER_FOLDER)
    counts["EmailFolder"] = math.ceil(counts["EmailTemplate"] / _PER_FOLDER)
    counts["Profile"] = 4
    counts["CustomLabels"] = 1
    counts["ApexClass"] = components - sum(counts.values())
    return dict(sorted(counts.items()))


class _Writer:
    """Streams files under `root`, creating each directory once."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self.dirs: set[str] = set()
        self.count = 0
        self.ids: list[str] = []   # the components written, "Type:FullName"

    def write(self, rel: str, text: str) -> None:
        path = os.path.join(self.root, rel)
        folder = os.path.dirname(path)
        if folder not in self.dirs:
            os.makedirs(folder, exist_ok=True)
            self.dirs.add(folder)
        fd = os.open(path, _FLAGS, 0o644)  # plain syscalls: 3x faster than open() per file
        try:
            os.write(fd, text.encode("utf-8"))
        finally:
            os.close(fd)
        self.count += 1

    def doc(self, cid: str, rel: str, body: str) -> None:
        """Write one component's Metadata API XML (root element named after its type)."""
        self.write(rel, _doc(cid.split(":", 1)[0], body))
        self.ids.append(cid)


def _doc(root: str, body: str) -> str:
    return f"{HEAD}<{root}{NS}>\n{body}</{root}>\n"


def _meta(root: str, extra: str = "") -> str:
    return _doc(root, f"    <apiVersion>{API_VERSION}</apiVersion>\n{extra}")


def _obj(i: int) -> str:
    return f"Obj{i:05d}__c"


def _field_xml(name: str, kind: int, rng: random.Random, objects: int, i: int) -> str:
    label = name.removesuffix("__c").replace("_", " ")
    common = (f"        <fullName>{name}</fullName>\n        <externalId>false</externalId>\n"
              f"        <label>{label}</label>\n")
    tail = "        <trackHistory>false</trackHistory>\n        <trackTrending>false</trackTrending>\n"
    if kind == 0:
        return (f"{common}        <length>{rng.choice((40, 80, 120, 255))}</length>\n"
                f"        <required>false</required>\n{tail}        <type>Text</type>\n"
                "        <unique>false</unique>\n")
    if kind == 1:
        return (f"{common}        <precision>{rng.choice((10, 16, 18))}</precision>\n"
                f"        <required>false</required>\n        <scale>{rng.choice((0, 2))}</scale>\n"
                f"{tail}        <type>Number</type>\n        <unique>false</unique>\n")
    if kind == 2:
        return (f"        <fullName>{name}</fullName>\n        <defaultValue>false</defaultValue>\n"
                f"        <externalId>false</externalId>\n        <label>{label}</label>\n"
                f"{tail}        <type>Checkbox</type>\n")
    if kind == 3:
        return f"{common}        <required>false</required>\n{tail}        <type>Date</type>\n"
    if kind == 4:
        values = "".join(
            f"                <value>\n                    <fullName>Option {v}</fullName>\n"
            f"                    <default>{'true' if v == 1 else 'false'}</default>\n"
            f"                    <label>Option {v}</label>\n                </value>\n"
            for v in range(1, rng.randint(3, 6)))
        return (f"{common}        <required>false</required>\n{tail}        <type>Picklist</type>\n"
                "        <valueSet>\n            <restricted>true</restricted>\n"
                "            <valueSetDefinition>\n                <sorted>false</sorted>\n"
                f"{values}            </valueSetDefinition>\n        </valueSet>\n")
    if kind == 5:
        target = _obj(rng.randrange(i)) if i else "Account"
        rel = f"{name.removesuffix('__c')}_{i:05d}"
        return (f"        <fullName>{name}</fullName>\n        <deleteConstraint>SetNull</deleteConstraint>\n"
                f"        <externalId>false</externalId>\n        <label>{label}</label>\n"
                f"        <referenceTo>{target}</referenceTo>\n        <relationshipLabel>{label}s</relationshipLabel>\n"
                f"        <relationshipName>{rel}</relationshipName>\n        <required>false</required>\n"
                f"{tail}        <type>Lookup</type>\n")
    if kind == 6:
        return (f"{common}        <precision>16</precision>\n        <required>false</required>\n"
                f"        <scale>2</scale>\n{tail}        <type>Currency</type>\n")
    return (f"        <fullName>{name}</fullName>\n        <externalId>false</externalId>\n"
            f"        <formula>IF(ISBLANK(Name), &quot;&quot;, UPPER(LEFT(Name, 3)) &amp; &quot;-&quot; &amp; Id)</formula>\n"
            f"        <formulaTreatBlanksAs>BlankAsZero</formulaTreatBlanksAs>\n        <label>{label}</label>\n"
            f"        <required>false</required>\n{tail}        <type>Text</type>\n        <unique>false</unique>\n")


# Children per custom object, from the corpora (`tests/bench/proportions.py`; mean over the
# three real orgs at their tips): validation rules 0.2-0.9 (-> 0.8 here), record types 0.2-1.4
# (-> 1.0), list views 1.5-1.9 (-> 1.75). Drawn from their own random stream, so the rest of a
# generated org is what it was before these children were added.
_VALIDATION_RULES = (0, 0, 1, 1, 2)
_RECORD_TYPES = (0, 0, 0, 1, 2, 3)
_EXTRA_LIST_VIEWS = (0, 0, 1, 2)


def _object_children(i: int, fields: list[str], rng: random.Random) -> dict[str, str]:
    """The list views, record types and validation rules of object `i` (XML by element)."""
    views = "".join(
        f"    <listViews>\n        <fullName>View_{v}</fullName>\n"
        + "".join(f"        <columns>{f}</columns>\n" for f in fields[v:v + 3])
        + f"        <filterScope>Mine</filterScope>\n        <label>View {v}</label>\n    </listViews>\n"
        for v in range(rng.choice(_EXTRA_LIST_VIEWS)))
    types = "".join(
        f"    <recordTypes>\n        <fullName>Type_{r}</fullName>\n        <active>true</active>\n"
        f"        <label>Type {r}</label>\n    </recordTypes>\n"
        for r in range(rng.choice(_RECORD_TYPES)))
    rules = "".join(
        f"    <validationRules>\n        <fullName>Rule_{r}</fullName>\n        <active>true</active>\n"
        f"        <errorConditionFormula>ISBLANK({fields[r % len(fields)]})</errorConditionFormula>\n"
        f"        <errorMessage>Rule {r} of object {i}.</errorMessage>\n    </validationRules>\n"
        for r in range(rng.choice(_VALIDATION_RULES)))
    return {"listViews": views, "recordTypes": types, "validationRules": rules}


def _object_xml(i: int, fields: list[str], rng: random.Random, objects: int,
                children: dict[str, str] | None = None) -> str:
    extra = children or {}
    body = ["    <deploymentStatus>Deployed</deploymentStatus>\n",
            f"    <description>Generated object {i}.</description>\n",
            "    <enableActivities>false</enableActivities>\n    <enableReports>true</enableReports>\n",
            "    <enableSearch>true</enableSearch>\n    <enableSharing>true</enableSharing>\n",
            "    <externalSharingModel>Private</externalSharingModel>\n"]
    for name in fields:
        kind = 5 if name.startswith("Ref_") else rng.choice((0, 1, 2, 3, 4, 6, 7))
        body.append(f"    <fields>\n{_field_xml(name, kind, rng, objects, i)}    </fields>\n")
    body.append(f"    <label>Object {i}</label>\n")
    body.append("    <listViews>\n        <fullName>All</fullName>\n        <columns>NAME</columns>\n"
                + "".join(f"        <columns>{f}</columns>\n" for f in fields[:4])
                + "        <filterScope>Everything</filterScope>\n        <label>All</label>\n    </listViews>\n"
                + extra.get("listViews", ""))
    body.append("    <nameField>\n        <label>Name</label>\n        <type>Text</type>\n    </nameField>\n")
    body.append(f"    <pluralLabel>Objects {i}</pluralLabel>\n{extra.get('recordTypes', '')}"
                "    <searchLayouts/>\n")
    body.append(f"    <sharingModel>{rng.choice(('Private', 'Read', 'ReadWrite'))}</sharingModel>\n")
    body.append(f"{extra.get('validationRules', '')}    <visibility>Public</visibility>\n")
    return _doc("CustomObject", "".join(body))


def _layout_xml(fields: list[str]) -> str:
    items = "".join(f"            <layoutItems>\n                <behavior>Edit</behavior>\n"
                    f"                <field>{f}</field>\n            </layoutItems>\n" for f in fields[:10])
    return _doc("Layout", (
        "    <layoutSections>\n        <customLabel>false</customLabel>\n"
        "        <detailHeading>false</detailHeading>\n        <editHeading>true</editHeading>\n"
        "        <label>Information</label>\n        <layoutColumns>\n"
        "            <layoutItems>\n                <behavior>Required</behavior>\n"
        f"                <field>Name</field>\n            </layoutItems>\n{items}"
        "        </layoutColumns>\n        <style>OneColumn</style>\n    </layoutSections>\n"
        "    <showEmailCheckbox>false</showEmailCheckbox>\n    <showHighlightsPanel>false</showHighlightsPanel>\n"
        "    <showInteractionLogPanel>false</showInteractionLogPanel>\n"
        "    <showRunAssignmentRulesCheckbox>false</showRunAssignmentRulesCheckbox>\n"
        "    <showSubmitAndAttachButton>false</showSubmitAndAttachButton>\n"))


def _class_src(name: str, i: int, objects: int) -> str:
    target = _obj(i % objects)
    return (f"public with sharing class {name} {{\n"
            f"    public static List<{target}> recent(Integer max) {{\n"
            f"        return [SELECT Id, Name FROM {target} ORDER BY CreatedDate DESC LIMIT :max];\n"
            "    }\n\n"
            f"    public static Integer weight() {{\n        return {i % 97};\n    }}\n}}\n")


def _perm_blocks(fields: list[str], objects: list[str], classes: list[str], profile: bool) -> str:
    out = []
    for c in classes:
        out.append(f"    <classAccesses>\n        <apexClass>{c}</apexClass>\n"
                   "        <enabled>true</enabled>\n    </classAccesses>\n")
    if profile:
        out.append("    <custom>true</custom>\n")
    for f in fields:
        out.append(f"    <fieldPermissions>\n        <editable>true</editable>\n        <field>{f}</field>\n"
                   "        <readable>true</readable>\n    </fieldPermissions>\n")
    return "".join(out)


def _object_perms(objects: list[str]) -> str:
    return "".join(
        "    <objectPermissions>\n        <allowCreate>true</allowCreate>\n        <allowDelete>false</allowDelete>\n"
        "        <allowEdit>true</allowEdit>\n        <allowRead>true</allowRead>\n"
        f"        <modifyAllRecords>false</modifyAllRecords>\n        <object>{o}</object>\n"
        "        <viewAllRecords>false</viewAllRecords>\n    </objectPermissions>\n" for o in objects)


def generate_org(dest: Path, components: int, seed: int = 0) -> GeneratedOrg:
    """Write a generated org of `components` top-level components into `dest`."""
    counts = plan_counts(components)
    rng = random.Random(seed)
    out = _Writer(Path(dest))
    ids = out.ids
    n_obj = counts["CustomObject"]
    shape = random.Random(f"{seed}-object-children")
    object_fields: list[list[str]] = []
    for i in range(n_obj):
        nfields = rng.randint(8, 40)
        names = [f"Field_{j:03d}__c" for j in range(nfields - 2)] + [f"Ref_{j}__c" for j in range(2)]
        names.sort()
        object_fields.append(names)
        out.write(f"objects/{_obj(i)}.object",
                  _object_xml(i, names, rng, n_obj, _object_children(i, names, shape)))
        out.write(f"layouts/{_obj(i)}-Object {i} Layout.layout", _layout_xml(names))
        ids += [f"CustomObject:{_obj(i)}", f"Layout:{_obj(i)}-Object {i} Layout"]
    for i in range(counts["CustomTab"]):
        out.doc(f"CustomTab:{_obj(i)}", f"tabs/{_obj(i)}.tab", (
            "    <customObject>true</customObject>\n    <mobileReady>false</mobileReady>\n"
            f"    <motif>Custom{i % 100 + 1}: Generated</motif>\n"))
    classes = [f"Gen{i:05d}Service" for i in range(counts["ApexClass"])]
    class_meta = _meta("ApexClass", "    <status>Active</status>\n")
    for i, name in enumerate(classes):
        out.write(f"classes/{name}.cls", _class_src(name, i, n_obj))
        out.write(f"classes/{name}.cls-meta.xml", class_meta)
        ids.append(f"ApexClass:{name}")
    trigger_meta = _meta("ApexTrigger", "    <status>Active</status>\n")
    for i in range(counts["ApexTrigger"]):
        name, target = f"Obj{i:05d}Trigger", _obj(i % n_obj)
        out.write(f"triggers/{name}.trigger",
                  f"trigger {name} on {target} (before insert, before update) {{\n"
                  f"    {classes[i % len(classes)]}.weight();\n}}\n")
        out.write(f"triggers/{name}.trigger-meta.xml", trigger_meta)
        ids.append(f"ApexTrigger:{name}")
    for i in range(counts["ReportFolder"]):
        out.doc(f"ReportFolder:Folder{i:04d}", f"reports/Folder{i:04d}-meta.xml", (
            "    <folderShares>\n        <accessLevel>View</accessLevel>\n"
            f"        <sharedTo>Group{i % counts['Group']:04d}</sharedTo>\n"
            f"        <sharedToType>Group</sharedToType>\n    </folderShares>\n    <name>Folder {i}</name>\n"))
    for i in range(counts["Report"]):
        o = i % n_obj
        cols = "".join(f"    <columns>\n        <field>{_obj(o)}.{f}</field>\n    </columns>\n"
                       for f in object_fields[o][:5])
        name = f"Folder{i // _PER_FOLDER:04d}/Report{i:05d}"
        out.doc(f"Report:{name}", f"reports/{name}.report", (
            f"{cols}    <description>Generated report {i}.</description>\n    <format>Tabular</format>\n"
            f"    <name>Report {i}</name>\n    <params>\n        <name>co</name>\n        <value>1</value>\n"
            f"    </params>\n    <reportType>CustomEntity${_obj(o)}</reportType>\n    <scope>organization</scope>\n"
            "    <showDetails>true</showDetails>\n    <showGrandTotal>true</showGrandTotal>\n"
            "    <showSubTotals>true</showSubTotals>\n    <timeFrameFilter>\n"
            "        <dateColumn>CUST_CREATED_DATE</dateColumn>\n        <interval>INTERVAL_CUSTOM</interval>\n"
            "    </timeFrameFilter>\n"))
    for i in range(counts["DashboardFolder"]):
        out.doc(f"DashboardFolder:Dash{i:04d}", f"dashboards/Dash{i:04d}-meta.xml",
                f"    <name>Dashboards {i}</name>\n")
    for i in range(counts["Dashboard"]):
        name = f"Dash{i // _PER_FOLDER:04d}/Dashboard{i:05d}"
        report = f"Folder{(i % counts['Report']) // _PER_FOLDER:04d}/Report{i % counts['Report']:05d}"
        out.doc(f"Dashboard:{name}", f"dashboards/{name}.dashboard", (
            "    <backgroundEndColor>#FFFFFF</backgroundEndColor>\n    <backgroundFadeDirection>Diagonal</backgroundFadeDirection>\n"
            "    <backgroundStartColor>#FFFFFF</backgroundStartColor>\n    <dashboardType>LoggedInUser</dashboardType>\n"
            "    <leftSection>\n        <columnSize>Medium</columnSize>\n        <components>\n"
            "            <autoselectColumnsFromReport>true</autoselectColumnsFromReport>\n"
            "            <componentType>Table</componentType>\n            <displayUnits>Auto</displayUnits>\n"
            f"            <header>Component {i}</header>\n            <report>{report}</report>\n"
            "        </components>\n    </leftSection>\n    <textColor>#000000</textColor>\n"
            f"    <title>Dashboard {i}</title>\n    <titleColor>#000000</titleColor>\n    <titleSize>12</titleSize>\n"))
    for i in range(counts["EmailFolder"]):
        out.doc(f"EmailFolder:Mail{i:04d}", f"email/Mail{i:04d}-meta.xml", (
            f"    <accessType>Public</accessType>\n    <name>Templates {i}</name>\n"
            "    <publicFolderAccess>ReadWrite</publicFolderAccess>\n"))
    for i in range(counts["EmailTemplate"]):
        name = f"Mail{i // _PER_FOLDER:04d}/Template{i:05d}"
        out.write(f"email/{name}.email", f"Hello {{!Contact.FirstName}},\n\nMessage {i}.\n")
        out.doc(f"EmailTemplate:{name}", f"email/{name}.email-meta.xml", (
            f"    <available>true</available>\n    <encodingKey>UTF-8</encodingKey>\n    <name>Template {i}</name>\n"
            f"    <style>none</style>\n    <subject>Message {i}</subject>\n    <type>text</type>\n"
            "    <uiType>Aloha</uiType>\n"))
    for i in range(counts["LightningComponentBundle"]):
        name = f"cmp{i:05d}"
        out.write(f"lwc/{name}/{name}.js", "import { LightningElement, api } from 'lwc';\n\n"
                  f"export default class Cmp{i:05d} extends LightningElement {{\n    @api recordId;\n}}\n")
        out.write(f"lwc/{name}/{name}.html", f"<template>\n    <p>Component {i}</p>\n</template>\n")
        out.write(f"lwc/{name}/{name}.js-meta.xml", _meta("LightningComponentBundle", (
            "    <isExposed>true</isExposed>\n    <targets>\n        <target>lightning__RecordPage</target>\n"
            "    </targets>\n")))
        ids.append(f"LightningComponentBundle:{name}")
    for i in range(counts["StaticResource"]):
        out.write(f"staticresources/Res{i:05d}.resource", f"resource {i}\n")
        out.doc(f"StaticResource:Res{i:05d}", f"staticresources/Res{i:05d}.resource-meta.xml", (
            "    <cacheControl>Private</cacheControl>\n    <contentType>text/plain</contentType>\n"))
    for i in range(counts["Flow"]):
        o = i % n_obj
        out.doc(f"Flow:Flow{i:05d}", f"flows/Flow{i:05d}.flow", (
            f"    <apiVersion>{API_VERSION}</apiVersion>\n    <environments>Default</environments>\n"
            f"    <interviewLabel>Flow {i} {{!$Flow.CurrentDateTime}}</interviewLabel>\n    <label>Flow {i}</label>\n"
            "    <processType>AutoLaunchedFlow</processType>\n    <start>\n        <locationX>50</locationX>\n"
            f"        <locationY>0</locationY>\n        <object>{_obj(o)}</object>\n"
            "        <recordTriggerType>Create</recordTriggerType>\n        <triggerType>RecordAfterSave</triggerType>\n"
            f"    </start>\n    <status>{'Active' if i % 4 else 'Draft'}</status>\n"))
    for i in range(counts["Role"]):
        parent = f"    <parentRole>Role{(i - 1) // 3:04d}</parentRole>\n" if i else ""
        out.doc(f"Role:Role{i:04d}", f"roles/Role{i:04d}.role", (
            "    <caseAccessLevel>Edit</caseAccessLevel>\n    <contactAccessLevel>Edit</contactAccessLevel>\n"
            f"    <description>Role {i}</description>\n    <mayForecastManagerShare>false</mayForecastManagerShare>\n"
            f"    <name>Role {i}</name>\n    <opportunityAccessLevel>Read</opportunityAccessLevel>\n{parent}"))
    for i in range(counts["Group"]):
        out.doc(f"Group:Group{i:04d}", f"groups/Group{i:04d}.group", (
            f"    <doesIncludeBosses>{'true' if i % 2 else 'false'}</doesIncludeBosses>\n    <name>Group {i}</name>\n"))
    for i in range(counts["Queue"]):
        out.doc(f"Queue:Queue{i:04d}", f"queues/Queue{i:04d}.queue", (
            f"    <doesSendEmailToMembers>false</doesSendEmailToMembers>\n    <name>Queue {i}</name>\n"
            "    <queueMembers>\n        <publicGroups>\n"
            f"            <publicGroup>Group{i % counts['Group']:04d}</publicGroup>\n"
            "        </publicGroups>\n        <roles>\n"
            f"            <role>Role{i % counts['Role']:04d}</role>\n        </roles>\n    </queueMembers>\n"
            f"    <queueSobject>\n        <sobjectType>{_obj(i % n_obj)}</sobjectType>\n    </queueSobject>\n"))
    for i in range(counts["CustomPermission"]):
        out.doc(f"CustomPermission:Perm{i:04d}", f"customPermissions/Perm{i:04d}.customPermission", (
            f"    <isLicensed>false</isLicensed>\n    <label>Permission {i}</label>\n"))
    for i in range(counts["GlobalValueSet"]):
        values = "".join(f"    <customValue>\n        <fullName>Value {v}</fullName>\n"
                         f"        <default>false</default>\n        <label>Value {v}</label>\n"
                         "    </customValue>\n" for v in range(1, 6))
        out.doc(f"GlobalValueSet:Values{i:04d}", f"globalValueSets/Values{i:04d}.globalValueSet", (
            f"{values}    <masterLabel>Values {i}</masterLabel>\n    <sorted>false</sorted>\n"))
    qualified = [f"{_obj(o)}.{f}" for o in range(min(n_obj, 60)) for f in object_fields[o]
                 if not f.startswith("Ref_")][:2000]
    for i in range(counts["PermissionSet"]):
        o = i % n_obj
        fields = [f"{_obj(o)}.{f}" for f in object_fields[o] if not f.startswith("Ref_")]
        body = (_perm_blocks(fields, [], classes[i % len(classes):i % len(classes) + 3], False)
                .replace("    <fieldPermissions>", f"    <description>Generated permission set {i}.</description>\n"
                         "    <fieldPermissions>", 1)
                + f"    <hasActivationRequired>false</hasActivationRequired>\n    <label>Permission Set {i}</label>\n"
                + _object_perms([_obj(o)]))
        out.doc(f"PermissionSet:PermSet{i:04d}", f"permissionsets/PermSet{i:04d}.permissionset", body)
    for name in ("Admin", "Custom%3A Marketing Profile", "Sales User", "Support User"):
        body = (_perm_blocks(qualified, [], sorted(classes[:300]), True)
                + _object_perms([_obj(o) for o in range(min(n_obj, 200))])
                + "    <userLicense>Salesforce</userLicense>\n")
        out.doc(f"Profile:{name}", f"profiles/{name}.profile", body)
    n_labels = max(10, min(components // 10, 5000))
    labels = "".join(
        f"    <labels>\n        <fullName>Label_{i:05d}</fullName>\n        <language>en_US</language>\n"
        f"        <protected>false</protected>\n        <shortDescription>Label {i}</shortDescription>\n"
        f"        <value>Text of label {i} &amp; more</value>\n    </labels>\n" for i in range(n_labels))
    out.doc("CustomLabels:CustomLabels", "labels/CustomLabels.labels", labels)
    return GeneratedOrg(Path(dest), seed, counts, out.count, tuple(ids))


def _date(index: int, seed: int) -> datetime:
    return _EPOCH + timedelta(minutes=(index * 7919 + seed * 104729) % (600 * 24 * 60))


def _sf(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def large_seed_state(org: GeneratedOrg) -> dict:
    """seed.json content for a generated org: deterministic dates and authors per component."""
    components = {}
    for index, cid in enumerate(org.components):
        modified = _date(index, org.seed)
        created = modified - timedelta(days=index % 90)
        components[cid] = {"lastModifiedDate": _sf(modified),
                           "lastModifiedByName": _AUTHORS[index % len(_AUTHORS)],
                           "createdDate": _sf(created),
                           "createdByName": _AUTHORS[(index // 7) % len(_AUTHORS)]}
    return {
        "org_name": f"Large Org {org.total}",
        "is_sandbox": True,
        "instance_name": "CS999",
        "api_version": API_VERSION,
        "users": [{"username": "admin@large.example", "name": "Org Admin",
                   "email": "admin@large.example", "profile": "System Administrator",
                   "is_active": True},
                  {"username": "build.bot@large.example", "name": "Build Bot",
                   "email": "build.bot@large.example", "profile": "System Administrator",
                   "is_active": True}],
        "components": dict(sorted(components.items())),
        "audit_trail": [{"CreatedDate": _sf(_EPOCH), "CreatedByName": "Org Admin",
                         "Action": "createdUser", "Section": "Manage Users",
                         "Display": "Created new user Build Bot"}],
        "group_members": {},
    }


def mutate_org(dest: Path, changes: int, seed: int) -> list[str]:
    """Apply `changes` deterministic edits to a generated org; return the changed component ids.

    About 60% modify an Apex class, an object (its description) or a report, 25% add an Apex
    class and 15% delete one. When `dest/.localorg/seed.json` exists its component dates move
    forward for the changed ids (an already running local org needs `touch_components`)."""
    dest = Path(dest)
    rng = random.Random(f"mutate:{seed}:{changes}")
    classes = sorted(p.name[:-4] for p in (dest / "classes").glob("*.cls"))
    objects = sorted(p.name[:-7] for p in (dest / "objects").glob("*.object"))
    reports = sorted(p.relative_to(dest / "reports").as_posix()[:-7]
                     for p in (dest / "reports").glob("*/*.report"))
    touched: set[str] = set()
    added: list[str] = []
    deleted: list[str] = []
    for i in range(changes):
        roll = rng.random()
        if roll < 0.60:
            pool = rng.choice((classes, objects, reports) if reports else (classes, objects))
            if not pool:
                continue
            name = pool[rng.randrange(len(pool))]
            cid = _cid_of(pool, name, classes, objects)
            if cid in touched:
                continue
            _modify(dest, cid, f"{seed}-{i}")
            touched.add(cid)
        elif roll < 0.85 or len(classes) < 2:
            name = f"Mut{seed:04d}x{i:05d}"
            (dest / "classes" / f"{name}.cls").write_text(
                f"public with sharing class {name} {{\n    public static Integer change() {{\n"
                f"        return {i};\n    }}\n}}\n", encoding="utf-8")
            (dest / "classes" / f"{name}.cls-meta.xml").write_text(
                _meta("ApexClass", "    <status>Active</status>\n"), encoding="utf-8")
            touched.add(f"ApexClass:{name}")
            added.append(f"ApexClass:{name}")
        else:
            free = [c for c in classes if f"ApexClass:{c}" not in touched]
            if not free:
                continue
            name = rng.choice(free)
            classes.remove(name)
            (dest / "classes" / f"{name}.cls").unlink()
            (dest / "classes" / f"{name}.cls-meta.xml").unlink()
            touched.add(f"ApexClass:{name}")
            deleted.append(f"ApexClass:{name}")
    _update_state(dest, touched, set(deleted), seed)
    return sorted(touched)


def _cid_of(pool: list[str], name: str, classes: list[str], objects: list[str]) -> str:
    if pool is classes:
        return f"ApexClass:{name}"
    if pool is objects:
        return f"CustomObject:{name}"
    return f"Report:{name}"


def _modify(dest: Path, cid: str, tag: str) -> None:
    kind, name = cid.split(":", 1)
    if kind == "ApexClass":
        path = dest / "classes" / f"{name}.cls"
        text = path.read_text(encoding="utf-8").rstrip("\n")
        text = text[:-1] + f"\n    public static String revision() {{\n        return '{tag}';\n    }}\n}}\n"
    else:
        path = dest / ("objects" if kind == "CustomObject" else "reports") / (
            f"{name}.object" if kind == "CustomObject" else f"{name}.report")
        text = path.read_text(encoding="utf-8")
        start = text.index("<description>") + len("<description>")
        end = text.index("</description>", start)
        text = f"{text[:start]}Changed in revision {tag}.{text[end:]}"
    path.write_text(text, encoding="utf-8")


def _update_state(dest: Path, touched: set[str], deleted: set[str], seed: int) -> None:
    path = dest / STATE_DIR / SEED_FILE
    if not path.exists():
        return
    state = json.loads(path.read_text(encoding="utf-8"))
    comps = state.get("components", {})
    latest = max((v["lastModifiedDate"] for v in comps.values()), default=_sf(_EPOCH))
    base = datetime.strptime(latest, "%Y-%m-%dT%H:%M:%S.000Z").replace(tzinfo=UTC)
    for n, cid in enumerate(sorted(touched)):
        if cid in deleted:
            comps.pop(cid, None)
            continue
        when = _sf(base + timedelta(minutes=n + 1, seconds=seed % 60))
        old = comps.get(cid, {"createdDate": when, "createdByName": "Build Bot"})
        comps[cid] = {"lastModifiedDate": when, "lastModifiedByName": "Build Bot",
                      "createdDate": old["createdDate"], "createdByName": old["createdByName"]}
    state["components"] = dict(sorted(comps.items()))
    path.write_text(json.dumps(state, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
