"""Source-format facts per type (sfdx projects): the `source_format` part of the registry.

Which types are decomposed into one file per child in source format (and the suffix, folder,
element and key of each child), which mix content files of any name with a `-meta.xml`, which
are merged from several files, and the `sourceBehaviorOptions` presets that change those
layouts. Generated into `registry.json` by `tools/gen_source_types.py` from the Salesforce
CLI's registry; read through `Registry.source` (`sfenv.io.source` asks it). Directories and
suffixes of every type come from the rest of the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any


@dataclass(frozen=True)
class DecomposedChild:
    type: str  # CustomField
    suffix: str  # field  (objects/Account/fields/Region__c.field-meta.xml)
    directory: str  # fields (only used by "folderPerType" parents)
    element: str  # the element holding it in the Metadata API file: <fields>
    key: str  # the element naming it: <fullName> (<name> for CustomFieldTranslation)
    legacy_suffix: str | None = None


@dataclass(frozen=True)
class Decomposed:
    parent: str
    decomposition: str  # "folderPerType" (objects/A/fields/F...) | "topLevel" (bots/B/v1...)
    children: tuple[DecomposedChild, ...]

    def by_suffix(self, suffix: str) -> DecomposedChild | None:
        return next((c for c in self.children if suffix in (c.suffix, c.legacy_suffix)), None)

    def by_element(self, element: str) -> DecomposedChild | None:
        return next((c for c in self.children if c.element == element), None)


@dataclass(frozen=True)
class LabelFiles:
    """decomposeCustomLabelsBeta2: `labels/<Name>.label-meta.xml`, one `<CustomLabel>` each."""

    suffix: str
    element: str


@dataclass(frozen=True, eq=False)
class SourceTable:
    """The source-format facts, for the default layout or a project's presets (`with_options`)."""

    decomposed: dict[str, Decomposed]
    mixed_content: frozenset[str]  # StaticResource, Document, ExperienceBundle
    merged: frozenset[str]  # CustomLabels: several source files make one Metadata API file
    label_files: dict[str, LabelFiles] = field(default_factory=dict)
    # decomposePermissionSetBeta2: every file of `permissionsets/<Name>/` is part of the set
    merged_folders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    presets: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    options: tuple[str, ...] = ()

    def with_options(self, options: tuple[str, ...]) -> SourceTable:
        """The table for a project's `sourceBehaviorOptions` (unknown options are ignored)."""
        return _with_options(self, tuple(sorted(o for o in options if o in self.presets)))

    def child_suffixes(self) -> dict[str, tuple[Decomposed, DecomposedChild]]:
        out: dict[str, tuple[Decomposed, DecomposedChild]] = {}
        for parent in self.decomposed.values():
            for child in parent.children:
                out[child.suffix] = (parent, child)
                if child.legacy_suffix:
                    out[child.legacy_suffix] = (parent, child)
        return out


def _decomposed(entries: Mapping[str, Any]) -> dict[str, Decomposed]:
    return {
        name: Decomposed(name, entry["decomposition"], tuple(
            DecomposedChild(c["type"], c["suffix"], c["directory"], c["element"], c["key"],
                            c.get("legacy_suffix")) for c in entry["children"]))
        for name, entry in entries.items()
    }


def source_table_of(data: Mapping[str, Any]) -> SourceTable:
    """The table held by the registry's `source_format` data (empty when it has none)."""
    return SourceTable(_decomposed(data.get("decomposed", {})),
                       frozenset(data.get("mixed_content", ())), frozenset(data.get("merged", ())),
                       presets=dict(data.get("presets", {})))


@cache
def _with_options(base: SourceTable, options: tuple[str, ...]) -> SourceTable:
    if not options:
        return base
    decomposed = dict(base.decomposed)
    labels: dict[str, LabelFiles] = {}
    folders: dict[str, tuple[str, ...]] = {}
    for option in options:
        preset = base.presets[option]
        decomposed.update(_decomposed(preset.get("decomposed", {})))
        if "label_files" in preset:
            spec = preset["label_files"]
            labels[spec["type"]] = LabelFiles(spec["suffix"], spec["element"])
        for type_name, spec in preset.get("merged_folders", {}).items():
            folders[type_name] = tuple(spec["suffixes"])
    for type_name in list(labels) + list(folders):
        decomposed.pop(type_name, None)  # a later preset of the same type wins
    return SourceTable(decomposed, base.mixed_content, base.merged, labels, folders,
                       base.presets, options)
