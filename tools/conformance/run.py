"""`make conformance`: the local org against the real Salesforce CLI and jsforce, unmodified.

Installs the pinned clients into a cache outside the repository (tools/conformance/sf_toolchain.py),
starts a seeded production local org over HTTPS (the org's CA trusted through
NODE_EXTRA_CA_CERTS, a JWT connected app registered), generates an sf project in a temporary
folder with its own HOME (the user's sf config is never touched) and runs every case of
tools/conformance/sf_cases.py in order. Prints one line per case, then `N passed, N failed`.

A second local org, an acme-dev sandbox with source tracking on, serves the tracked-sandbox
cases (retrieve/deploy preview, tracked retrieve/deploy start, delete source) from a project
of their own.

The suite runs with the pinned CLI and with the CLI's current release (`--cli pinned|latest|
both`, default both). Exit status: 0 when, for every CLI run, each failure is a documented
known limit and at least 95% of the cases pass; 1 otherwise; 0 with a SKIPPED line when npm's
registry is unreachable (nothing to test with). `--keep` leaves the temporary folder for
inspection; `-k TEXT` runs the cases whose name holds TEXT (plus the logins they depend on).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sf_cases as suite  # noqa: E402
import sf_toolchain as toolchain  # noqa: E402

from sfenv.localorg.testing import running_org  # noqa: E402

PASS_RATE = 0.95
JWT_CLIENT_ID = "3MVG9sfenvConformance"
OTHER_ADMINS = ("priya.patel@acme.example", "marcus.chen@acme.example")


def _jwt_key(folder: Path) -> tuple[Path, str]:
    """A private key file for `sf org login jwt` and the PEM certificate the org checks."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sfenv conformance")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    path = folder / "jwt.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    return path, cert.public_bytes(serialization.Encoding.PEM).decode()


def _env(chain: toolchain.Toolchain, home: Path, ca_file: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SF_", "SFDX_")) and k not in ("HOME", "NODE_EXTRA_CA_CERTS")}
    env.update({
        "HOME": str(home), "PATH": chain.path_env(), "SF_DISABLE_TELEMETRY": "true",
        "SF_DISABLE_AUTOUPDATE": "true", "SFDX_DISABLE_AUTOUPDATE": "true",
        "SF_SKIP_NEW_VERSION_CHECK": "true",
        "SF_USE_GENERIC_UNIX_KEYCHAIN": "true", "SF_DISABLE_DNS_CHECK": "true",
        "SF_CONTAINER_MODE": "false", "SF_LOG_LEVEL": "warn", "NO_COLOR": "1",
    })
    if ca_file:
        env["NODE_EXTRA_CA_CERTS"] = ca_file
    return env


def _selected(only: str | None) -> list[suite.Case]:
    if not only:
        return suite.CASES
    logins = [c for c in suite.CASES if c.name.startswith(("org login", "tracked: org login"))]
    return logins + [c for c in suite.CASES if only in c.name and c not in logins]


CLIS = {"pinned": toolchain.SF_CLI, "latest": toolchain.SF_CLI_LATEST}


def run(only: str | None, keep: bool, cli: str = "both") -> int:
    """Run the suite once per CLI release asked for; 0 when every run passes."""
    names = ["pinned", "latest"] if cli == "both" else [cli]
    outcomes = []
    for name in names:
        try:
            chain = toolchain.ensure(cli=CLIS[name])
        except toolchain.Unreachable as err:
            print(f"conformance: SKIPPED - npm registry unreachable ({err})")
            return 0
        print(f"conformance: Salesforce CLI {chain.cli_version()} ({name})")
        outcomes.append(_run_with(chain, only, keep))
    return 0 if all(code == 0 for code in outcomes) else 1


RETRIES = 2  # further tries of a case marked `second_try`, each from a fresh change


def _run_case(case: suite.Case, ctx: suite.Ctx) -> None:
    """Run one case; a case marked `second_try` that fails runs again (at most RETRIES more
    times, each after its `before_retry`), saying so every time; the last failure counts."""
    for attempt in range(RETRIES + 1):
        try:
            case.run(ctx)
            return
        except Exception as err:  # noqa: BLE001 - re-raised when no try is left
            if not case.second_try or attempt == RETRIES:
                raise
            first = (str(err).strip().splitlines()[0][:160] if str(err).strip()
                     else type(err).__name__)
            print(f"{'SECOND TRY':11} {case.name}: try {attempt + 1} failed ({first}); "
                  f"{case.second_try}", flush=True)
            if case.before_retry is not None:
                case.before_retry(ctx)


def _run_with(chain: toolchain.Toolchain, only: str | None, keep: bool) -> int:
    work = Path(tempfile.mkdtemp(prefix="sfenv-conformance-"))
    home = work / "home"
    home.mkdir()
    passed, failed, limits = 0, [], []
    started = time.monotonic()
    try:
        with running_org(work / "org", seed="acme-prod") as org, \
                running_org(work / "sandbox", seed="acme-dev") as sandbox:
            jwt_key, cert = _jwt_key(work)
            org.register_jwt_cert(JWT_CLIENT_ID, cert)
            sandbox.set_source_tracking(True)
            env = _env(chain, home, org.ca_file)
            if sandbox.ca_file and sandbox.ca_file != org.ca_file:   # one CA file for node
                bundle = work / "ca-bundle.pem"
                bundle.write_text(Path(org.ca_file or "").read_text()
                                  + Path(sandbox.ca_file).read_text())
                env["NODE_EXTRA_CA_CERTS"] = str(bundle)
            for name in ("proj", "tracked"):
                made = subprocess.run(["sf", "project", "generate", "--name", name, "--json"],
                                      cwd=work, env=env, capture_output=True, text=True,
                                      timeout=300)
                if made.returncode != 0:
                    print(f"conformance: cannot generate an sf project: {made.stderr[-300:]}")
                    return 1

            def touch(cids: list[str]) -> None:
                state = sandbox.server.org
                state.touch_components(cids, state.admin)
                state.save()

            ctx = suite.Ctx(
                project=work / "proj", env=env, jwt_key=jwt_key, jwt_client_id=JWT_CLIENT_ID,
                node=chain.node(), node_modules=chain.node_modules,
                org_dir=work / "org",
                other_users=tuple((u, org.login_session(u)) for u in OTHER_ADMINS),
                org={"instance_url": org.instance_url, "username": org.username,
                     "access_token": org.access_token, "sfdx_auth_url": org.sfdx_auth_url,
                     "org_id": org.org_id},
                tracked=work / "tracked", sandbox_dir=work / "sandbox", touch=touch,
                sandbox={"instance_url": sandbox.instance_url, "username": sandbox.username,
                         "sfdx_auth_url": sandbox.sfdx_auth_url, "org_id": sandbox.org_id},
            )
            for case in _selected(only):
                t0 = time.monotonic()
                try:
                    _run_case(case, ctx)
                except Exception as err:  # noqa: BLE001 - any failure is the case's result
                    why = str(err).strip().splitlines()[0][:240] if str(err).strip() else (
                        traceback.format_exception_only(err)[-1].strip())
                    (limits if case.known_limit else failed).append(case.name)
                    tag = "KNOWN LIMIT" if case.known_limit else "FAIL"
                    print(f"{tag:11} {case.name} ({time.monotonic() - t0:.1f}s): {why}")
                    if case.known_limit:
                        print(f"{'':11}   why: {case.known_limit}")
                else:
                    passed += 1
                    print(f"{'ok':11} {case.name} ({time.monotonic() - t0:.1f}s)")
                sys.stdout.flush()
    finally:
        if keep:
            print(f"conformance: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    total = passed + len(failed) + len(limits)
    print(f"conformance: {total} commands in {time.monotonic() - started:.0f}s; "
          f"known limits failing: {len(limits)}; unexpected failures: {len(failed)}")
    print(f"{passed} passed, {len(failed) + len(limits)} failed")
    return 0 if not failed and total and passed / total >= PASS_RATE else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="only", help="only the cases whose name holds this text")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--cli", choices=("pinned", "latest", "both"), default="both",
                        help="which Salesforce CLI release to run the suite with")
    args = parser.parse_args()
    return run(args.only, args.keep, args.cli)


if __name__ == "__main__":
    sys.exit(main())
