"""Logging in to the local org the ways sfenv does: SOAP partner login and OAuth grants,
through simple-salesforce's own request and response handling."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import time
from pathlib import Path

import jwt
import pytest
import simple_salesforce
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import soap_login, token_login

LOGIN_BODY = """<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:urn="urn:partner.soap.sforce.com">
  <env:Header><urn:CallOptions><urn:client>simple-salesforce</urn:client></urn:CallOptions></env:Header>
  <env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com">
    <n1:username>{username}</n1:username><n1:password>{password}</n1:password>
  </n1:login></env:Body>
</env:Envelope>"""
SOAP_HEADERS = {"content-type": "text/xml", "charset": "UTF-8", "SOAPAction": "login"}
WSDL = Path(simple_salesforce.__file__).parent / "metadata.wsdl"


def _soap_login(local_org, org, password: str):
    return soap_login(f"{org.instance_url}/services/Soap/u/59.0",
                      LOGIN_BODY.format(username=org.username, password=password),
                      SOAP_HEADERS, None, local_org.session(org))


def _sf(local_org, org, session_id: str) -> Salesforce:
    return Salesforce(instance_url=org.instance_url, session_id=session_id,
                      session=local_org.session(org))


def _token(local_org, org, data: dict, headers=None):
    return token_login(f"{org.instance_url}/services/oauth2/token", data, "login",
                       data.get("client_id", "x"), headers, None, local_org.session(org))


def test_soap_login_session_lets_simple_salesforce_query(local_org):
    org = local_org.start()
    session_id, instance = _soap_login(local_org, org, org.password + org.security_token)
    assert session_id.startswith(org.org_id + "!")
    assert f"https://{instance}" == org.instance_url
    result = _sf(local_org, org, session_id).query("SELECT Id, Name FROM Organization")
    assert result["records"][0]["Id"] == org.org_id


def test_soap_login_response_carries_user_info(local_org):
    org = local_org.start()
    body = LOGIN_BODY.format(username=org.username, password=org.password + org.security_token)
    reply = local_org.session(org).post(f"{org.instance_url}/services/Soap/u/62.0", data=body,
                                        headers=SOAP_HEADERS)
    root = etree.fromstring(reply.content)
    ns = {"p": "urn:partner.soap.sforce.com"}
    result = root.find(".//p:loginResponse/p:result", ns)
    assert result.findtext("p:metadataServerUrl", namespaces=ns).startswith(
        f"{org.instance_url}/services/Soap/m/62.0/")
    assert result.findtext("p:passwordExpired", namespaces=ns) == "false"
    assert result.findtext("p:sandbox", namespaces=ns) == "false"
    assert result.findtext("p:userInfo/p:organizationId", namespaces=ns) == org.org_id
    assert result.findtext("p:userInfo/p:userName", namespaces=ns) == org.username


@pytest.mark.parametrize("suffix", ["wrong", ""])
def test_soap_login_with_bad_password_or_missing_token_is_invalid_login(local_org, suffix):
    org = local_org.start()
    password = org.password + suffix if suffix else org.password  # no token: refused too
    with pytest.raises(SalesforceAuthenticationFailed) as err:
        _soap_login(local_org, org, password)
    assert err.value.code == "INVALID_LOGIN"
    assert b"Invalid username, password, security token" in err.value.content


def test_login_fault_parses_with_zeep(local_org):
    import zeep
    from zeep.exceptions import Fault

    org = local_org.start()
    reply = local_org.session(org).post(
        f"{org.instance_url}/services/Soap/u/59.0", headers=SOAP_HEADERS,
        data=LOGIN_BODY.format(username="nobody@example.com", password="x"))
    assert reply.status_code == 500
    client = zeep.Client(str(WSDL))
    with pytest.raises(Fault) as err:
        client.service._binding.process_error(etree.fromstring(reply.content), None)
    assert err.value.code == "sf:INVALID_LOGIN"
    assert err.value.message.startswith("INVALID_LOGIN: ")


def test_oauth_password_grant_gives_a_usable_access_token(local_org):
    org = local_org.start()
    token, instance = _token(local_org, org, {
        "grant_type": "password", "client_id": "any-app", "client_secret": "any",
        "username": org.username, "password": org.password + org.security_token})
    assert f"https://{instance}" == org.instance_url
    assert _sf(local_org, org, token).query("SELECT Id FROM User")["totalSize"] >= 1


def test_oauth_response_has_salesforce_fields(local_org):
    org = local_org.start()
    reply = local_org.session(org).post(f"{org.instance_url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": "c", "username": org.username,
        "password": org.password + org.security_token})
    body = reply.json()
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "issued_at",
                         "signature"}
    assert body["token_type"] == "Bearer"
    assert body["id"].startswith(f"{org.instance_url}/id/{org.org_id}/005")
    base64.b64decode(body["signature"], validate=True)


def test_oauth_bad_password_is_invalid_grant(local_org):
    org = local_org.start()
    reply = local_org.session(org).post(f"{org.instance_url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": "c", "username": org.username,
        "password": "nope"})
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_grant", "error_description": "authentication failure"}


def test_sfdx_auth_url_refresh_token_logs_in(local_org):
    org = local_org.start()
    client_id, secret, rest = org.sfdx_auth_url.removeprefix("force://").split(":", 2)
    refresh, _, host = rest.rpartition("@")
    assert f"https://{host}" == org.instance_url
    token, _ = _token(local_org, org, {"grant_type": "refresh_token", "client_id": client_id,
                                       "client_secret": secret, "refresh_token": refresh})
    assert _sf(local_org, org, token).query("SELECT Id FROM Organization")["totalSize"] == 1
    with pytest.raises(SalesforceAuthenticationFailed) as err:
        _token(local_org, org, {"grant_type": "refresh_token", "client_id": client_id,
                                "refresh_token": refresh + "x"})
    assert err.value.code == "invalid_grant"


def test_sfdx_auth_url_survives_a_restart(local_org, tmp_path):
    first = local_org.start(data=tmp_path / "org")
    url = first.sfdx_auth_url
    first.server.stop()
    second = local_org.start(data=tmp_path / "org")
    assert second.sfdx_auth_url.split("@")[0] == url.split("@")[0]
    assert second.org_id == first.org_id and second.password == first.password


def test_client_credentials_grant_runs_as_the_configured_user(local_org):
    org = local_org.start()
    org.register_client_credentials("app-1", "s3cret")
    basic = base64.b64encode(b"app-1:s3cret").decode()
    token, _ = _token(local_org, org, {"grant_type": "client_credentials"},
                      {"Authorization": f"Basic {basic}"})
    info = local_org.session(org).get(f"{org.instance_url}/services/oauth2/userinfo",
                                      headers={"Authorization": f"Bearer {token}"}).json()
    assert info["preferred_username"] == org.username
    assert info["organization_id"] == org.org_id
    wrong = base64.b64encode(b"app-1:nope").decode()
    with pytest.raises(SalesforceAuthenticationFailed) as err:
        _token(local_org, org, {"grant_type": "client_credentials"},
               {"Authorization": f"Basic {wrong}"})
    assert err.value.code == "invalid_client"


@functools.cache
def _key_and_cert(which: int = 0):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwt-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return pem_key, cert.public_bytes(serialization.Encoding.PEM)


def _assertion(key: bytes, client_id: str, sub: str, aud="https://login.salesforce.com",
               exp_delta=180) -> str:
    # the claims simple-salesforce sends (exp as a string, as it does)
    claims = {"iss": client_id, "sub": sub, "aud": aud, "exp": f"{time.time() + exp_delta:.0f}"}
    return jwt.encode(claims, key, algorithm="RS256")


def test_jwt_bearer_with_registered_certificate_logs_in(local_org):
    org = local_org.start()
    key, cert = _key_and_cert()
    org.register_jwt_cert("jwt-app", cert)
    token, _ = _token(local_org, org, {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": _assertion(key, "jwt-app", org.username)})
    assert _sf(local_org, org, token).query("SELECT Id FROM Organization")["totalSize"] == 1


@pytest.mark.parametrize(("case", "code"), [
    ("other_key", "invalid_grant"), ("expired", "invalid_grant"),
    ("unknown_app", "invalid_client_id"), ("bad_audience", "invalid_grant"),
    ("unknown_user", "invalid_grant"),
])
def test_jwt_bearer_rejects_bad_assertions(local_org, case, code):
    org = local_org.start()
    key, cert = _key_and_cert()
    org.register_jwt_cert("jwt-app", cert)
    other_key, _ = _key_and_cert(1)
    args = {"key": key, "client_id": "jwt-app", "sub": org.username}
    if case == "other_key":
        args["key"] = other_key
    elif case == "expired":
        args["exp_delta"] = -600
    elif case == "unknown_app":
        args["client_id"] = "nope"
    elif case == "bad_audience":
        args["aud"] = "https://evil.example.com"
    elif case == "unknown_user":
        args["sub"] = "ghost@example.com"
    reply = local_org.session(org).post(f"{org.instance_url}/services/oauth2/token", data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": _assertion(**args)})
    assert reply.status_code == 400
    assert reply.json()["error"] == code


def test_unsupported_grant_type_is_reported(local_org):
    org = local_org.start()
    reply = local_org.session(org).post(f"{org.instance_url}/services/oauth2/token",
                                        data={"grant_type": "magic"})
    assert reply.status_code == 400
    assert reply.json()["error"] == "unsupported_grant_type"


def test_userinfo_needs_a_valid_token(local_org):
    org = local_org.start()
    reply = local_org.session(org).get(f"{org.instance_url}/services/oauth2/userinfo",
                                       headers={"Authorization": "Bearer nope"})
    assert reply.status_code == 403
