"""A deploy's test results come one per test method, as Salesforce reports them (not one per
class with a made-up method name)."""

from __future__ import annotations

import pytest

from .md_support import Client_, make_org, package, xml

META = xml("ApexClass", "    <apiVersion>60.0</apiVersion>\n    <status>Active</status>")
TESTS = b"""@IsTest
private class BillingTest {
    @IsTest static void chargesOnce() {}
    @isTest(SeeAllData=false)
    static void refunds() {}
    static testMethod void legacyStyle() {}
    static void helper() {}
}
"""


@pytest.fixture()
def client(tmp_path):
    return Client_(make_org(tmp_path))


def _deploy(client, **options):
    return client.deploy_done({"package.xml": package({"ApexClass": ["BillingTest"]}),
                               "classes/BillingTest.cls": TESTS,
                               "classes/BillingTest.cls-meta.xml": META}, **options)


def test_each_test_method_is_one_result(client):
    result = _deploy(client, testLevel="RunSpecifiedTests", runTests=["BillingTest"])
    assert result.success, result.details.componentFailures
    run = result.details.runTestResult
    assert [(t.name, t.methodName) for t in run.successes] == [
        ("BillingTest", "chargesOnce"), ("BillingTest", "refunds"),
        ("BillingTest", "legacyStyle")]
    assert (run.numTestsRun, result.numberTestsTotal, result.numberTestsCompleted) == (3, 3, 3)


def test_a_named_method_runs_alone(client):
    result = _deploy(client, testLevel="RunSpecifiedTests", runTests=["BillingTest.refunds"])
    run = result.details.runTestResult
    assert [(t.name, t.methodName) for t in run.successes] == [("BillingTest", "refunds")]


def test_local_tests_cover_every_test_class_method(client):
    result = _deploy(client, testLevel="RunLocalTests")
    names = {(t.name, t.methodName) for t in result.details.runTestResult.successes}
    assert ("BillingTest", "helper") not in names
    assert {("BillingTest", "chargesOnce"), ("FooTest", "t")} <= names
