"""Shared helpers of the source-format tests: fixture folders as path -> bytes mappings."""

from __future__ import annotations

from pathlib import Path

from sfenv.core.metadata.ziputil import read_zip

CASES = Path(__file__).parent / "cases"


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def same_file(path: str, a: bytes, b: bytes) -> bool:
    """Byte for byte, except zip archives (static resources): their entries byte for byte,
    since deflate output differs between zip libraries."""
    if path.endswith(".resource") and a[:4] == b[:4] == b"PK\x03\x04":
        return read_zip(a, path) == read_zip(b, path)
    return a == b


def tree_differences(got: dict[str, bytes], want: dict[str, bytes]) -> list[str]:
    problems = [f"missing {p}" for p in sorted(set(want) - set(got))]
    problems += [f"unexpected {p}" for p in sorted(set(got) - set(want))]
    problems += [f"differs {p}" for p in sorted(set(got) & set(want))
                 if not same_file(p, got[p], want[p])]
    return problems
