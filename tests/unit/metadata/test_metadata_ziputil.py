import io
import stat
import zipfile

import pytest

from sfenv.core.metadata.ziputil import read_zip, write_zip
from sfenv.errors import MetadataError


def _zip(entries, *, symlink=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def test_zip_round_trip_strips_the_retrieve_prefix():
    files = {"classes/Foo.cls": b"x", "objects/Account.object": b"<CustomObject/>"}
    data = write_zip(files, prefix="unpackaged/")
    assert read_zip(data, "r.zip", strip_prefix="unpackaged/") == files


def test_written_zips_are_deterministic():
    a = write_zip({"b": b"2", "a/x": b"1"})
    b = write_zip({"a/x": b"1", "b": b"2"})
    assert a == b
    with zipfile.ZipFile(io.BytesIO(a)) as zf:
        assert zf.namelist() == ["a/x", "b"]
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("name, why", [
    ("/etc/passwd", "absolute path"),
    ("../../evil.sh", "'..' in path"),
    ("unpackaged/classes/../../x", "'..' in path"),
    ("classes\\..\\x.cls", "backslash"),
    ("C:/Windows/x", "drive letter"),
])
def test_hostile_entry_names_are_rejected_naming_zip_and_entry(name, why):
    with pytest.raises(MetadataError, match=rf"^retrieve\.zip: entry .* rejected: {why}"):
        read_zip(_zip({name: b"x"}), "retrieve.zip")


def test_symlink_entries_are_rejected():
    with pytest.raises(MetadataError, match=r"entry 'classes/link' rejected: symbolic link"):
        read_zip(_zip({"classes/a.cls": b"x"}, symlink="classes/link"), "r.zip")


def test_too_many_files_are_rejected():
    with pytest.raises(MetadataError, match=r"^r\.zip: 11 entries, more than the limit of 10"):
        read_zip(_zip({f"f{i}": b"x" for i in range(11)}), "r.zip", max_files=10)


def test_decompression_bomb_is_rejected():
    bomb = _zip({"a": b"\0" * 5_000_000, "b": b"\0" * 5_000_000})
    assert len(bomb) < 50_000
    with pytest.raises(MetadataError, match=r"entry 'b' rejected: decompressed size over the limit"):
        read_zip(bomb, "bomb.zip", max_bytes=8_000_000)


def test_lying_size_header_is_caught_while_decompressing():
    data = bytearray(_zip({"a": b"\0" * 2_000_000}))
    # shrink the declared size in the central directory: the real bytes still count
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("a")
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (100).to_bytes(4, "little")
    with pytest.raises(MetadataError, match=r"bomb\.zip: entry 'a'"):
        read_zip(bytes(data), "bomb.zip", max_bytes=1_000_000)
    assert info.file_size == 2_000_000


def test_garbage_is_not_a_zip():
    with pytest.raises(MetadataError, match=r"^x\.zip: not a readable zip file"):
        read_zip(b"not a zip", "x.zip")
