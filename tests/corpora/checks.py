"""What the corpora tier checks on a written delta, shared by the tests and `make corpora`."""

from __future__ import annotations

import os
from pathlib import Path

from sfenv.core.metadata.registry import default_registry
from sfenv.io.source.paths import locate

REPO_ROOT = Path(__file__).resolve().parents[2]


def corpora_dir() -> Path | None:
    """`../shared/corpora` beside the repository (a worktree one level deeper also looks two
    levels up), or `$SFENV_CORPORA`; None when there is none."""
    env = os.environ.get("SFENV_CORPORA")
    candidates = [Path(env)] if env else []
    candidates += [REPO_ROOT.parent / "shared" / "corpora",
                   REPO_ROOT.parent.parent / "shared" / "corpora"]
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.bundle")):
            return folder
    return None


MANIFESTS = ("package.xml", "destructiveChanges.xml", "destructiveChangesPre.xml",
             "destructiveChangesPost.xml")


def check_written(out: Path, written: list[Path], fmt: str) -> list[str]:
    """Every file written lies inside `out` (resolved, no link followed) and is a manifest or a
    metadata file of the layout: `src/<a type's folder>/...` (Metadata API) or
    `package/package.xml`, `destructiveChanges/*.xml`, `force-app/main/default/...` (source)."""
    registry = default_registry()
    table = registry.source
    root = out.resolve()
    bad: list[str] = []
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    listed = set()
    for path in written:
        real = path.resolve()
        if not real.is_relative_to(root) or path.is_symlink():
            bad.append(f"{path}: outside {out}")
            continue
        rel = real.relative_to(root).as_posix()
        listed.add(rel)
        if fmt == "mdapi":
            ok = rel in MANIFESTS or (rel.startswith("src/")
                                      and registry.component_of(rel[4:]) is not None)
        else:
            ok = (rel == "package/package.xml"
                  or (rel.startswith("destructiveChanges/") and rel.rsplit("/", 1)[1] in MANIFESTS)
                  or (rel.startswith("force-app/main/default/")
                      and locate(rel, registry, table) is not None))
        if not ok:
            bad.append(f"{rel}: not a metadata path")
    bad += [f"{rel}: written but not reported" for rel in sorted(on_disk - listed)]
    return bad
