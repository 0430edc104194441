"""Zip static resources through `export --format source` and back (DAHLIA's 7 archives).

An archive unpacked into a folder cannot come back byte-identical: git keeps no entry
timestamps, order, compression or directory entries, so it is zipped again with sfenv's own
(deterministic) settings; the members are the same. An archive holding hidden files (macOS's
`__MACOSX/._x`, DAHLIA's JQuery.resource has 649) stays one `.zip` file instead: unpacked, a
source project ignores those files (`**/.*`) and they were lost on the way back."""

from __future__ import annotations

import io
import zipfile

from sfenv.core.metadata.registry import default_registry
from sfenv.io.source.convert import to_mdapi, to_source

META = (b'<?xml version="1.0" encoding="UTF-8"?>\n<StaticResource '
        b'xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        b"    <cacheControl>Public</cacheControl>\n"
        b"    <contentType>application/x-zip-compressed</contentType>\n</StaticResource>\n")


def archive(names: list[str]) -> bytes:
    """A zip as other tools write it: real timestamps, entries in the given order."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=(2016, 6, 14, 9, 19, 58))
            z.writestr(info, b"" if name.endswith("/") else f"content of {name}".encode())
    return buf.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}


def round_trip(data: bytes) -> tuple[dict[str, bytes], list[str], bytes]:
    registry = default_registry()
    tree = {"staticresources/Lib.resource": data, "staticresources/Lib.resource-meta.xml": META}
    source = to_source(tree, registry)
    project = {f"force-app/main/default/{p}": d for p, d in source.files.items()}
    back = to_mdapi(project, registry)
    return source.files, source.warnings, back.files["staticresources/Lib.resource"]


def test_an_archive_is_unpacked_and_comes_back_with_the_same_members():
    data = archive(["css/", "css/b.css", "js/a.js", "index.html"])
    source, warnings, back = round_trip(data)
    assert sorted(source) == ["staticresources/Lib.resource-meta.xml", "staticresources/Lib/css/b.css",
                              "staticresources/Lib/index.html", "staticresources/Lib/js/a.js"]
    assert warnings == []
    assert back != data  # re-zipped: timestamps, order and the directory entry are not kept
    assert members(back) == members(data)


def test_an_archive_with_hidden_files_stays_one_file_and_comes_back_byte_identical():
    data = archive(["lib/index.html", "__MACOSX/lib/._index.html", "lib/.htaccess"])
    source, warnings, back = round_trip(data)
    assert sorted(source) == ["staticresources/Lib.resource-meta.xml", "staticresources/Lib.zip"]
    assert back == data
    assert len(warnings) == 1 and "staticresources/Lib.resource" in warnings[0] \
        and "staticresources/Lib.zip" in warnings[0]
