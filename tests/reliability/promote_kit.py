"""Two tiny local orgs (dev → qa, Apex classes only) shared by the promote/rollback families,
and the checks every case ends with: the record is complete (a deploy that happened has its
log entry, nothing is left in progress) and qa holds what the log says."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner, Result

from sfenv.cli import main
from sfenv.io.org.client import OrgClient
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.testing import running_org
from sfenv.services.train.train import RELEASES_REF

META = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="http://soap.sforce.com/'
        b'2006/04/metadata">\n    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n'
        b'</ApexClass>\n')
ENVS = ("dev", "qa")


def body(value: str) -> bytes:
    return f"public class C0 {{ // {value}\n}}\n".encode()


def _seed(folder: Path, value: str, *, sandbox: bool) -> None:
    (folder / "classes").mkdir(parents=True)
    (folder / "classes" / "C0.cls").write_bytes(body(value))
    (folder / "classes" / "C0.cls-meta.xml").write_bytes(META)
    (folder / ".localorg").mkdir()
    users = [{"username": f"{n.split()[0].lower()}@rel.example", "name": n,
              "profile": "System Administrator"} for n in ("Org Admin", "Hand User")]
    (folder / ".localorg" / "seed.json").write_text(json.dumps(
        {"org_name": "Reliability Org", "is_sandbox": sandbox, "users": users,
         "components": {}, "audit_trail": []}))


class PollStore(SnapshotStore):
    """The store as the tests read it: `tags()` runs `git for-each-ref` only when the tag refs
    changed on disk since its last answer (a kill test's window predicate asks every 5 ms, and
    a git process per poll took CPU from the command under test)."""

    def __init__(self, repo_dir: Path) -> None:
        super().__init__(repo_dir)
        self._tags_seen: tuple[object, dict[str, str]] | None = None

    def _tag_refs_state(self) -> object | None:
        """What changes whenever a tag ref is created, moved or deleted (loose ref files are
        written by rename, `packed-refs` likewise); None where refs are not plain files."""
        if (self.git_dir / "reftable").exists():
            return None
        state: list[tuple[str, int, int, int]] = []
        for path in (self.git_dir / "packed-refs",):
            with contextlib.suppress(FileNotFoundError):
                st = path.stat()
                state.append((path.name, st.st_ino, st.st_size, st.st_mtime_ns))
        for folder, _dirs, names in os.walk(self.git_dir / "refs" / "tags"):
            for name in names:
                with contextlib.suppress(FileNotFoundError):
                    st = os.stat(os.path.join(folder, name))
                    state.append((os.path.join(folder, name), st.st_ino, st.st_size,
                                  st.st_mtime_ns))
        return tuple(sorted(state))

    def tags(self, prefix: str = "") -> dict[str, str]:
        state = self._tag_refs_state()
        seen = self._tags_seen
        if state is None or seen is None or seen[0] != state:
            seen = (state, super().tags())
            self._tags_seen = seen if state is not None else None
        return {name: commit for name, commit in seen[1].items() if name.startswith(prefix)}


@dataclass
class Path2:
    """dev → qa on two local orgs, with a counter for fresh values and trains."""

    root: Path
    config: Path
    orgs: dict
    env_vars: dict[str, str]
    serial: int = 0
    trains: list[str] = field(default_factory=list)
    _store: SnapshotStore | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def store(self) -> SnapshotStore:
        """One store for the module (its caches are keyed by object ids, its reader re-reads
        refs per question): the kill tests poll the log and the refs every 5 ms while the
        killed command works, and a new store per poll started a `git cat-file` per poll."""
        if self._store is None:
            self._store = PollStore(self.root)
        return self._store

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(main, [*args, "--config", str(self.config)],
                                  catch_exceptions=False)

    def ok(self, *args: str) -> Result:
        result = self.cli(*args)
        assert result.exit_code == 0, f"sfenv {' '.join(args)}: {result.output}"
        return result

    def value_in_org(self, env: str) -> str:
        org = self.orgs[env].server.org
        return (org.metadata_dir / "classes" / "C0.cls").read_text().split("// ", 1)[1].split(
            "\n", 1)[0]

    def edit_c0(self, env: str, value: str) -> None:
        """Hand User changes C0 in `env`'s org (not pulled)."""
        org = self.orgs[env].server.org
        with org.lock:
            (org.metadata_dir / "classes" / "C0.cls").write_bytes(body(value))
            org.touch_components(["ApexClass:C0"], org.user_by_name("Hand User"))
            org.save()

    def change_dev(self) -> tuple[str, str]:
        """Change C0 in dev by hand and pull dev: (the next train's name, the new value)."""
        self.serial += 1
        value, train = f"v{self.serial}", f"R{self.serial}"
        self.edit_c0("dev", value)
        self.ok("pull", "dev", "--quiet")
        return train, value

    def new_train(self) -> tuple[str, str]:
        """Change C0 in dev by hand, pull dev, build a train carrying it: (train, value)."""
        train, value = self.change_dev()
        self.ok("release", "build", train)
        self.trains.append(train)
        return train, value

    def log(self, train: str) -> list[dict]:
        store = self.store
        data = store.read_file(store.ref_commit(RELEASES_REF), f"releases/{train}/log.json")
        return json.loads(data) if data else []

    def deploys(self, env: str) -> list[dict]:
        """The org's deploy history (not validations), oldest first."""
        path = Path(self.orgs[env].server.org.data_dir) / ".localorg" / "deploys.json"
        rows = json.loads(path.read_text()) if path.exists() else []
        return [r for r in reversed(rows) if not r.get("check_only")]

    def reset_faults(self) -> None:
        for org in self.orgs.values():
            org.faults.reset()


@dataclass
class Snap:
    """What a case compares against: qa's value, its deploys and the backup tags."""

    value: str
    deploys: int
    tags: dict[str, str]


def after_first_deploy(monkeypatch, action: Callable[[], None]) -> None:
    """Run `action` once, as soon as the first real (not check-only) deploy has finished:
    a hand change in the window between a deploy and what the promotion does next."""
    real = OrgClient.wait_deploy
    done: list[str] = []

    def wait_deploy(self, deploy_id, *args, **kw):
        result = real(self, deploy_id, *args, **kw)
        if not done and result.success and not result.check_only:
            done.append(deploy_id)
            action()
        return result

    monkeypatch.setattr(OrgClient, "wait_deploy", wait_deploy)


def snap(p: Path2) -> Snap:
    return Snap(p.value_in_org("qa"), len(p.deploys("qa")), p.store.tags("backup/qa/"))


def record_complete(p: Path2) -> None:
    """Every deploy qa ran is named by a log entry of some train, and no entry is left
    in progress."""
    logged: set[str] = set()
    for train in p.trains:
        for entry in p.log(train):
            assert entry["result"] != "in_progress", f"{train}: entry left in progress: {entry}"
            logged |= {d[:15] for d in entry.get("deploy_ids") or []}
    for row in p.deploys("qa"):
        if row.get("status") in ("Succeeded", "SucceededPartial"):
            assert row["id"][:15] in logged, f"deploy {row['id']} has no log entry"


def finished_deployed(p: Path2, train: str, value: str) -> dict:
    """The train's last qa entry is `deployed`, verified, and qa holds the train's value."""
    entry = [e for e in p.log(train) if e["env"] == "qa"][-1]
    assert entry["result"] == "deployed", entry
    assert (entry.get("verification") or {}).get("ok"), entry.get("verification")
    assert p.value_in_org("qa") == value
    record_complete(p)
    return entry


def two_orgs(tmp: Path) -> Iterator[Path2]:
    """Start dev and qa (C0 = v0 in both), write sfenv.yml, pull both."""
    with ExitStack() as stack:
        orgs = {}
        for env in ENVS:
            folder = tmp / "orgs" / env
            _seed(folder, "v0", sandbox=True)
            orgs[env] = stack.enter_context(running_org(folder))
        root = tmp / "project"
        root.mkdir()
        lines = ["project: rel", 'api_version: "62.0"', "environments:"]
        env_vars = {}
        for env, org in orgs.items():
            var = f"SFENV_RELPROMOTE_{env.upper()}_PW"
            env_vars[var] = org.password + org.security_token
            os.environ[var] = env_vars[var]
            lines += [f"  {env}:", f"    login_url: {org.instance_url}",
                      f"    username: {org.username}", f"    password_env: {var}"]
            if org.ca_file:
                lines.append(f"    ca_file: {org.ca_file}")
        # the curated manifest: few listMetadata calls, so the request counts of each phase
        # (test_promote_faults.LIMIT_PHASES) stay small and stable
        lines += [f"path: [{', '.join(ENVS)}]", "manifest: core", "pull:", "  poll_interval: 0.02",
                  "  poll_max_interval: 0.1", "  http_timeout_s: 10"]
        config = root / "sfenv.yml"
        config.write_text("\n".join(lines) + "\n")
        p = Path2(root, config, orgs, env_vars)
        for env in ENVS:
            p.ok("pull", env, "--quiet")
        yield p


def role_xml(label: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Role xmlns="http://soap.sforce.com/2006/'
            f'04/metadata">\n    <caseAccessLevel>Edit</caseAccessLevel>\n    <contactAccessLevel>'
            f'Edit</contactAccessLevel>\n    <mayForecastManagerShare>false</mayForecastManagerShare>'
            f'\n    <name>{label}</name>\n    <opportunityAccessLevel>Edit</opportunityAccessLevel>'
            f'\n</Role>\n').encode()


def add_role(p: Path2, env: str, name: str) -> None:
    """Create Role:`name` in `env`'s org by hand (a component whose promotion has a manual
    step: assign users to it) and pull `env`."""
    org = p.orgs[env].server.org
    with org.lock:
        (org.metadata_dir / "roles").mkdir(exist_ok=True)
        (org.metadata_dir / "roles" / f"{name}.role").write_bytes(role_xml(name.replace("_", " ")))
        org.touch_components([f"Role:{name}"], org.user_by_name("Hand User"))
        org.save()
    p.ok("pull", env, "--quiet")
