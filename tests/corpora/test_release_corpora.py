"""Two local orgs loaded at a listed pair's two commits: `release plan` and `release build`
between them succeed, and the package deploys to a third local org loaded at the first commit,
which then holds what the second has for every packaged component."""

from __future__ import annotations

import json

import pytest

from tests.corpora.pairs import LISTED, Pair
from tests.corpora.test_localorg_corpora import _snapshot, _write, org_tree
from tests.projects import local_project

RELEASE_PAIRS = [p for p in LISTED if p.id in ("nks-2-listviews-renamed", "dahlia-3-profiles-only")]


def _param(pair: Pair):
    marks = [pytest.mark.corpora_heavy] if pair.id.startswith("dahlia") else []
    return pytest.param(pair, id=pair.id, marks=marks)


@pytest.mark.parametrize("pair", [_param(p) for p in RELEASE_PAIRS])
def test_plan_build_and_deploy_between_orgs_at_two_commits(pair, corpora, tmp_path, monkeypatch):
    repo = corpora(pair.corpus)
    before, after = org_tree(repo, pair.old), org_tree(repo, pair.new)
    _write(tmp_path / "orgs" / "dev", after)
    _write(tmp_path / "orgs" / "qa", before)
    _write(tmp_path / "orgs" / "prod", before)
    with local_project(tmp_path, {"dev": None, "qa": None, "prod": None}, monkeypatch,
                       production=None, seed_types=False) as project:
        project.pull_all()
        planned = project.cli_json("release", "plan", "R1", "--from", "dev", "--to", "prod")
        assert planned, "empty plan"
        project.ok("release", "build", "R1", "--from", "dev", "--to", "prod")
        # qa (the older commit) holds components the train replaces or deletes; with no sync
        # point the guard names them as qa's own and refuses: the release manager overwrites
        result = project.cli("release", "promote", "R1", "--to", "qa", "--yes",
                             "--overwrite-all")
        assert result.exit_code == 0, result.output[-2000:]
        project.ok("pull", "qa")
        diff = project.cli("diff", "dev", "qa", "--json")
        assert diff.exit_code in (0, 1), diff.output
        left = json.loads(diff.stdout)["changes"]
        assert len(left) < len(json.loads(project.cli("diff", "dev", "prod", "--json").stdout)
                               ["changes"]), left[:10]
        assert _snapshot(project.root, "qa") != _snapshot(project.root, "prod")
