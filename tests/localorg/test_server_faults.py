"""Fault injection: what sfenv's retries and backoff meet, with inspectable counters."""

from __future__ import annotations

import functools
import time
from pathlib import Path

import pytest
import requests
import simple_salesforce
import zeep
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError
from zeep.exceptions import Fault

from sfenv.localorg.faults import FaultInjector, parse_fault_option

WSDL = Path(simple_salesforce.__file__).parent / "metadata.wsdl"
MD_BINDING = "{http://soap.sforce.com/2006/04/metadata}MetadataBinding"


def _sf(local_org, org) -> Salesforce:
    return Salesforce(instance_url=org.instance_url, session_id=org.access_token,
                      session=local_org.session(org))


@functools.cache
def _wsdl_client() -> zeep.Client:
    return zeep.Client(str(WSDL))  # parsing the WSDL takes seconds: once per test process


def _metadata_service(local_org, org):
    client = _wsdl_client()
    client.transport = zeep.Transport(session=local_org.session(org))
    header = client.get_element("{http://soap.sforce.com/2006/04/metadata}SessionHeader")(
        sessionId=org.access_token)
    client.set_default_soapheaders([header])
    return client.create_service(MD_BINDING, f"{org.instance_url}/services/Soap/m/62.0")


def _rest_get(local_org, org) -> requests.Response:
    return local_org.session(org).get(
        f"{org.instance_url}/services/data/v62.0/query?q=SELECT+Id+FROM+Organization",
        headers={"Authorization": f"Bearer {org.access_token}"})


def test_latency_delays_every_request(local_org):
    org = local_org.start()
    org.faults.configure(latency_ms=300)
    started = time.monotonic()
    assert _rest_get(local_org, org).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert org.faults.counters["delayed"] == 1


def test_error_rate_answers_503_for_rest(local_org):
    org = local_org.start()
    org.faults.configure(error_rate=1.0, error_statuses=[503])
    reply = _rest_get(local_org, org)
    assert reply.status_code == 503
    assert org.faults.counters["error.503"] == 1


def test_error_500_on_metadata_api_is_an_unknown_exception_fault_zeep_reads(local_org):
    org = local_org.start()
    org.faults.configure(error_rate=1.0, error_statuses=[500], error_kinds=["soap"])
    with pytest.raises(Fault) as err:
        _metadata_service(local_org, org).describeMetadata(62.0)
    assert err.value.code == "sf:UNKNOWN_EXCEPTION"
    assert _rest_get(local_org, org).status_code == 200  # REST is not in error_kinds


def test_error_share_is_deterministic_with_a_seed(local_org):
    org = local_org.start()

    def run() -> list[int]:
        org.faults.configure(error_rate=0.5, seed=42)
        return [_rest_get(local_org, org).status_code for _ in range(12)]

    first, second = run(), run()
    assert first == second
    assert 200 in first and any(code in (500, 503) for code in first)


def test_request_limit_exceeded_rest_403_and_soap_fault(local_org):
    org = local_org.start()
    org.faults.configure(request_limit=1)
    assert _rest_get(local_org, org).status_code == 200
    reply = _rest_get(local_org, org)
    assert reply.status_code == 403
    assert reply.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    with pytest.raises(Fault) as err:
        _metadata_service(local_org, org).describeMetadata(62.0)
    assert err.value.code == "sf:REQUEST_LIMIT_EXCEEDED"
    assert org.faults.counters["request_limit_exceeded"] == 2


def test_sessions_expire_after_n_calls_and_a_new_login_works(local_org):
    org = local_org.start()
    org.faults.configure(session_expiry_after=2)
    sf = _sf(local_org, org)
    sf.query("SELECT Id FROM Organization")
    sf.query("SELECT Id FROM Organization")
    with pytest.raises(SalesforceError) as err:
        sf.query("SELECT Id FROM Organization")
    assert err.value.status == 401
    assert err.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
    fresh = Salesforce(instance_url=org.instance_url, session_id=org.login_session(),
                       session=local_org.session(org))
    assert fresh.query("SELECT Id FROM Organization")["totalSize"] == 1
    with pytest.raises(SalesforceError):  # the old session stays dead
        sf.query("SELECT Id FROM Organization")
    assert org.faults.counters["sessions_expired"] == 1


def test_session_expiry_on_metadata_api_is_invalid_session_fault(local_org):
    org = local_org.start()
    org.faults.configure(session_expiry_after=0)
    with pytest.raises(Fault) as err:
        _metadata_service(local_org, org).describeMetadata(62.0)
    assert err.value.code == "sf:INVALID_SESSION_ID"


def test_metadata_api_sees_the_servers_fault_hooks(local_org):
    org = local_org.start()
    org.faults.configure(unknown_exception_members={"ApexClass:Broken"}, truncate_zip=True)
    state = org.server.org  # what metadata_api.handle(org, body, version) receives
    assert state.faults is org.faults
    assert state.faults.unknown_exception_members == {"ApexClass:Broken"}
    assert state.faults.truncate_zip is True


def test_metadata_hooks_and_reset():
    faults = FaultInjector().configure(unknown_exception_members={"ApexClass:Broken"},
                                       truncate_zip=True)
    faults.count("unknown_exception")
    assert faults.unknown_exception_members == {"ApexClass:Broken"} and faults.truncate_zip
    assert faults.counters["unknown_exception"] == 1
    faults.reset()
    assert not faults.unknown_exception_members and not faults.truncate_zip
    assert faults.counters == {}
    with pytest.raises(ValueError):
        faults.configure(error_rate=2)


@pytest.mark.parametrize(("text", "expected"), [
    ("latency_ms=200", {"latency_ms": 200}),
    ("error-rate=0.25", {"error_rate": 0.25}),
    ("truncate_zip=true", {"truncate_zip": True}),
    ("unknown_exception_members=ApexClass:A,Flow:B",
     {"unknown_exception_members": {"ApexClass:A", "Flow:B"}}),
    ("error_statuses=503", {"error_statuses": (503,)}),
])
def test_fault_options_parse(text, expected):
    assert parse_fault_option(text) == expected
    with pytest.raises(ValueError):
        parse_fault_option("nonsense=1")
