"""`AdoptionOrg`: the two reads adoption makes, over `sfenv.io.org.client.OrgClient`.

`count` reads a `SELECT COUNT()`'s totalSize (OrgClient.query returns records only, and a
COUNT() has none); it goes through the client's retry path, so it is retried and stopped under
the same request-limit rules as pulls. Until OrgClient offers `count` itself (a request to the
lead), this is the one place that reaches into the client.
"""

from __future__ import annotations

from typing import Protocol

from sfenv.config.model import EnvConfig


class _Client(Protocol):
    def query(self, soql: str, *, tooling: bool = False) -> list[dict]: ...


class AdoptionOrg:
    def __init__(self, client: _Client) -> None:
        self.client = client

    def count(self, soql: str) -> int:
        own = getattr(self.client, "count", None)
        if callable(own):
            return int(own(soql))
        sf = self.client.sf  # type: ignore[attr-defined]
        call = self.client._call  # type: ignore[attr-defined]  # noqa: SLF001
        return int(call("count", lambda: sf.query(soql)).get("totalSize", 0))

    def query(self, soql: str) -> list[dict]:
        return self.client.query(soql)


def connect(env: EnvConfig, api_version: str) -> AdoptionOrg:
    from sfenv.io.org.client import connect as client_connect
    return AdoptionOrg(client_connect(env, api_version))
