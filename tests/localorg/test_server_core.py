"""The server itself: verified HTTPS, state kept across restarts, seed.json, hand changes,
the `sfenv localorg` commands, hardened SOAP parsing, concurrent requests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.core.metadata.xmlio import child_text
from sfenv.localorg import soap
from sfenv.localorg.state import STATE_DIR

OBJECT = b"""<?xml version="1.0" encoding="UTF-8"?>
<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">
    <fields>
        <fullName>Region__c</fullName>
        <label>Region</label>
        <length>80</length>
        <type>Text</type>
    </fields>
    <validationRules>
        <fullName>Needs_Region</fullName>
        <active>true</active>
        <errorConditionFormula>ISBLANK(Region__c)</errorConditionFormula>
        <errorMessage>Region is required</errorMessage>
    </validationRules>
</CustomObject>
"""


def _get(session, org, path):
    return session.get(f"{org.instance_url}{path}",
                       headers={"Authorization": f"Bearer {org.access_token}"})


def test_https_certificate_verifies_with_the_ca_file_only(local_org):
    org = local_org.start()
    assert org.instance_url.startswith("https://127.0.0.1:")
    assert _get(local_org.session(org), org, "/services/data").status_code == 200
    untrusting = requests.Session()
    untrusting.trust_env = False  # the system CAs only: our CA is unknown there
    with pytest.raises(requests.exceptions.SSLError):
        untrusting.get(f"{org.instance_url}/services/data", timeout=5)


def test_plain_http_mode(local_org):
    org = local_org.start(https=False)
    assert org.instance_url.startswith("http://") and org.ca_file is None
    assert _get(local_org.session(org), org, "/services/data/v62.0").status_code == 200


def test_identity_and_certificates_are_kept_across_restarts(local_org, tmp_path):
    first = local_org.start(data=tmp_path / "org")
    ca = (tmp_path / "org" / STATE_DIR / "ca.pem").read_bytes()
    first.server.stop()
    second = local_org.start(data=tmp_path / "org")
    assert (second.org_id, second.username, second.password, second.security_token) == (
        first.org_id, first.username, first.password, first.security_token)
    assert (tmp_path / "org" / STATE_DIR / "ca.pem").read_bytes() == ca
    state_file = tmp_path / "org" / STATE_DIR / "state.json"
    assert oct(state_file.stat().st_mode & 0o777) == "0o600"


def test_seed_json_provides_users_component_dates_and_audit_trail(local_org, tmp_path):
    data = tmp_path / "seeded"
    (data / STATE_DIR).mkdir(parents=True)
    (data / STATE_DIR / "seed.json").write_text(json.dumps({
        "org_name": "Acme QA", "is_sandbox": True, "instance_name": "CS42",
        "users": [{"username": "ops@acme.qa", "name": "Olga Ops", "email": "ops@acme.qa",
                   "profile": "System Administrator", "is_active": True},
                  {"username": "dev@acme.qa", "name": "Dan Dev", "email": "dev@acme.qa",
                   "profile": "Standard User", "is_active": True}],
        "components": {"ApexClass:Foo": {
            "lastModifiedDate": "2024-02-03T04:05:06.000Z", "lastModifiedByName": "Dan Dev",
            "createdDate": "2024-01-01T00:00:00.000Z", "createdByName": "Olga Ops"}},
        "audit_trail": [{"CreatedDate": "2024-02-03T04:05:06.000Z", "CreatedByName": "Dan Dev",
                         "Action": "changedCurrency", "Section": "Manage Currencies",
                         "Display": "Changed corporate currency to EUR"}],
    }))
    org = local_org.start(data=data)
    assert org.username == "ops@acme.qa"
    state = org.server.org
    props = state.component_props("ApexClass:Foo")
    assert props["lastModifiedByName"] == "Dan Dev"
    assert props["lastModifiedById"] == state.find_user("dev@acme.qa").id
    rows = _get(local_org.session(org), org,
                "/services/data/v62.0/query?q=SELECT+Display,+CreatedBy.Name,+Section+FROM+"
                "SetupAuditTrail").json()["records"]
    assert rows[0]["CreatedBy"]["Name"] == "Dan Dev"
    sandbox = _get(local_org.session(org), org, "/services/data/v62.0/query?q=SELECT+IsSandbox,"
                   "+InstanceName,+Name+FROM+Organization").json()["records"][0]
    assert sandbox["IsSandbox"] is True and sandbox["InstanceName"] == "CS42"


def _org_with_account(local_org, tmp_path):
    data = tmp_path / "org"
    (data / "objects").mkdir(parents=True)
    (data / "objects" / "Account.object").write_bytes(OBJECT)
    return local_org.start(data=data), data


def test_hand_change_edits_the_field_and_records_who(local_org, tmp_path):
    org, data = _org_with_account(local_org, tmp_path)
    state = org.server.org
    state.add_user("jane@acme.test", "Jane Doe", "jane@acme.test")
    org.change(as_user="Jane Doe", set_field=("CustomField:Account.Region__c", "length=255"))
    text = (data / "objects" / "Account.object").read_bytes()
    assert text == OBJECT.replace(b"<length>80</length>", b"<length>255</length>")
    props = state.component_props("CustomField:Account.Region__c")
    assert props["lastModifiedByName"] == "Jane Doe"
    assert state.component_props("CustomObject:Account")["lastModifiedByName"] == "Admin User"
    row = state.audit_trail()[0]
    assert row["CreatedByName"] == "Jane Doe" and row["Section"] == "Customize Accounts"
    assert "length from 80 to 255" in row["Display"]


def test_change_command_deactivates_a_rule_in_a_stopped_org(local_org, tmp_path):
    org, data = _org_with_account(local_org, tmp_path)
    org.server.stop()
    result = CliRunner().invoke(main, ["localorg", "change", str(data), "--as", "Admin User",
                                       "--deactivate", "ValidationRule:Account.Needs_Region"])
    assert result.exit_code == 0, result.output
    assert b"<active>false</active>" in (data / "objects" / "Account.object").read_bytes()
    assert result.output.strip() == "Deactivated ValidationRule Account.Needs_Region"
    restarted = local_org.start(data=data).server.org
    props = restarted.component_props("ValidationRule:Account.Needs_Region")
    assert props["lastModifiedDate"] > restarted.created_date
    assert restarted.audit_trail()[0]["Display"] == result.output.strip()


def test_change_command_errors_are_one_line(local_org, tmp_path):
    org, data = _org_with_account(local_org, tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["localorg", "change", str(data), "--as", "Nobody",
                                  "--audit", "Divisions", "x"])
    assert result.exit_code == 2 and "no user named 'Nobody'" in result.output
    result = runner.invoke(main, ["localorg", "change", str(data), "--set-field",
                                  "CustomField:Account.Missing__c", "length=1"])
    assert result.exit_code == 2 and "no CustomField Account.Missing__c" in result.output
    result = runner.invoke(main, ["localorg", "change", str(tmp_path)])
    assert result.exit_code == 2 and "not a local org folder" in result.output


def test_change_to_a_running_org_from_another_process_is_seen(local_org, tmp_path):
    org, data = _org_with_account(local_org, tmp_path)
    result = CliRunner().invoke(main, ["localorg", "change", str(data), "--audit",
                                       "Manage Currencies", "Enabled multiple currencies"])
    assert result.exit_code == 0, result.output
    records = _get(local_org.session(org), org, "/services/data/v62.0/query?q=SELECT+Display"
                   "+FROM+SetupAuditTrail").json()["records"]
    assert [r["Display"] for r in records] == ["Enabled multiple currencies"]


def test_serve_prints_json_and_stops_cleanly_on_sigterm(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sfenv", "localorg", "serve", "--data", str(tmp_path / "o"),
         "--json", "--fault", "latency_ms=1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        info = json.loads(proc.stdout.readline())
        assert {"instance_url", "username", "password", "security_token", "access_token",
                "org_id", "ca_file", "sfdx_auth_url"} <= set(info)
        session = requests.Session()
        session.trust_env = False
        session.verify = info["ca_file"]
        reply = session.post(f"{info['instance_url']}/services/oauth2/token", data={
            "grant_type": "password", "client_id": "c", "username": info["username"],
            "password": info["password"] + info["security_token"]}, timeout=10)
        assert reply.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err


def test_soap_parser_does_not_expand_entities():
    hostile = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
               b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
               b"<soapenv:Body><login><username>&e;</username></login></soapenv:Body>"
               b"</soapenv:Envelope>")
    op, session_id, element = soap.parse_envelope(hostile)
    assert op == "login" and session_id is None
    assert "root:" not in (child_text(element, "username") or "")
    with pytest.raises(soap.SoapFault):
        soap.parse_envelope(b"<not-closed>")


def test_concurrent_requests_are_all_answered(local_org):
    org = local_org.start()

    def one(_):
        session = local_org.session(org)
        return _get(session, org, "/services/data/v62.0/query?q=SELECT+Id+FROM+User").status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(one, range(36)))
    assert codes == [200] * 36
