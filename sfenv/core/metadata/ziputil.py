"""Zip files in and out: hostile-input safe reading, deterministic writing.

Why: retrieve results and packages come from servers and repositories we do not control, so
every entry name is checked (no absolute paths, `..`, backslashes, drive letters, symlinks,
devices)
and the total size is capped while decompressing. Written zips are byte-identical for the same
input (sorted names, fixed timestamps), so a release artifact's digest is stable.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from collections.abc import Mapping

from sfenv.errors import MetadataError

DEFAULT_MAX_FILES = 20000
DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB decompressed: well above one org's metadata
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1 << 20


def check_entry_name(name: str) -> str | None:
    """Why an entry name is unsafe, or None when it is a plain relative path."""
    if not name:
        return "empty name"
    if "\x00" in name:
        return "NUL byte in name"
    if "\\" in name:
        return "backslash in name"
    if name.startswith("/"):
        return "absolute path"
    if _DRIVE.match(name):
        return "drive letter in name"
    if any(part == ".." for part in name.split("/")):
        return "'..' in path"
    return None


def read_zip(data: bytes, source: str, *, strip_prefix: str = "",
             max_files: int = DEFAULT_MAX_FILES, max_bytes: int = DEFAULT_MAX_BYTES
             ) -> dict[str, bytes]:
    """Files of a zip as {path: bytes}; MetadataError naming the zip and entry for anything
    unsafe. Directory entries are skipped; `strip_prefix` (e.g. "unpackaged/") is removed."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise MetadataError(f"{source}: not a readable zip file ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > max_files:
            raise MetadataError(f"{source}: {len(infos)} entries, more than the limit of {max_files}")
        files: dict[str, bytes] = {}
        total = 0
        for info in infos:
            name = info.filename
            why = check_entry_name(name)
            if why:
                raise MetadataError(f"{source}: entry {name!r} rejected: {why}")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise MetadataError(f"{source}: entry {name!r} rejected: symbolic link")
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise MetadataError(f"{source}: entry {name!r} rejected: device, pipe or "
                                    "socket, not a file")
            if info.flag_bits & 0x1:
                raise MetadataError(f"{source}: entry {name!r} rejected: encrypted")
            if info.is_dir():
                continue
            if total + info.file_size > max_bytes:
                raise MetadataError(f"{source}: entry {name!r} rejected: decompressed size over "
                                    f"the limit of {max_bytes} bytes")
            total, content = _read_entry(zf, info, source, total, max_bytes)
            if strip_prefix and name.startswith(strip_prefix):
                name = name[len(strip_prefix):]
                if not name:
                    continue
            if name in files:
                raise MetadataError(f"{source}: entry {name!r} rejected: duplicate name")
            files[name] = content
    return files


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, total: int,
                max_bytes: int) -> tuple[int, bytes]:
    """Decompress one entry, counting real bytes (declared sizes may lie)."""
    chunks = []
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise MetadataError(f"{source}: entry {info.filename!r} rejected: decompressed "
                                        f"size over the limit of {max_bytes} bytes")
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise MetadataError(f"{source}: entry {info.filename!r} unreadable ({exc})") from None
    return total, b"".join(chunks)


def write_zip(files: Mapping[str, bytes], prefix: str = "") -> bytes:
    """A zip of `files` under `prefix`, with the same bytes for the same input."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            full = prefix + name
            why = check_entry_name(full)
            if why:
                raise MetadataError(f"cannot write zip entry {full!r}: {why}")
            info = zipfile.ZipInfo(full, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.create_system = 3
            zf.writestr(info, files[name], compresslevel=6)
    return buf.getvalue()
