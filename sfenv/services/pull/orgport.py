"""What a pull asks of an org client: `sfenv.io.org.client.OrgClient` is one, tests pass fakes.

A Protocol so the pull's code is type-checked against the calls it makes without importing
the client (which loads simple-salesforce and requests) at import time. `calls` and `count`
are optional: the pull reads them with getattr.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sfenv.config.model import EnvConfig
    from sfenv.io.org.retrieve import RetrieveResult


class PullClient(Protocol):
    org_id: str

    @property
    def instance_url(self) -> str: ...

    @property
    def username(self) -> str | None: ...

    def query(self, soql: str, *, tooling: bool = False) -> list[dict[str, Any]]: ...

    def audit_trail(self, since: str | None = None,
                    limit: int = 2000) -> list[dict[str, Any]]: ...

    def describe(self) -> list[dict[str, Any]]: ...

    def list_metadata(self, queries: list[dict[str, Any]],
                      fields: Collection[str] | None = None) -> list[dict[str, Any]]: ...

    def retrieve(self, members: dict[str, list[str]], *, poll: float | None = None,
                 max_poll: float | None = None, timeout: float = 3600.0) -> RetrieveResult: ...


# how a pull gets its client: (the environment, the API version) -> a logged-in client
Connect = Callable[["EnvConfig", str], PullClient]
