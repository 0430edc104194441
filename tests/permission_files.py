"""Every profile and permission set file the test suite ships, as (metadata path, bytes): the
real-shaped inputs that equivalence tests of the permission-entry code run over."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).parent
SUFFIXES = {"profile": "profiles", "permissionset": "permissionsets",
            "mutingpermissionset": "mutingpermissionsets"}


def permission_files() -> list[tuple[str, bytes]]:
    found = []
    for path in sorted(TESTS.rglob("*")):
        name = path.name.removesuffix("-meta.xml")
        stem, _, suffix = name.rpartition(".")
        if path.is_file() and suffix in SUFFIXES and stem:
            found.append((f"{SUFFIXES[suffix]}/{name}", path.read_bytes()))
    return found
