"""Hostile zips: from the org's retrieve answer (a compromised org or proxy) and straight into
`read_zip`. Unsafe entries fail the pull untouched (exit 3); entries no metadata type owns are
refused and reported while the snapshot completes without them."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from sfenv.core.metadata.ziputil import read_zip
from sfenv.errors import MetadataError
from sfenv.io.store.snapshots import SnapshotStore
from tests.reliability.kit import complete, untouched, zip_with


def entry(name: str, mode: int = stat.S_IFREG | 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    info.create_system = 3
    return info


UNSAFE = {
    "traversal": (entry("../../evil.cls"), "'..' in path"),
    "traversal-inside": (entry("classes/../../evil.cls"), "'..' in path"),
    "absolute": (entry("/etc/cron.d/evil"), "absolute path"),
    "backslash": (entry("classes\\..\\evil.cls"), "backslash"),
    "drive-letter": (entry("C:/evil.cls"), "drive letter"),
    "symlink": (entry("classes/Link.cls", stat.S_IFLNK | 0o777), "symbolic link"),
    "char-device": (entry("classes/Dev.cls", stat.S_IFCHR | 0o644), "device"),
    "fifo": (entry("classes/Fifo.cls", stat.S_IFIFO | 0o644), "device"),
}
NOT_METADATA = [".github/workflows/evil.yml", "scripts/run.sh", "classes/.hidden",
                ".sfenv/components.json"]


@pytest.mark.parametrize("case", list(UNSAFE))
def test_unsafe_zip_entry_fails_the_pull_untouched(tampered, case):
    project, _, install = tampered
    info, why = UNSAFE[case]
    install(lambda data: zip_with(data, [(info, b"target")]))
    before = SnapshotStore(project.root).head("dev")
    line = untouched(project.root, "dev", before, project.cli("pull", "dev", "--full", "--quiet"), 3)
    assert why in line


@pytest.mark.parametrize("path", NOT_METADATA)
def test_non_metadata_path_is_refused_and_reported(tampered, path):
    project, baseline, install = tampered
    install(lambda data: zip_with(data, [(entry(path), b"on: push\njobs: {}\n")]))
    result = project.cli("pull", "dev", "--full", "--json")
    head = complete(project.root, "dev", baseline, result)
    assert path not in SnapshotStore(project.root).files(head) or path.startswith(".sfenv/")
    assert f"refused {path}: no metadata type owns this path" in result.stdout
    if path == ".sfenv/components.json":  # sfenv's own index is never the org's
        assert b"on: push" not in SnapshotStore(project.root).read_file(head, path)


def bomb(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("classes/Big.cls", b"\0" * size)
    return out.getvalue()


def test_a_zip_bomb_is_stopped_while_decompressing():
    data = bomb(8 << 20)
    assert len(data) < 64 << 10
    with pytest.raises(MetadataError, match="decompressed size over the limit"):
        read_zip(data, "retrieve", max_bytes=1 << 20)


def test_a_zip_whose_header_lies_about_its_size_is_counted_for_real():
    data = bytearray(bomb(4 << 20))
    # shrink the declared uncompressed size in the central directory to 10 bytes
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (10).to_bytes(4, "little")
    with pytest.raises(MetadataError):
        read_zip(bytes(data), "retrieve", max_bytes=1 << 20)


def test_too_many_entries_are_refused():
    data = zip_with(bomb(1), [(entry(f"classes/C{i}.cls"), b"x") for i in range(50)])
    with pytest.raises(MetadataError, match="more than the limit"):
        read_zip(data, "retrieve", max_files=20)


def test_duplicate_entry_names_are_refused():
    with pytest.warns(UserWarning):
        data = zip_with(bomb(1), [(entry("classes/Big.cls"), b"second")])
    with pytest.raises(MetadataError, match="duplicate name"):
        read_zip(data, "retrieve")


def test_garbage_is_not_a_zip():
    with pytest.raises(MetadataError, match="not a readable zip"):
        read_zip(b"PK\x03\x04 not really", "retrieve")


LONG = "A" * 4_090
BAD_NAMES = {"4090-characters": LONG, "control-character": "Evil\x07Bell",
             "dot-dot-level": "..", "long-folder-level": f"{'F' * 300}/Report"}


@pytest.mark.parametrize("case", ["4090-characters", "control-character"])
def test_a_retrieved_name_no_api_name_can_have_fails_the_pull_untouched(tampered, case):
    project, _, install = tampered
    name = BAD_NAMES[case]
    install(lambda data: zip_with(data, [(entry(f"classes/{name}.cls"), b"public class X {}"),
                                         (entry(f"classes/{name}.cls-meta.xml"), b"<x/>")]))
    before = SnapshotStore(project.root).head("dev")
    line = untouched(project.root, "dev", before,
                     project.cli("pull", "dev", "--full", "--quiet"), 3)
    assert "ApexClass:" in line and "no Salesforce API name" in line, line
    assert len(line) < 400, "the name is shown cut, not in full"


@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_a_listed_name_no_api_name_can_have_fails_the_pull_before_any_retrieve(clean_dev,
                                                                            monkeypatch, case):
    from sfenv.io.org.client import OrgClient

    project, _ = clean_dev
    name = BAD_NAMES[case]
    type_name = "Report" if "/" in name else "ApexClass"
    original = OrgClient.list_metadata

    def listing(self, queries, keys=None):
        rows = original(self, queries, keys) if keys is not None else original(self, queries)
        if any(q.get("type") == type_name for q in queries):
            rows = [*rows, {"type": type_name, "fullName": name,
                            "lastModifiedDate": "2026-01-01T00:00:00.000Z"}]
        return rows

    monkeypatch.setattr(OrgClient, "list_metadata", listing)
    before = SnapshotStore(project.root).head("dev")
    line = untouched(project.root, "dev", before,
                     project.cli("pull", "dev", "--full", "--quiet"), 3)
    assert f"listing names {type_name}:" in line, line
