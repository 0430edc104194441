"""The org client's HTTP session reads the environment's proxy and CA settings once per host:
what requests would find on every request, without scanning `os.environ` each time."""

from __future__ import annotations

import requests.sessions

from sfenv.config.model import EnvConfig
from sfenv.io.org.auth import http_session


def _env() -> EnvConfig:
    return EnvConfig(name="dev", login_url="https://login.example.com", username="a@b.c")


def test_proxies_from_the_environment_apply_and_are_read_once_per_host(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example")
    scans: list[str] = []
    real = requests.sessions.get_environ_proxies

    def counted(url, no_proxy=None):
        scans.append(url)
        return real(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)
    session = http_session(_env())
    for _ in range(3):
        far = session.merge_environment_settings("https://org.example/services/Soap/m/62.0",
                                                 {}, None, None, None)
        near = session.merge_environment_settings("https://direct.example/x", {}, None, None,
                                                  None)
        assert far["proxies"].get("https") == "http://proxy.example:3128"
        assert "https" not in near["proxies"]
    assert len(scans) == 2, scans  # once per host, not once per request
    far["proxies"]["https"] = "changed by a caller"
    again = session.merge_environment_settings("https://org.example/y", {}, None, None, None)
    assert again["proxies"]["https"] == "http://proxy.example:3128"


def test_a_proxy_given_with_the_request_still_wins(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    session = http_session(_env())
    mine = {"https": "http://mine.example:8080"}
    settings = session.merge_environment_settings("https://org.example/", mine, None, None,
                                                   None)
    assert settings["proxies"]["https"] == "http://mine.example:8080"
    plain = session.merge_environment_settings("https://org.example/", {}, None, None, None)
    assert plain["proxies"]["https"] == "http://proxy.example:3128"
