"""Hostile XML inside a retrieved zip (and straight into the hardened parser): DTDs, entities,
billion laughs, invalid encodings, absurd depth. The parser refuses each in one line naming
the file; a pull that meets one keeps the file exactly as the org sent it (an opaque file,
issue 12), warns naming it, and completes: nothing is resolved, fetched or expanded."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from sfenv.core.metadata.xmlio import parse_xml
from sfenv.errors import MetadataError
from sfenv.io.store.snapshots import SnapshotStore

TARGET = "classes/InvoiceService.cls-meta.xml"
HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
NS = b' xmlns="http://soap.sforce.com/2006/04/metadata"'
LAUGHS = HEAD + b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' + b"".join(
    b'<!ENTITY %c "&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;">' % ((c,) + (c - 1,) * 10)
    for c in range(ord("b"), ord("k"))) + b"]>\n<ApexClass" + NS + b"><apiVersion>&j;</apiVersion></ApexClass>\n"

HOSTILE = {
    "doctype": HEAD + b"<!DOCTYPE ApexClass>\n<ApexClass" + NS + b"/>\n",
    "external-entity": HEAD + b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
                       b"<ApexClass" + NS + b"><apiVersion>&e;</apiVersion></ApexClass>\n",
    "network-entity": HEAD + b'<!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/x">]>\n'
                      b"<ApexClass" + NS + b"><apiVersion>&e;</apiVersion></ApexClass>\n",
    "parameter-entity": HEAD + b'<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n'
                        b"<ApexClass" + NS + b"/>\n",
    "billion-laughs": LAUGHS,
    "invalid-utf8": HEAD + b"<ApexClass" + NS + b"><status>Activ\xe9</status></ApexClass>\n",
    "unknown-encoding": b'<?xml version="1.0" encoding="x-no-such-charset"?>\n<ApexClass/>\n',
    "deep-nesting": HEAD + b"<ApexClass" + NS + b">" + b"<a>" * 5000 + b"</a>" * 5000
                    + b"</ApexClass>\n",
    "unclosed": HEAD + b"<ApexClass" + NS + b"><apiVersion>62.0</ApexClass>\n",
}


def replace_entry(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, content if info.filename == name else src.read(info))
    return out.getvalue()


@pytest.mark.parametrize("case", list(HOSTILE))
def test_parser_refuses_hostile_xml_in_one_line(case):
    with pytest.raises(MetadataError) as err:
        parse_xml(HOSTILE[case], TARGET)
    message = str(err.value)
    assert message.startswith(f"{TARGET}:") and "\n" not in message
    assert "root:" not in message  # nothing of /etc/passwd was read


@pytest.mark.parametrize("case", ["doctype", "external-entity", "billion-laughs",
                                  "invalid-utf8", "deep-nesting"])
def test_hostile_xml_in_a_retrieve_is_kept_as_sent_and_never_expanded(tampered, case):
    project, _, install = tampered
    install(lambda data: replace_entry(data, TARGET, HOSTILE[case]))
    result = project.cli("pull", "dev", "--full", "--json")
    assert result.exit_code == 0, result.output
    assert any(TARGET in w and "kept as retrieved" in w
               for w in json.loads(result.stdout)["warnings"]), result.stdout[-2000:]
    store = SnapshotStore(project.root)
    files = store.files(store.head("dev"))
    assert store.read_blob(files[TARGET]) == HOSTILE[case]  # byte for byte, nothing expanded
    assert not any(b"root:" in store.read_blob(sha) for path, sha in files.items()
                   if path.startswith("classes/"))  # nothing of /etc/passwd was read
