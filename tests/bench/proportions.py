"""The shape of the real orgs in `../shared/corpora`, measured at each bundle's tip: entries
per profile and per permission set, and per custom object its fields, validation rules,
record types, list views and layouts. The bench states these figures with the generated
org's (`python -m tests.bench.proportions` prints them as JSON)."""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
from pathlib import Path

from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import local_name, parse_xml
from sfenv.io.source.load import load_tree
from sfenv.io.source.trees import read_dir
from tests.corpora.checks import corpora_dir
from tests.corpora.pairs import CORPORA

CHILDREN = {"fields": "fields", "validationRules": "validation_rules",
            "recordTypes": "record_types", "listViews": "list_views"}


def measure(tree: dict[str, bytes]) -> dict:
    """Figures of one Metadata API tree (as `load_tree` gives it)."""
    profiles, permsets, per_object = [], [], {k: [] for k in CHILDREN.values()}
    layouts: dict[str, int] = {}
    objects = 0
    for path, data in tree.items():
        if path.endswith((".profile", ".permissionset")):
            root = parse_xml(data, path)
            n = sum(1 for el in root if isinstance(el.tag, str) and len(el))
            (profiles if path.endswith(".profile") else permsets).append(n)
        elif path.startswith("objects/") and path.endswith(".object") and "__" in path:
            objects += 1
            root = parse_xml(data, path)
            counts = dict.fromkeys(CHILDREN.values(), 0)
            for el in root:
                key = CHILDREN.get(local_name(el))
                if key:
                    counts[key] += 1
            for key, n in counts.items():
                per_object[key].append(n)
        elif path.startswith("layouts/"):
            obj = path.split("/", 1)[1].split("-", 1)[0]
            layouts[obj] = layouts.get(obj, 0) + 1

    def stats(values: list[int]) -> dict:
        return {"n": len(values), "mean": round(statistics.mean(values), 1) if values else 0,
                "median": statistics.median(values) if values else 0,
                "max": max(values) if values else 0}

    return {"custom_objects": objects, "entries_per_profile": stats(profiles),
            "entries_per_permission_set": stats(permsets),
            **{f"{k}_per_object": stats(v) for k, v in per_object.items()},
            "layouts_per_object": stats(list(layouts.values()))}


def corpora_proportions() -> dict[str, dict]:
    source = corpora_dir()
    if source is None:
        return {}
    out = {}
    with tempfile.TemporaryDirectory(prefix="proportions-") as tmp:
        for name in CORPORA:
            dest = Path(tmp) / name
            subprocess.run(["git", "clone", "-q", str(source / f"{name}.bundle"), str(dest)],
                           check=True)
            files = read_dir(dest)
            loaded = load_tree(files, name, default_registry())
            out[name] = measure(loaded.files)
    return out


if __name__ == "__main__":
    print(json.dumps(corpora_proportions(), indent=1))
