"""A pull holds blob ids, not the org's bytes: each retrieved chunk goes to git as it arrives,
so the pull's memory follows the size of a chunk, not the size of the org (issue 16)."""

from __future__ import annotations

import os

import sfenv.services.pull.service as service
from sfenv.config.loader import load_config
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.pull import pull_env
from tests.projects import local_project

RESOURCES = 48
SIZE = 256 * 1024  # incompressible bytes: the zips are as large as the files


def test_a_full_pull_holds_about_one_chunk_not_the_whole_org(tmp_path, monkeypatch):
    extra = "  chunk_size: 4\n  parallel: 1\n"
    with local_project(tmp_path, {"prod": "acme-prod"}, monkeypatch, production=None,
                       extra=extra, seed_types=False) as project:
        data = {f"staticresources/Big{i:02d}.resource": os.urandom(SIZE)
                for i in range(RESOURCES)}
        for rel, body in data.items():
            path = project.orgs["prod"].data_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            path.with_name(path.name + "-meta.xml").write_bytes(
                b'<?xml version="1.0" encoding="UTF-8"?>\n<StaticResource xmlns='
                b'"http://soap.sforce.com/2006/04/metadata">\n    <cacheControl>Private'
                b'</cacheControl>\n    <contentType>application/octet-stream</contentType>\n'
                b'</StaticResource>\n')
        config = load_config(project.config_path)
        held: list[int] = []
        record = service._record

        def watched(store, env, previous, files, *args, **kwargs):
            held.append(sum(len(d) for d in files.values() if isinstance(d, bytes)))
            return record(store, env, previous, files, *args, **kwargs)

        # the org runs in this process (its finished jobs keep their zips), so the pull's
        # share is read where the snapshot is written: the bytes the pull still holds
        monkeypatch.setattr(service, "_record", watched)
        result = pull_env(config, "prod")
        store = SnapshotStore(project.root)
        for rel, body in list(data.items())[::12]:
            assert store.read_file(result.commit, rel) == body
    total = RESOURCES * SIZE  # 12 MB
    assert held and held[0] < total / 10, \
        f"the pull holds {held[0] / 2**20:.1f} MB of file bytes when it writes the snapshot"
