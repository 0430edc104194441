"""Start a local org for a test and get what a client needs to log in to it.

    with running_org(tmp_path / "org", seed="acme-dev") as org:
        session = requests.Session(); session.verify = org.ca_file
        sf = Salesforce(instance_url=org.instance_url, session_id=org.access_token, session=session)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sfenv.localorg.changes import apply_change
from sfenv.localorg.faults import FaultInjector
from sfenv.localorg.seeds import materialize
from sfenv.localorg.server import LocalOrgServer
from sfenv.localorg.state import CLI_CLIENT_ID, STATE_DIR


@dataclass
class LocalOrgHandle:
    instance_url: str
    username: str
    password: str
    security_token: str
    access_token: str
    org_id: str
    ca_file: str | None
    data_dir: Path
    faults: FaultInjector
    sfdx_auth_url: str
    _server: LocalOrgServer = field(repr=False)

    @property
    def server(self) -> LocalOrgServer:
        return self._server

    def login_session(self, username: str | None = None) -> str:
        """A fresh session id for the admin (or `username`), without going through HTTP."""
        org = self._server.org
        user = org.find_user(username) if username else org.admin
        if user is None:
            raise KeyError(f"no user {username!r} in the local org")
        return org.create_session(user)

    def change(self, *, as_user: str | None = None, set_field: tuple[str, str] | None = None,
               deactivate: str | None = None, audit: tuple[str, str] | None = None,
               when: str | None = None) -> list[str]:
        """A hand change in Setup, as `sfenv localorg change`: see `changes.apply_change`."""
        return apply_change(self._server.org, as_user=as_user, set_field=set_field,
                            deactivate=deactivate, audit=audit, when=when)

    def set_source_tracking(self, enabled: bool = True) -> None:
        """Switch source tracking on (SourceMember rows from now on) or off; a production org
        never offers SourceMember, whatever this says."""
        org = self._server.org
        with org.lock:
            org.set_source_tracking(enabled)
            org.save()

    def register_jwt_cert(self, client_id: str, cert_pem: str | bytes) -> None:
        """Configure a connected app whose JWT bearer assertions are checked with this cert."""
        text = cert_pem.decode() if isinstance(cert_pem, bytes) else cert_pem
        self._server.org.register_connected_app(client_id, cert_pem=text)

    def register_client_credentials(self, client_id: str, secret: str,
                                    run_as: str | None = None) -> None:
        """Configure a connected app for the client_credentials grant (runs as the admin)."""
        self._server.org.register_connected_app(
            client_id, secret=secret, run_as=run_as or self._server.org.admin.username)


def is_empty_dir(path: Path) -> bool:
    return not path.exists() or not any(path.iterdir())


def sfdx_auth_url(server: LocalOrgServer) -> str:
    """`force://PlatformCLI::<refreshToken>@127.0.0.1:<port>` (https) or `@http://...` (http)."""
    token = server.org.stored_refresh_token(server.org.admin, CLI_CLIENT_ID)
    where = server.base_url.removeprefix("https://")
    return f"force://{CLI_CLIENT_ID}::{token}@{where}"


def materialize_if_empty(data_dir: Path, seed: str | None) -> None:
    """Write a seed org into `data_dir` when it is empty (imports the seeds module lazily)."""
    if seed and is_empty_dir(data_dir):
        data_dir.mkdir(parents=True, exist_ok=True)
        materialize(seed, data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)


def handle_for(server: LocalOrgServer) -> LocalOrgHandle:
    org = server.org
    admin = org.admin
    return LocalOrgHandle(
        instance_url=server.base_url, username=admin.username, password=admin.password,
        security_token=admin.security_token, access_token=org.create_session(admin),
        org_id=org.org_id, ca_file=server.ca_file, data_dir=server.data_dir,
        faults=server.faults, sfdx_auth_url=sfdx_auth_url(server), _server=server,
    )


@contextmanager
def running_org(data_dir: Path, *, seed: str | None = None, https: bool = True,
                username: str | None = None) -> Iterator[LocalOrgHandle]:
    """A local org on a free loopback port for the duration of the block, stopped cleanly."""
    data_dir = Path(data_dir)
    materialize_if_empty(data_dir, seed)
    server = LocalOrgServer(data_dir, port=0, https=https, username=username).start()
    try:
        yield handle_for(server)
    finally:
        server.stop()


__all__ = ["LocalOrgHandle", "running_org", "STATE_DIR"]
