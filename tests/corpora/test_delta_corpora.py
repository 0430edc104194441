"""`sfenv delta` on real repositories: the README's listed pairs and a fixed sample of
consecutive pairs per corpus never crash, write only metadata paths inside the output folder,
give the deltas the README states, and reading only the changed components gives the same
result as reading both whole trees."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.services.train.delta import compute_delta, write_delta
from tests.corpora.checks import check_written
from tests.corpora.pairs import CORPORA, DAHLIA, LISTED, NKS, Pair

LIGHT = [p for p in LISTED if not p.heavy]


def _param(pair: Pair):
    marks = [pytest.mark.corpora_heavy] if pair.heavy else []
    return pytest.param(pair, id=pair.id, marks=marks)


def _cli_delta(repo: Path, pair: Pair, out: Path, fmt: str) -> dict:
    result = CliRunner().invoke(main, ["delta", pair.old, pair.new, "--repo", str(repo),
                                       "--out", str(out), "--format", fmt, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("pair", [_param(p) for p in LISTED])
def test_listed_pair_gives_a_package_with_only_metadata_paths(pair, corpora, tmp_path):
    repo = corpora(pair.corpus)
    for fmt in ("mdapi", "source"):
        data = _cli_delta(repo, pair, tmp_path / fmt, fmt)
        written = [tmp_path / fmt / rel for rel in _written(tmp_path / fmt)]
        assert check_written(tmp_path / fmt, written, fmt) == []
    if pair.empty:
        assert data["package"] == {} and data["destructive"] == {}
    for type_name, members in pair.deletes.items():
        assert set(members) <= set(data["destructive"].get(type_name, []))


def _written(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


@pytest.mark.parametrize("pair", [_param(p) for p in LISTED])
def test_reading_only_changed_components_gives_the_whole_tree_delta(pair, corpora):
    repo = corpora(pair.corpus)
    narrow = compute_delta(repo, pair.old, pair.new)
    whole = compute_delta(repo, pair.old, pair.new, narrow=False)
    assert (narrow.package, narrow.destructive, narrow.held, narrow.files) == \
        (whole.package, whole.destructive, whole.held, whole.files)


def _listed(label: str) -> Pair:
    return next(p for p in LISTED if p.id == label)


def test_moving_files_into_sub_folders_gives_only_the_four_edited_components(corpora):
    pair = _listed("nks-1-folders")  # README: 285 pure renames, 4 renames with small edits
    result = compute_delta(corpora(NKS), pair.old, pair.new)
    assert sum(len(m) for m in result.package.values()) == 4
    assert result.destructive == {}


def test_renamed_list_views_are_deleted_under_their_old_names(corpora):
    pair = _listed("nks-2-listviews-renamed")  # README: 21 list views renamed, 17 added
    result = compute_delta(corpora(NKS), pair.old, pair.new)
    gone = result.destructive.get("ListView", [])
    assert "NKS_Announcement__c.NKS_Kampanjer_List_View" in gone
    assert len(gone) == 21
    assert "NKS_Announcement__c.NKS_Campaigns" in result.package["ListView"]


@pytest.mark.corpora_heavy
def test_deleted_standard_objects_are_held_never_destroyed(corpora):
    pair = _listed("dahlia-5-production-src")
    result = compute_delta(corpora(DAHLIA), pair.old, pair.new)
    objects = result.destructive.get("CustomObject", [])
    assert "Contact" not in objects and "DuplicateRecordSet" not in objects
    held = {h.component for h in result.held}
    assert {"CustomObject:Contact", "CustomObject:DuplicateRecordSet"} <= held


SAMPLE_POINTS = (0.1, 0.3, 0.5, 0.7, 0.9)  # positions in each corpus's first-parent history


def _sample(repo: Path) -> list[tuple[str, str]]:
    out = subprocess.run(["git", "rev-list", "--first-parent", "--reverse", "--parents", "HEAD"],
                         cwd=repo, check=True, capture_output=True, text=True).stdout.splitlines()
    rows = [line.split() for line in out if len(line.split()) >= 2]
    return [(rows[int(len(rows) * f)][1], rows[int(len(rows) * f)][0]) for f in SAMPLE_POINTS]


@pytest.mark.parametrize("corpus", CORPORA)
def test_sampled_consecutive_pairs_never_crash_nor_write_outside(corpus, corpora, tmp_path):
    repo = corpora(corpus)
    for n, (old, new) in enumerate(_sample(repo)):
        result = compute_delta(repo, old, new)
        for fmt in ("mdapi", "source"):
            out = tmp_path / f"{n}-{fmt}"
            written = write_delta(result, out, fmt=fmt)
            assert check_written(out, written, fmt) == [], f"{old[:10]}..{new[:10]}"
