"""Static resources: one source file named by its MIME type, or a folder that is a zip.

Source: `staticresources/logo.resource-meta.xml` + `staticresources/logo.png` (or a folder
`staticresources/lib/` for an archive). Metadata API: `staticresources/logo.resource` (the
bytes, or the folder zipped) + the same `-meta.xml`. Back to source, an archive whose content
type says zip is unpacked into a folder; any other resource gets the extension of its type.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping

from sfenv.core.metadata.xmlio import NS, parse_xml
from sfenv.core.metadata.ziputil import read_zip, write_zip

ARCHIVE_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
# What the Salesforce CLI names these (mime-types' first extension), where Python differs.
EXTENSIONS = {
    "application/octet-stream": "bin", "text/javascript": "js", "application/javascript": "js",
    "application/x-javascript": "js", "image/jpeg": "jpeg", "text/plain": "txt",
    "application/xml": "xml", "text/xml": "xml", "image/svg+xml": "svg", "text/html": "html",
    "application/json": "json", "text/css": "css", "application/pdf": "pdf",
    "application/jar": "jar", "application/java-archive": "jar", "text/csv": "csv",
    "font/woff": "woff", "font/woff2": "woff2", "image/x-icon": "ico",
    "application/zip": "zip", "application/x-zip-compressed": "zip", "application/x-zip": "zip",
}


def content_type(meta_xml: bytes, source: str) -> str:
    root = parse_xml(meta_xml, source)
    return (root.findtext(f"{{{NS}}}contentType") or "").strip().lower()


def extension(ctype: str) -> str:
    if ctype in EXTENSIONS:
        return EXTENSIONS[ctype]
    guessed = mimetypes.guess_extension(ctype, strict=False)
    return guessed[1:] if guessed else "bin"


def is_archive(ctype: str, data: bytes) -> bool:
    return ctype in ARCHIVE_TYPES and data[:4] == b"PK\x03\x04"


def to_mdapi_content(name: str, files: Mapping[str, bytes]) -> bytes:
    """The `.resource` bytes from its source files (paths relative to `staticresources/`)."""
    single = [p for p in files if "/" not in p]
    if len(single) == 1 and len(files) == 1:
        return files[single[0]]
    folder = {p[len(name) + 1:]: data for p, data in files.items() if p.startswith(name + "/")}
    return write_zip(dict(sorted(folder.items())))


def hidden(path: str) -> bool:
    """A path a source project never reads: a file or folder named with a leading dot (the
    Salesforce CLI's default `.forceignore` has `**/.*`; sfenv's loader skips them too)."""
    return any(part.startswith(".") for part in path.split("/"))


def to_source_files(name: str, data: bytes, ctype: str) -> dict[str, bytes]:
    """Source files (relative to `staticresources/`) of one resource's content. An archive is
    unpacked into a folder, unless it holds hidden files (macOS zips carry `__MACOSX/._x`):
    unpacked, those would be ignored and lost, so it stays one `<name>.zip` file, deployed as
    it is (so does an archive of no files, which a folder cannot hold)."""
    if is_archive(ctype, data):
        inner = read_zip(data, f"staticresources/{name}.resource")
        files = {path: content for path, content in inner.items() if not path.endswith("/")}
        if files and not any(hidden(path) for path in files):
            return {f"{name}/{path}": content for path, content in files.items()}
    return {f"{name}.{extension(ctype)}": data}
