"""Each Metadata API call of the org client over canned SOAP answers (no server): success,
faults, an expired session, partial results and HTML error pages, with the number of HTTP
requests each makes (the promotion's request counts rest on them)."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
import requests

from sfenv.errors import DeployUnknownError, OrgError, SubmitUnknownError
from tests.org.canned import HTML_503, MD, Canned, envelope, fault


def _names(node) -> list[str]:
    return [child.tag.split("}")[1] for child in node]


DESCRIBE = envelope("describeMetadata", (
    "<result><metadataObjects><childXmlNames>CustomField</childXmlNames><directoryName>objects"
    "</directoryName><inFolder>false</inFolder><metaFile>false</metaFile><suffix>object"
    "</suffix><xmlName>CustomObject</xmlName></metadataObjects>"
    "<organizationNamespace></organizationNamespace><partialSaveAllowed>true"
    "</partialSaveAllowed><testRequired>false</testRequired></result>"))
EXPIRED = fault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader")


def test_describe_reads_the_types_and_renews_an_expired_session_once(monkeypatch):
    canned = Canned(monkeypatch, [EXPIRED, DESCRIBE])
    [described] = canned.client.describe()
    assert described["xmlName"] == "CustomObject" and described["childXmlNames"] == ["CustomField"]
    assert described["inFolder"] is False
    assert canned.operations == ["describeMetadata", "describeMetadata"]
    assert [s.session_id for s in canned.http.sent] == ["SID1", "SID2"]  # the new login's
    assert canned.client.relogins == 1 and canned.client.calls == 2


def test_an_expired_session_with_an_access_token_is_one_line(monkeypatch):
    from sfenv.errors import SessionExpiredError

    canned = Canned(monkeypatch, [EXPIRED], auth="access_token")
    with pytest.raises(SessionExpiredError) as err:
        canned.client.describe()
    assert "cannot renew" in str(err.value) and "\n" not in str(err.value)
    assert err.value.exit_code == 3


LIST = envelope("listMetadata", "".join(
    f"<result><createdById>005</createdById><fileName>classes/{n}.cls</fileName><fullName>{n}"
    f"</fullName><lastModifiedDate>2026-10-02T14:31:07.000Z</lastModifiedDate><type>ApexClass"
    f"</type></result>" for n in ("A", "B")))


def test_list_metadata_keeps_the_fields_asked_for_and_sends_three_queries_at_most(monkeypatch):
    canned = Canned(monkeypatch, [LIST])
    rows = canned.client.list_metadata([{"type": "ApexClass"}, {"type": "Report",
                                                                 "folder": "Sales"}],
                                       fields={"fullName", "type"})
    assert rows == [{"fullName": "A", "type": "ApexClass"}, {"fullName": "B", "type": "ApexClass"}]
    sent = canned.http.sent[0].body
    assert _names(sent) == ["queries", "queries", "asOfVersion"]
    assert _names(sent[1]) == ["folder", "type"]
    with pytest.raises(ValueError):
        canned.client.list_metadata([{"type": "A"}] * 4)
    assert len(canned.http.sent) == 1


def test_an_html_error_page_is_retried_then_read(monkeypatch):
    canned = Canned(monkeypatch, [HTML_503, HTML_503, LIST])
    assert len(canned.client.list_metadata([{"type": "ApexClass"}])) == 2
    assert canned.client.calls == 3 and len(canned.sleeps) == 2


def test_html_error_pages_until_the_attempts_run_out_are_one_line_with_the_status(monkeypatch):
    canned = Canned(monkeypatch, [HTML_503] * 5)
    with pytest.raises(OrgError) as err:
        canned.client.list_metadata([{"type": "ApexClass"}])
    assert str(err.value) == "qa: listMetadata(ApexClass) failed: HTTP 503"
    assert canned.client.calls == 5 and err.value.exit_code == 3


def test_a_fault_that_is_no_passing_trouble_is_not_retried(monkeypatch):
    canned = Canned(monkeypatch, [fault("INVALID_TYPE", "Unknown type name 'Nope'")])
    with pytest.raises(OrgError) as err:
        canned.client.list_metadata([{"type": "Nope"}])
    assert err.value.code == "INVALID_TYPE" and "Unknown type name" in str(err.value)
    assert canned.client.calls == 1


def test_a_network_error_is_retried(monkeypatch):
    canned = Canned(monkeypatch, [requests.ConnectionError("reset"), LIST])
    assert len(canned.client.list_metadata([{"type": "ApexClass"}])) == 2
    assert canned.client.calls == 2


def _zip(files: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return base64.b64encode(buffer.getvalue()).decode()


RETRIEVE_STARTED = envelope("retrieve", "<result><done>false</done><id>09S000000000001</id>"
                            "<state>Queued</state></result>")
IN_PROGRESS = envelope("checkRetrieveStatus", "<result><done>false</done><id>09S000000000001"
                       "</id><status>InProgress</status><success>false</success></result>")
RETRIEVED = envelope("checkRetrieveStatus", (
    "<result><done>true</done><fileProperties><fullName>A</fullName></fileProperties>"
    "<id>09S000000000001</id><messages><fileName>classes/Gone.cls</fileName><problem>Entity of "
    "type 'ApexClass' named 'Gone' cannot be found</problem></messages><status>Succeeded"
    f"</status><success>true</success><zipFile>{_zip({'classes/A.cls': b'class A {}', 'package.xml': b'<Package/>'})}</zipFile></result>"))


def test_retrieve_polls_a_partial_answer_then_reads_the_zip_and_the_messages(monkeypatch):
    canned = Canned(monkeypatch, [RETRIEVE_STARTED, IN_PROGRESS, RETRIEVED])
    result = canned.client.retrieve({"ApexClass": ["A", "Gone"]}, poll=0.01)
    assert result.files == {"classes/A.cls": b"class A {}"}  # package.xml left out
    assert result.messages == [("classes/Gone.cls",
                                "Entity of type 'ApexClass' named 'Gone' cannot be found")]
    assert canned.operations == ["retrieve", "checkRetrieveStatus", "checkRetrieveStatus"]
    request = canned.http.sent[0].body[0]
    assert _names(request) == ["apiVersion", "singlePackage", "unpackaged"]
    assert canned.http.sent[1].body.findtext(f"{{{MD}}}includeZip") == "true"


def test_a_failed_retrieve_names_salesforce_s_code(monkeypatch):
    failed = envelope("checkRetrieveStatus", "<result><done>true</done><errorMessage>Too many"
                      "</errorMessage><errorStatusCode>LIMIT_EXCEEDED</errorStatusCode>"
                      "<id>09S000000000001</id><status>Failed</status></result>")
    canned = Canned(monkeypatch, [RETRIEVE_STARTED, failed])
    with pytest.raises(OrgError) as err:
        canned.client.retrieve({"ApexClass": ["A"]})
    assert err.value.code == "LIMIT_EXCEEDED" and "Too many" in str(err.value)


def test_an_answer_without_an_id_is_one_line_and_not_asked_again(monkeypatch):
    canned = Canned(monkeypatch, [envelope("retrieve", "<result><done>false</done></result>")])
    with pytest.raises(OrgError, match="^qa: the retrieve answer has no id$"):
        canned.client.start_retrieve({"ApexClass": ["A"]})
    assert canned.client.calls == 1


DEPLOY_STARTED = envelope("deploy", "<result><done>false</done><id>0Af000000000001</id>"
                          "<state>Queued</state></result>")
DEPLOYING = envelope("checkDeployStatus", "<result><checkOnly>false</checkOnly><done>false"
                     "</done><id>0Af000000000001</id><status>InProgress</status><success>false"
                     "</success></result>")
DEPLOY_FAILED = envelope("checkDeployStatus", (
    "<result><checkOnly>true</checkOnly><details><componentFailures><changed>false</changed>"
    "<componentType>ApexClass</componentType><created>false</created><deleted>false</deleted>"
    "<fileName>classes/Hello.cls</fileName><fullName>Hello</fullName><lineNumber>3"
    "</lineNumber><problem>Unexpected token</problem><problemType>Error</problemType>"
    "<success>false</success></componentFailures><runTestResult><failures><message>boom"
    "</message><methodName>t</methodName><name>HelloTest</name><time>12.0</time></failures>"
    "<numFailures>1</numFailures><numTestsRun>1</numTestsRun><totalTime>12.0</totalTime>"
    "</runTestResult></details><done>true</done><id>0Af000000000001</id>"
    "<numberComponentErrors>1</numberComponentErrors><numberComponentsDeployed>0"
    "</numberComponentsDeployed><numberComponentsTotal>1</numberComponentsTotal><status>Failed"
    "</status><success>false</success></result>"))


def test_a_validation_follows_its_status_and_reads_failures_with_their_types(monkeypatch):
    canned = Canned(monkeypatch, [DEPLOY_STARTED, DEPLOYING, DEPLOY_FAILED])
    result = canned.client.deploy(b"PK", check_only=True, test_level="RunSpecifiedTests",
                                  run_tests=("HelloTest",), poll=0.01)
    assert not result.success and result.status == "Failed" and result.check_only
    [failure] = result.component_failures  # a list even with one failure
    assert failure["lineNumber"] == 3 and failure["success"] is False
    assert result.test_failures[0]["name"] == "HelloTest" and result.test_failures[0]["time"] == 12.0
    assert result.number_component_errors == 1
    options = canned.http.sent[0].body[1]
    assert _names(options) == ["allowMissingFiles", "autoUpdatePackage", "checkOnly",
                               "ignoreWarnings", "performRetrieve", "purgeOnDelete",
                               "rollbackOnError", "runTests", "singlePackage", "testLevel"]
    assert options.findtext(f"{{{MD}}}checkOnly") == "true"
    assert base64.b64decode(canned.http.sent[0].body.findtext(f"{{{MD}}}ZipFile")) == b"PK"


def test_a_validation_submit_is_retried_after_an_error_page(monkeypatch):
    canned = Canned(monkeypatch, [HTML_503, DEPLOY_STARTED])
    assert canned.client.submit_deploy(b"PK", check_only=True) == "0Af000000000001"
    assert canned.operations == ["deploy", "deploy"]


@pytest.mark.parametrize("answer", [HTML_503, fault("UNKNOWN_EXCEPTION", "An unexpected error"),
                                    requests.ConnectionError("closed")],
                         ids=["html page", "unknown exception", "connection closed"])
def test_a_real_deploy_whose_answer_is_lost_is_never_submitted_twice(monkeypatch, answer):
    canned = Canned(monkeypatch, [answer, DEPLOY_STARTED])
    with pytest.raises(SubmitUnknownError) as err:
        canned.client.submit_deploy(b"PK")
    assert canned.operations == ["deploy"] and "may have accepted" in str(err.value)


def test_a_real_deploy_is_submitted_again_after_an_expired_session(monkeypatch):
    canned = Canned(monkeypatch, [EXPIRED, DEPLOY_STARTED])
    assert canned.client.submit_deploy(b"PK") == "0Af000000000001"  # refused: never ran
    assert canned.operations == ["deploy", "deploy"]


def test_polls_that_keep_failing_leave_the_deploy_id_to_check(monkeypatch):
    canned = Canned(monkeypatch, [DEPLOY_STARTED] + [HTML_503] * 5)
    with pytest.raises(DeployUnknownError) as err:
        canned.client.deploy(b"PK")
    assert err.value.deploy_id == "0Af000000000001" and "\n" not in str(err.value)
    assert canned.operations == ["deploy"] + ["checkDeployStatus"] * 5


def test_quick_deploy_reads_the_new_id_and_already_deployed_is_a_lost_answer(monkeypatch):
    quick = envelope("deployRecentValidation", "<result>0Af000000000002</result>")
    canned = Canned(monkeypatch, [quick])
    assert canned.client.submit_quick_deploy("0Af000000000001") == "0Af000000000002"
    assert canned.http.sent[0].body.findtext(f"{{{MD}}}validationId") == "0Af000000000001"
    canned = Canned(monkeypatch, [fault("INVALID_ID_FIELD",
                                        "This validation has already been deployed")])
    with pytest.raises(SubmitUnknownError):
        canned.client.submit_quick_deploy("0Af000000000001")


def test_a_refused_quick_deploy_is_a_refusal(monkeypatch):
    canned = Canned(monkeypatch, [fault("INVALID_ID_FIELD", "No validation found")])
    with pytest.raises(OrgError) as err:
        canned.client.submit_quick_deploy("0Af000000000001")
    assert not isinstance(err.value, SubmitUnknownError) and err.value.code == "INVALID_ID_FIELD"


def test_cancel_deploy(monkeypatch):
    canned = Canned(monkeypatch, [envelope("cancelDeploy", "<result><done>false</done><id>"
                                           "0Af000000000001</id></result>")])
    assert canned.client.cancel_deploy("0Af000000000001") is False
    assert canned.http.sent[0].body.findtext(f"{{{MD}}}String") == "0Af000000000001"


def test_read_metadata_leaves_out_names_the_org_lacks(monkeypatch):
    answer = envelope("readMetadata", (
        '<result><records xsi:type="CustomObject"><fullName>Account</fullName><fields>'
        "<fullName>A__c</fullName></fields><fields><fullName>B__c</fullName></fields>"
        '</records><records xsi:type="CustomObject"/></result>'))
    canned = Canned(monkeypatch, [answer])
    [record] = canned.client.read_metadata("CustomObject", ["Account", "Nope__c"])
    assert record["fullName"] == "Account"
    assert [f["fullName"] for f in record["fields"]] == ["A__c", "B__c"]
    assert _names(canned.http.sent[0].body) == ["type", "fullNames", "fullNames"]


def test_an_xhtml_error_page_with_status_200_is_one_line(monkeypatch):
    page = (200, b"<html><body><h1>Maintenance</h1></body></html>")
    canned = Canned(monkeypatch, [page])
    with pytest.raises(OrgError, match="^qa: describeMetadata failed: HTTP 200$"):
        canned.client.describe()


def test_a_real_deploy_answer_without_an_id_is_a_lost_answer_not_a_refusal(monkeypatch):
    canned = Canned(monkeypatch, [envelope("deploy", "<result><done>false</done></result>")])
    with pytest.raises(SubmitUnknownError, match="may have accepted"):
        canned.client.submit_deploy(b"PK")
    assert canned.operations == ["deploy"]
