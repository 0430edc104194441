"""Canonical bytes for a retrieve's files, keeping what the org gave when that fails.

A backup must not be lost to one odd file (a `.js-meta.xml` holding plain text, a file with a
byte Salesforce lets through): a file that cannot be parsed or normalised is stored exactly
as retrieved and named in a warning. Diff and release then see it as an opaque file (changed
when its bytes change).
"""

from __future__ import annotations

from collections.abc import Mapping

from sfenv.errors import MetadataError
from sfenv.metadata.registry import Registry
from sfenv.metadata.xmlio import canonicalize


def normalise_files(files: Mapping[str, bytes],
                    registry: Registry) -> tuple[dict[str, bytes], list[str]]:
    """(canonical files, warnings naming each file kept as retrieved)."""
    out: dict[str, bytes] = {}
    warnings: list[str] = []
    for path, data in files.items():
        try:
            out[path] = canonicalize(path, data, registry)
        except MetadataError as err:
            out[path] = data
            warnings.append(f"{path}: kept as retrieved, not normalised ({_reason(err, path)})")
    return out, warnings


def _reason(err: MetadataError, path: str) -> str:
    text = str(err)
    return text[len(path) + 1:].lstrip(": ") if text.startswith(path + ":") else text
