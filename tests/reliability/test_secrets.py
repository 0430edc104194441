"""Secrets never leave their environment variables and key files: each one (password, security
token, access token, sfdx auth URL, JWT key path and key) is searched for in everything sfenv
wrote or printed — command output, --json, --debug tracebacks, every git object (commits,
tags, trees, blobs), every other file under .git (reflogs, locks, chunk memory) and the HTML
report — after pulls, backups and failures with each auth method."""

from __future__ import annotations

import datetime as dt
import subprocess
import traceback
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sfenv.cli import main
from sfenv.localorg.testing import running_org

SURFACES = ("output", "debug", "git-objects", "git-files", "report")


def key_and_cert(folder: Path) -> tuple[Path, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sfenv-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = folder / "keys" / "sfenv-jwt-secret-key-file.pem"
    path.parent.mkdir(parents=True)
    path.write_text(pem)
    return path, pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def leaked(tmp_path_factory):
    """Run every command with every auth method once; returns (secrets, surfaces' text)."""
    tmp = tmp_path_factory.mktemp("secrets")
    root = tmp / "project"
    root.mkdir()
    with ExitStack() as stack, pytest.MonkeyPatch.context() as mp:
        org = stack.enter_context(running_org(tmp / "org", seed="acme-dev"))
        key_path, key_pem, cert = key_and_cert(tmp)
        org.register_jwt_cert("sfenv-jwt-app", cert)
        access_token = org.login_session()
        secrets = {
            "password": org.password, "security-token": org.security_token,
            "access-token": access_token, "sfdx-auth-url": org.sfdx_auth_url,
            "refresh-token": org.sfdx_auth_url.split("::", 1)[1].split("@", 1)[0],
            "jwt-key-path": str(key_path),
            "jwt-key": key_pem.splitlines()[1],
        }
        mp.setenv("REL_PW", org.password + org.security_token)
        mp.setenv("REL_TOKEN", access_token)
        mp.setenv("REL_URL", org.sfdx_auth_url)
        common = f"    ca_file: {org.ca_file}\n"
        (root / "sfenv.yml").write_text(
            "project: acme\nenvironments:\n"
            f"  pw:\n    login_url: {org.instance_url}\n    username: {org.username}\n"
            f"    password_env: REL_PW\n{common}"
            f"  tok:\n    instance_url: {org.instance_url}\n    access_token_env: REL_TOKEN\n{common}"
            f"  url:\n    sfdx_url_env: REL_URL\n{common}"
            f"  jwt:\n    jwt:\n      client_id: sfenv-jwt-app\n      key_file: {key_path}\n"
            f"      username: {org.username}\n      login_url: {org.instance_url}\n{common}"
            "path: [pw, tok, url, jwt]\n"
            "pull:\n  poll_interval: 0.02\n  poll_max_interval: 0.2\n")
        runner = CliRunner()
        texts: dict[str, list[str]] = {s: [] for s in SURFACES}

        def cli(*args: str, debug: bool = False) -> None:
            argv = (["--debug"] if debug else []) + list(args) + ["--config", str(root / "sfenv.yml")]
            result = runner.invoke(main, argv, catch_exceptions=True)
            texts["output"].append(result.stdout + result.stderr)
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                texts["debug"].append("".join(traceback.format_exception(*result.exc_info)))
                assert debug, f"sfenv {' '.join(args)} crashed: {result.exception!r}"

        for env in ("pw", "tok", "url", "jwt"):
            cli("pull", env, "--quiet")
        cli("pull", "pw", "--full", "--json")
        cli("backup", "pw", "--json")
        cli("backup", "jwt")
        cli("log", "pw", "--json")
        cli("status")
        cli("report", "--out", str(root / "report.html"))
        # failures, with and without --debug: limit reached, session expired, bad URL
        org.faults.configure(request_limit=3)
        cli("pull", "pw", "--full")
        cli("pull", "jwt", "--full", debug=True)
        org.faults.reset()
        org.faults.configure(session_expiry_after=2)
        cli("pull", "tok", "--full", debug=True)
        cli("pull", "tok", "--full", "--json")
        org.faults.reset()
        mp.setenv("REL_URL", org.sfdx_auth_url.replace("PlatformCLI", "Wrong"))
        cli("pull", "url", debug=True)
        mp.setenv("REL_PW", "wrong" + org.password)
        cli("pull", "pw", debug=True)
        assert texts["debug"], "no --debug traceback was produced"

        git = ["git", "-C", str(root)]
        objects = subprocess.run([*git, "cat-file", "--batch-all-objects", "--batch"],
                                 capture_output=True, check=True).stdout
        texts["git-objects"].append(objects.decode("utf-8", "replace"))
        git_dir = root / ".git"
        for path in git_dir.rglob("*"):
            if path.is_file() and "objects" not in path.relative_to(git_dir).parts[:1]:
                texts["git-files"].append(path.read_bytes().decode("utf-8", "replace"))
        texts["report"].append((root / "report.html").read_text())
        yield secrets, {k: "\n".join(v) for k, v in texts.items()}


SECRET_NAMES = ("password", "security-token", "access-token", "sfdx-auth-url", "refresh-token",
                "jwt-key-path", "jwt-key")


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("secret", SECRET_NAMES)
def test_secret_never_appears(leaked, secret, surface):
    secrets, texts = leaked
    assert texts[surface], f"nothing was collected for {surface}"
    assert secrets[secret] not in texts[surface], f"{secret} leaked into {surface}"


def test_every_auth_method_pulled_the_same_org(leaked):
    _, texts = leaked
    assert texts["output"].count("new snapshot") >= 4, texts["output"][:2000]
