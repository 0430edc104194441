"""Shared helpers for the Metadata API tests: a small org folder, SOAP calls, zeep parsing.

Every response a test receives goes through `zeep_parse`, which reads it with simple-salesforce's
own metadata.wsdl and zeep settings, so a shape the client cannot read fails the test.
"""

from __future__ import annotations

import base64
import io
import zipfile
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import simple_salesforce
from zeep import Client, Settings
from zeep.exceptions import Fault

from sfenv.localorg.mdapi import api as metadata_api
from sfenv.localorg.state import OrgState

NS = "http://soap.sforce.com/2006/04/metadata"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def xml(root: str, body: str) -> bytes:
    return f'{HEAD}<{root} xmlns="{NS}">\n{body}\n</{root}>\n'.encode()


ORG_FILES: dict[str, bytes] = {
    "objects/Account.object": xml("CustomObject", """    <fields>
        <fullName>Region__c</fullName>
        <label>Region</label>
        <length>80</length>
        <type>Text</type>
    </fields>
    <fields>
        <fullName>Tier__c</fullName>
        <label>Tier</label>
        <length>20</length>
        <type>Text</type>
    </fields>
    <recordTypes>
        <fullName>Partner</fullName>
        <active>true</active>
        <label>Partner</label>
    </recordTypes>
    <sharingModel>Private</sharingModel>"""),
    "objects/Invoice__c.object": xml("CustomObject", """    <fields>
        <fullName>Amount__c</fullName>
        <label>Amount</label>
        <precision>18</precision>
        <scale>2</scale>
        <type>Currency</type>
    </fields>
    <label>Invoice</label>
    <pluralLabel>Invoices</pluralLabel>
    <sharingModel>ReadWrite</sharingModel>"""),
    "classes/Foo.cls": b"public class Foo {\n    public static Integer two() { return 2; }\n}\n",
    "classes/Foo.cls-meta.xml": xml("ApexClass", "    <apiVersion>60.0</apiVersion>\n"
                                    "    <status>Active</status>"),
    "classes/FooTest.cls": b"@isTest\nprivate class FooTest {\n    @isTest static void t() {}\n}\n",
    "classes/FooTest.cls-meta.xml": xml("ApexClass", "    <apiVersion>60.0</apiVersion>\n"
                                        "    <status>Active</status>"),
    "layouts/Account-Account Layout.layout": xml("Layout", """    <layoutSections>
        <layoutColumns>
            <layoutItems>
                <field>Name</field>
            </layoutItems>
            <layoutItems>
                <field>Region__c</field>
            </layoutItems>
        </layoutColumns>
        <style>TwoColumnsTopToBottom</style>
    </layoutSections>"""),
    "roles/CEO.role": xml("Role", "    <caseAccessLevel>Edit</caseAccessLevel>\n"
                          "    <name>CEO</name>"),
    "roles/VP_Sales.role": xml("Role", "    <name>VP Sales</name>\n"
                               "    <parentRole>CEO</parentRole>"),
    "groups/Sales_Team.group": xml("Group", "    <doesIncludeBosses>true</doesIncludeBosses>\n"
                                   "    <name>Sales Team</name>"),
    "queues/Support.queue": xml("Queue", "    <name>Support</name>"),
    "sharingRules/Account.sharingRules": xml("SharingRules", """    <sharingCriteriaRules>
        <fullName>Big_Accounts</fullName>
        <accessLevel>Read</accessLevel>
        <label>Big Accounts</label>
        <sharedTo>
            <role>VP_Sales</role>
        </sharedTo>
    </sharingCriteriaRules>"""),
    "reports/Sales.reportFolder-meta.xml": xml("ReportFolder", "    <name>Sales</name>"),
    "reports/Sales/Pipeline.report": xml("Report", "    <name>Pipeline</name>"),
    "reports/unfiled$public/Open_Cases.report": xml("Report", "    <name>Open Cases</name>"),
    "profiles/Admin.profile": xml("Profile", """    <classAccesses>
        <apexClass>Foo</apexClass>
        <enabled>true</enabled>
    </classAccesses>
    <custom>false</custom>
    <fieldPermissions>
        <editable>true</editable>
        <field>Account.Region__c</field>
        <readable>true</readable>
    </fieldPermissions>
    <fieldPermissions>
        <editable>true</editable>
        <field>Account.Tier__c</field>
        <readable>true</readable>
    </fieldPermissions>
    <userPermissions>
        <enabled>true</enabled>
        <name>ViewSetup</name>
    </userPermissions>"""),
    "permissionsets/Ops.permissionset": xml("PermissionSet", """    <classAccesses>
        <apexClass>Foo</apexClass>
        <enabled>true</enabled>
    </classAccesses>
    <label>Ops</label>"""),
    "lwc/hello/hello.js": b"import { LightningElement } from 'lwc';\n"
                          b"export default class Hello extends LightningElement {}\n",
    "lwc/hello/hello.html": b"<template><p>Hello</p></template>\n",
    "lwc/hello/hello.js-meta.xml": xml("LightningComponentBundle",
                                       "    <apiVersion>60.0</apiVersion>\n"
                                       "    <isExposed>false</isExposed>"),
    "settings/Sharing.settings": xml("SharingSettings",
                                     "    <enableAccountRoleHierarchy>true</enableAccountRoleHierarchy>"),
}


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def make_org(root: Path, files: dict[str, bytes] | None = None, *, sandbox: bool = True) -> OrgState:
    write_files(root, ORG_FILES if files is None else files)
    seed = root / ".localorg" / "seed.json"
    seed.parent.mkdir(parents=True, exist_ok=True)
    seed.write_text('{"org_name": "Test", "is_sandbox": %s}' % ("true" if sandbox else "false"))
    return OrgState.open(root)


def folder_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".localorg" not in p.relative_to(root).parts
    }


@cache
def zeep_client() -> Client:
    wsdl = Path(simple_salesforce.__file__).parent / "metadata.wsdl"
    return Client(wsdl.as_uri(), settings=Settings(strict=False, xsd_ignore_sequence_order=True))


def zeep_parse(operation: str, status: int, body: bytes):
    """The response as simple-salesforce's zeep client reads it; faults raise zeep Fault."""
    from lxml import etree

    client = zeep_client()
    binding = client.service._binding
    doc = etree.fromstring(body)
    if status != 200:
        binding.process_error(doc, binding.get(operation))
        raise AssertionError("process_error did not raise")
    reply = binding.get(operation).process_reply(doc)
    if hasattr(reply, "body") and hasattr(reply, "header"):  # operations with output headers
        return reply.body["result"]
    return reply


def envelope(session_id: str, body: str) -> bytes:
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:met="{NS}"><soapenv:Header><met:SessionHeader><met:sessionId>{session_id}'
        f"</met:sessionId></met:SessionHeader></soapenv:Header><soapenv:Body>{body}"
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


class Client_:
    """Drives handle() like a SOAP client would, parsing every answer with zeep."""

    def __init__(self, org: OrgState, version: str = "60.0") -> None:
        self.org = org
        self.version = version
        self.session = org.create_session(org.admin)

    def raw(self, operation: str, inner: str, session: str | None = None) -> tuple[int, bytes]:
        body = envelope(session or self.session, f"<met:{operation}>{inner}</met:{operation}>")
        return metadata_api.handle(self.org, body, self.version)

    def call(self, operation: str, inner: str = ""):
        status, payload = self.raw(operation, inner)
        return zeep_parse(operation, status, payload)

    def describe(self):
        return self.call("describeMetadata", f"<met:asOfVersion>{self.version}</met:asOfVersion>")

    def list(self, *queries: tuple[str, str | None]):
        inner = "".join(
            "<met:queries>" + (f"<met:folder>{escape(f)}</met:folder>" if f else "")
            + f"<met:type>{t}</met:type></met:queries>" for t, f in queries)
        return self.call("listMetadata", inner + f"<met:asOfVersion>{self.version}</met:asOfVersion>")

    def retrieve(self, types: dict[str, list[str]], single_package: bool = False) -> str:
        members = "".join(
            "<met:types>" + "".join(f"<met:members>{escape(m)}</met:members>" for m in ms)
            + f"<met:name>{t}</met:name></met:types>" for t, ms in types.items())
        inner = (f"<met:retrieveRequest><met:apiVersion>{self.version}</met:apiVersion>"
                 f"<met:singlePackage>{str(single_package).lower()}</met:singlePackage>"
                 f"<met:unpackaged>{members}</met:unpackaged></met:retrieveRequest>")
        result = self.call("retrieve", inner)
        assert result.state == "Queued" and result.done is False
        return result.id

    def check_retrieve(self, job_id: str, include_zip: bool = True):
        return self.call("checkRetrieveStatus", f"<met:asyncProcessId>{job_id}</met:asyncProcessId>"
                         f"<met:includeZip>{str(include_zip).lower()}</met:includeZip>")

    def retrieve_done(self, types: dict[str, list[str]], single_package: bool = False):
        job_id = self.retrieve(types, single_package)
        for _ in range(10):
            result = self.check_retrieve(job_id)
            if result.done:
                return result
        raise AssertionError("retrieve never finished")

    def deploy(self, files: dict[str, bytes], **options) -> str:
        opts = {"allowMissingFiles": False, "autoUpdatePackage": False, "checkOnly": False,
                "ignoreWarnings": False, "performRetrieve": False, "purgeOnDelete": False,
                "rollbackOnError": True, "singlePackage": True}
        opts.update({k: v for k, v in options.items() if k not in ("testLevel", "runTests")})
        inner = "".join(f"<met:{k}>{str(v).lower()}</met:{k}>" for k, v in opts.items())
        inner += "".join(f"<met:runTests>{t}</met:runTests>" for t in options.get("runTests", ()))
        if options.get("testLevel"):
            inner += f"<met:testLevel>{options['testLevel']}</met:testLevel>"
        data = base64.b64encode(make_zip(files)).decode()
        result = self.call("deploy", f"<met:ZipFile>{data}</met:ZipFile>"
                           f"<met:DeployOptions>{inner}</met:DeployOptions>")
        assert result.done is False
        return result.id

    def check_deploy(self, job_id: str, include_details: bool = True):
        return self.call("checkDeployStatus", f"<met:asyncProcessId>{job_id}</met:asyncProcessId>"
                         f"<met:includeDetails>{str(include_details).lower()}</met:includeDetails>")

    def deploy_done(self, files: dict[str, bytes], **options):
        job_id = self.deploy(files, **options)
        for _ in range(10):
            result = self.check_deploy(job_id)
            if result.done:
                return result
        raise AssertionError("deploy never finished")


def make_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def package(types: dict[str, list[str]], version: str = "60.0", root: str = "Package") -> bytes:
    body = "".join(
        "    <types>\n" + "".join(f"        <members>{escape(m)}</members>\n" for m in ms)
        + f"        <name>{t}</name>\n    </types>\n" for t, ms in types.items())
    return xml(root, body + f"    <version>{version}</version>")


__all__ = ["Fault", "Client_", "make_org", "package", "read_zip", "folder_files", "zeep_parse",
           "ORG_FILES", "xml", "write_files"]
