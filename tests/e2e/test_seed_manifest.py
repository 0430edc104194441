"""The suite's projects pull with a package.xml of the types their orgs hold (`seed_manifest` in
tests/projects.py), not the ~530 types a local org describes. That narrowing must lose nothing:
for the seeds those projects use, a pull with it holds exactly the files and component rows a
pull with the default manifest holds. If a seed gains a type the registry cannot name, or the
manifest misses one, this fails before any test built on it passes without seeing it."""

from __future__ import annotations

import json

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from tests.projects import local_project

INDEX = ".sfenv/components.json"


def _pulled(project, env: str) -> tuple[dict[str, str], dict]:
    project.ok("pull", env, "--quiet")
    store = SnapshotStore(project.root)
    head = store.head(env)
    files = store.files(head)
    index = json.loads(store.read_file(head, INDEX) or b"{}")
    return files, index


@pytest.mark.parametrize("seed", ["acme-dev", "acme-qa", "acme-prod"])
def test_the_seed_manifest_pulls_what_the_default_manifest_pulls(seed, tmp_path, monkeypatch):
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    with local_project(tmp_path / "default", {"env": seed}, monkeypatch, production=None,
                       seed_types=False) as everything:
        assert "manifest:" not in everything.config_path.read_text()
        want_files, want_index = _pulled(everything, "env")
    with local_project(tmp_path / "seed", {"env": seed}, monkeypatch,
                       production=None) as narrowed:
        assert "manifest: package.xml" in narrowed.config_path.read_text()
        got_files, got_index = _pulled(narrowed, "env")
    assert len(want_files) > 50
    assert sorted(got_files) == sorted(want_files)
    assert {p: b for p, b in got_files.items() if not p.startswith(".sfenv/")} == \
        {p: b for p, b in want_files.items() if not p.startswith(".sfenv/")}
    assert sorted(got_index) == sorted(want_index)
