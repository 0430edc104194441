"""Restarting one org by hand (README: "restart one demo org"): `sfenv localorg serve --data
DIR` comes back on the port DIR was last served on, the login written to
DIR/.localorg/credentials.json (mode 0600) still works, and no password reaches the output."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import requests

from sfenv.cli.local.demo import Demo


def serve(data: Path, *extra: str) -> tuple[subprocess.Popen, list[str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    proc = subprocess.Popen([sys.executable, "-m", "sfenv", "localorg", "serve", "--data",
                             str(data), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip())
        if line.startswith("Press Ctrl+C") or line.startswith("{"):
            break
    return proc, lines


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    return out + err


def login(creds: dict) -> int:
    session = requests.Session()
    session.trust_env = False
    session.verify = creds["ca_file"]
    return session.post(f"{creds['instance_url']}/services/oauth2/token", data={
        "grant_type": "password", "client_id": "c", "username": creds["username"],
        "password": creds["password"] + creds["security_token"]}, timeout=10).status_code


def test_a_restarted_org_comes_back_on_its_port_with_a_readable_password(tmp_path):
    data = tmp_path / "dev"
    proc, first = serve(data, "--seed", "acme-dev")
    rest = stop(proc)
    creds_path = data / ".localorg" / "credentials.json"
    creds = json.loads(creds_path.read_text())
    assert stat.S_IMODE(creds_path.stat().st_mode) == 0o600
    assert creds["password"] and not any(creds["password"] in line for line in first)
    assert creds["password"] not in rest
    assert f"credentials:    {creds_path}" in "\n".join(first)

    proc, again = serve(data)
    try:
        assert again[0].endswith(f"at {creds['instance_url']}"), again   # the same port
        assert login(creds) == 200                                        # the same password
        assert json.loads(creds_path.read_text()) == creds
    finally:
        assert creds["password"] not in stop(proc)


def test_a_taken_port_is_a_one_line_error_that_says_how_to_pick_another(tmp_path):
    data = tmp_path / "dev"
    proc, _ = serve(data, "--seed", "acme-dev", "--json")
    try:
        done = subprocess.run([sys.executable, "-m", "sfenv", "localorg", "serve", "--data",
                               str(data)], capture_output=True, text=True, timeout=60)
    finally:
        stop(proc)
    assert done.returncode == 2
    port = json.loads((data / ".localorg" / "server.json").read_text())["port"]
    [line] = done.stderr.strip().splitlines()
    assert f"127.0.0.1:{port} (the port {data} was last served on)" in line
    assert "--port 0 picks a free one" in line


def test_the_demo_keeps_the_passwords_sfenv_yml_names_in_a_private_file(tmp_path):
    demo = Demo(out=tmp_path)
    with socket.socket() as s:   # any free port: write_config only formats it
        s.bind(("127.0.0.1", 0))
        url = f"https://127.0.0.1:{s.getsockname()[1]}"
    demo.creds = {env: {"instance_url": url, "username": f"admin@{env}", "password": f"pw-{env}",
                        "security_token": "tok", "ca_file": "ca.pem"}
                  for env in ("dev", "qa", "prod")}
    config = demo.write_config().read_text()
    env_file = tmp_path / "credentials.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    lines = dict(line.split("=", 1) for line in env_file.read_text().splitlines()
                 if not line.startswith("#"))
    assert lines == {"SFENV_DEMO_DEV_PASSWORD": "pw-devtok", "SFENV_DEMO_QA_PASSWORD": "pw-qatok",
                     "SFENV_DEMO_PROD_PASSWORD": "pw-prodtok"}
    assert all(f"password_env: {var}" in config for var in lines)
    assert "pw-dev" not in config
