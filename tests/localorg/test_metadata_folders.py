"""Folders as Salesforce names them: a manifest member with a trailing slash
(`<members>Sales/</members>`, what the Salesforce CLI writes) is the folder, in retrieves,
deploys and deletions; folder files travel as `reports/Sales-meta.xml` (Metadata API format),
never as the source format's `reports/Sales.reportFolder-meta.xml`."""

from __future__ import annotations

import pytest

from .md_support import Client_, folder_files, make_org, package, read_zip, xml


@pytest.fixture()
def client(tmp_path):
    return Client_(make_org(tmp_path))


def test_a_trailing_slash_member_retrieves_the_folder(client):
    result = client.retrieve_done({"Report": ["Sales/", "Sales/Pipeline"]})
    assert result.messages in (None, [])
    assert set(read_zip(result.zipFile)) == {
        "unpackaged/package.xml", "unpackaged/reports/Sales-meta.xml",
        "unpackaged/reports/Sales/Pipeline.report"}


def test_a_folder_file_kept_under_its_source_name_is_retrieved_under_the_mdapi_name(client):
    assert (client.org.metadata_dir / "reports/Sales.reportFolder-meta.xml").exists()
    files = read_zip(client.retrieve_done({"Report": ["Sales"]}, single_package=True).zipFile)
    assert "reports/Sales-meta.xml" in files
    assert not any(p.endswith(".reportFolder-meta.xml") for p in files)


def test_the_folder_file_name_in_the_retrieve_result_is_the_folder(client):
    result = client.retrieve_done({"Report": ["Sales/"]})
    names = {(p.type, p.fullName, p.fileName) for p in result.fileProperties
             if p.type != "Package"}
    assert names == {("ReportFolder", "Sales", "unpackaged/reports/Sales")}


def test_deploying_a_new_folder_by_trailing_slash_member_creates_it(client):
    folder = xml("ReportFolder", "    <accessType>Public</accessType>\n    <name>Billing</name>")
    report = xml("Report", "    <name>Q1</name>\n    <format>Tabular</format>")
    result = client.deploy_done({
        "package.xml": package({"Report": ["Billing/", "Billing/Q1"]}),
        "reports/Billing-meta.xml": folder, "reports/Billing/Q1.report": report})
    assert result.success, result.details.componentFailures
    created = {(s.componentType, s.fullName) for s in result.details.componentSuccesses
               if s.componentType != "Package"}
    assert ("ReportFolder", "Billing") in created and ("Report", "Billing/Q1") in created
    files = folder_files(client.org.metadata_dir)
    assert files["reports/Billing-meta.xml"] == folder
    got = read_zip(client.retrieve_done({"Report": ["Billing/"]}, single_package=True).zipFile)
    assert "reports/Billing-meta.xml" in got


def test_redeploying_a_folder_replaces_its_source_named_file(client):
    folder = xml("ReportFolder", "    <accessType>Shared</accessType>\n    <name>Sales</name>")
    result = client.deploy_done({"package.xml": package({"Report": ["Sales/"]}),
                                 "reports/Sales-meta.xml": folder})
    assert result.success, result.details.componentFailures
    files = folder_files(client.org.metadata_dir)
    assert files["reports/Sales-meta.xml"] == folder
    assert "reports/Sales.reportFolder-meta.xml" not in files


def test_a_trailing_slash_member_is_still_refused_when_the_folder_is_missing(client):
    result = client.deploy_done({"package.xml": package({"Report": ["Nowhere/"]})})
    assert not result.success
    problems = [f.problem for f in result.details.componentFailures]
    assert any("'Nowhere/'" in p and "not found in zipped directory" in p for p in problems)
