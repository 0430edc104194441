"""Stopping a local org served in a background thread ends its serving loop at once, not at
the loop's next poll (the suite starts and stops ~500 orgs), and leaves nothing
serving: the port refuses connections and the data is as the requests left it."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from sfenv.localorg.server import LocalOrgServer


@pytest.fixture
def slow_polling(monkeypatch):
    """A serving loop that would look for a stop request only every 30 s."""
    monkeypatch.setattr(LocalOrgServer, "poll_interval", 30.0)


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.mark.parametrize("https", [True, False], ids=["https", "http"])
def test_a_stop_does_not_wait_for_the_serving_loop_s_poll(tmp_path, slow_polling, https):
    server = LocalOrgServer(tmp_path / "org", https=https).start()
    port = server.port
    session = requests.Session()
    session.trust_env = False
    session.verify = server.ca_file or True
    assert session.get(f"{server.base_url}/services/data", timeout=10).status_code == 200
    started = time.monotonic()
    server.stop()
    # the old stop waited for the loop's next poll: 30 s here (far above any machine's load)
    assert time.monotonic() - started < 10
    assert server._thread is not None and not server._thread.is_alive()
    assert _refused(port)
    assert [t for t in threading.enumerate() if t.name == "localorg-stop"] == []


def test_an_org_stopped_before_it_served_anything_stops(tmp_path, slow_polling):
    server = LocalOrgServer(tmp_path / "org", https=False).start()
    port = server.port
    server.stop()
    assert server._thread is not None and not server._thread.is_alive()
    assert _refused(port)
