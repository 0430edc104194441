"""sfenv's org client against a local org: every auth method, deploy results, retries."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sfenv.config.model import EnvConfig
from sfenv.core.metadata.ziputil import write_zip
from sfenv.errors import AuthError, ConfigError
from sfenv.io.org.client import connect
from sfenv.localorg.testing import running_org

PACKAGE = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="http://soap.sforce.com/2006/04/metadata">\n'
           b"    <types>\n        <members>Hello</members>\n        <name>ApexClass</name>\n    </types>\n"
           b"    <version>62.0</version>\n</Package>\n")
META = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        b"    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n</ApexClass>\n")


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    with running_org(tmp_path_factory.mktemp("org") / "qa", seed="acme-qa") as handle:
        yield handle


def env_for(org, **kw) -> EnvConfig:
    return EnvConfig(name="qa", login_url=org.instance_url, ca_file=org.ca_file, **kw)


def test_password_login_reaches_rest_and_metadata(org, monkeypatch):
    monkeypatch.setenv("QA_PW", org.password)
    monkeypatch.setenv("QA_TOKEN", org.security_token)
    client = connect(env_for(org, username=org.username, password_env="QA_PW", token_env="QA_TOKEN"), "62.0")
    assert client.org_id == org.org_id
    assert client.query("SELECT Id, Name FROM Organization")[0]["Id"] == org.org_id
    types = {d["xmlName"] for d in client.describe()}
    assert {"CustomObject", "ApexClass", "Role"} <= types


def test_access_token_and_sfdx_auth_url_logins(org, monkeypatch):
    monkeypatch.setenv("QA_AT", org.access_token)
    client = connect(env_for(org, auth="access_token", instance_url=org.instance_url,
                             access_token_env="QA_AT"), "62.0")
    assert client.org_id == org.org_id
    monkeypatch.setenv("QA_URL", org.sfdx_auth_url)
    client = connect(env_for(org, auth="sfdx_url", sfdx_url_env="QA_URL"), "62.0")
    assert client.query("SELECT Id FROM Organization")[0]["Id"] == org.org_id


def test_jwt_bearer_login_with_a_registered_certificate(org, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sfenv-ci")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    org.register_jwt_cert("ci-app", cert.public_bytes(serialization.Encoding.PEM))
    key_file = tmp_path / "server.key"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    client = connect(env_for(org, auth="jwt", client_id="ci-app", key_file=str(key_file),
                             username=org.username), "62.0")
    assert client.org_id == org.org_id


def test_missing_secret_is_a_config_error_and_bad_password_an_auth_error(org, monkeypatch):
    monkeypatch.delenv("NOPE", raising=False)  # a configuration mistake (exit 2), named
    with pytest.raises(ConfigError, match="environment variable NOPE"):
        connect(env_for(org, username=org.username, password_env="NOPE"), "62.0")
    monkeypatch.setenv("BAD", "wrong")
    with pytest.raises(AuthError, match="login failed"):
        connect(env_for(org, username=org.username, password_env="BAD"), "62.0")


def test_validation_then_quick_deploy_and_a_failure_with_its_line(org, monkeypatch):
    monkeypatch.setenv("QA_PW", org.password + org.security_token)
    client = connect(env_for(org, username=org.username, password_env="QA_PW"), "62.0")
    good = write_zip({"package.xml": PACKAGE, "classes/Hello.cls": b"public class Hello {}",
                      "classes/Hello.cls-meta.xml": META})
    validation = client.deploy(good, check_only=True, test_level="RunLocalTests")
    assert validation.success and validation.check_only
    assert not (org.data_dir / "classes" / "Hello.cls").exists()
    deployed = client.quick_deploy(validation.id)
    assert deployed.success and (org.data_dir / "classes" / "Hello.cls").exists()
    bad = client.deploy(write_zip({"package.xml": PACKAGE, "classes/Hello.cls": b"x",
                                   "classes/Hello.cls-meta.xml": b"<oops"}))
    assert not bad.success and bad.status == "Failed"
    failure = bad.component_failures[0]
    assert failure["fileName"] == "classes/Hello.cls-meta.xml" and failure["lineNumber"] == 1


def test_expired_session_is_renewed_once_transparently(org, monkeypatch):
    monkeypatch.setenv("QA_PW", org.password + org.security_token)
    client = connect(env_for(org, username=org.username, password_env="QA_PW"), "62.0")
    org.server.org.expire_sessions()
    assert client.describe()
    assert client.relogins == 1
