"""tools/relayout.py: moves modules by the table, rewrites every kind of reference, follows
new files added in old folders, and changes nothing when run again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import relayout  # noqa: E402
from relayout_map import MOVES  # noqa: E402

LAYER_DIRS = ("sfenv/core/", "sfenv/io/", "sfenv/services/", "sfenv/views/", "sfenv/cli/",
              "sfenv/config/", "sfenv/localorg/")
BASE_FILES = {"sfenv/__init__.py", "sfenv/__main__.py", "sfenv/errors.py", "sfenv/progress.py",
              "sfenv/identity.py"}  # the base every layer may import (relayout_map.STAYS)

FILES = {
    "pyproject.toml": 'packages = [\n    "sfenv", "sfenv.release", "sfenv.pull",\n]\n',
    "sfenv/__init__.py": '__version__ = "0"\n',
    "sfenv/release/__init__.py": '"""Trains."""\n',
    "sfenv/release/log.py": "from sfenv.release.train import load_train\n",
    "sfenv/release/train.py": "def load_train():\n    return 1\n",
    # a module another branch adds today in an old folder
    "sfenv/release/steps.py": ("from sfenv.release import log, train\n"
                               "from sfenv.store.snapshots import SnapshotStore\n"),
    "sfenv/store/__init__.py": "",
    "sfenv/store/snapshots.py": "class SnapshotStore:\n    pass\n",
    "sfenv/render/__init__.py": "",
    "sfenv/render/templates/page.html.j2": "<p>{{ x }}</p>\n",
    "sfenv/render/checklist_render.py": 'LOADER = ("sfenv.render", "templates")\n',
    "sfenv/pull/__init__.py": "from sfenv.pull.backups import MESSAGE\n",  # a re-export
    "sfenv/pull/service.py": ("import sfenv.store.snapshots\n"
                              "from sfenv import release\n"
                              "\n\ndef run():\n"
                              "    from sfenv.pull.backups import MESSAGE\n"
                              "    return MESSAGE, release, sfenv.store.snapshots\n"),
    "sfenv/pull/backups.py": 'MESSAGE = "m"\n',
    "sfenv/localorg/__init__.py": "",
    "sfenv/localorg/server.py": "from sfenv.metadata.registry import Registry\n",
    "sfenv/metadata/__init__.py": "",
    "sfenv/metadata/registry.py": "class Registry:\n    pass\n",
    "tests/test_x.py": ("from sfenv.pull import MESSAGE\n"
                        'PATCH = "sfenv.pull.service.run"\n'
                        'SOURCE = "sfenv/release/steps.py"\n'
                        'SCHEMA = "sfenv.release/1"\n'
                        'REF = "refs/heads/sfenv/release"\n'
                        'DATA = ROOT / "sfenv" / "metadata" / "registry.json"\n'),
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    return tmp_path


def run(repo: Path, *args: str) -> int:
    return relayout.main(["--root", str(repo), *args])


def test_moves_by_the_table_and_rewrites_every_reference(repo):
    assert run(repo) == 0
    tracked = set(git(repo, "ls-files").split())
    assert "sfenv/services/promote/steps.py" in tracked  # the new module followed release/
    assert "sfenv/services/records/release_log.py" in tracked  # a module exception
    assert "sfenv/views/templates/page.html.j2" in tracked  # data files move with a package
    assert "sfenv/localorg/server.py" in tracked  # the local org stays
    assert not any(p.startswith(("sfenv/release/", "sfenv/pull/", "sfenv/render/"))
                   for p in tracked)
    assert (repo / "sfenv/services/__init__.py").is_file()  # new packages get an __init__
    steps = (repo / "sfenv/services/promote/steps.py").read_text()
    # `from PKG import a, b` parts when a and b moved apart
    assert "from sfenv.services.records import release_log as log" in steps
    assert "from sfenv.services.train import train" in steps
    assert "from sfenv.io.store.snapshots import SnapshotStore" in steps
    service = (repo / "sfenv/services/pull/service.py").read_text()
    assert "import sfenv.io.store.snapshots" in service
    assert "from sfenv.services import promote as release" in service
    assert "    from sfenv.services.records.backups import MESSAGE" in service  # in a function
    assert "sfenv.io.store.snapshots\n" in service
    assert '("sfenv.views", "templates")' in (repo / "sfenv/views/checklist.py").read_text()
    assert "from sfenv.core.metadata.registry import" in (repo / "sfenv/localorg/server.py").read_text()
    test = (repo / "tests/test_x.py").read_text()
    # a name the package re-exports from a module that left it: imported from that module
    assert "from sfenv.services.records.backups import MESSAGE" in test
    assert '"sfenv.services.pull.service.run"' in test  # mock.patch targets
    assert '"sfenv/services/promote/steps.py"' in test  # paths
    assert '"sfenv" / "core" / "metadata" / "registry.json"' in test
    assert '"sfenv.release/1"' in test and '"refs/heads/sfenv/release"' in test  # not names
    packages = (repo / "pyproject.toml").read_text()
    assert '"sfenv.services.promote"' in packages and '"sfenv.release"' not in packages


def test_a_second_run_changes_nothing(repo):
    assert run(repo) == 0
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "moved")
    assert run(repo, "--check") == 0
    assert run(repo) == 0
    assert git(repo, "status", "--porcelain") == ""


def test_rewrite_after_a_later_merge_fixes_old_imports(repo):
    assert run(repo) == 0
    late = repo / "sfenv/services/pull/late.py"  # merged later, written against old names
    late.write_text("from sfenv.release.log import x\nfrom sfenv.render import page\n")
    git(repo, "add", str(late))
    assert run(repo, "--check") == 1
    assert run(repo, "--rewrite") == 0
    assert late.read_text() == ("from sfenv.services.records.release_log import x\n"
                                "from sfenv.views import page\n")
    assert run(repo, "--check") == 0


def test_a_table_whose_new_names_would_move_again_is_refused():
    with pytest.raises(relayout.RelayoutError, match="not re-runnable"):
        relayout.Table.of([("sfenv.a", "sfenv.b"), ("sfenv.b", "sfenv.c")])


def test_two_files_landing_on_one_path_are_refused():
    table = relayout.Table.of([("sfenv.a.x", "sfenv.c.x"), ("sfenv.b", "sfenv.c")])
    with pytest.raises(relayout.RelayoutError, match="both move to sfenv/c/x.py"):
        relayout.plan_moves(table, ["sfenv/a/x.py", "sfenv/b/x.py"])


def test_the_real_table_leaves_no_module_outside_a_layer():
    """Every tracked module today lands in a layer folder (or is the base), and no two land
    on one path."""
    table = relayout.Table.of(MOVES)
    files = [p for p in relayout.tracked(ROOT) if p.startswith("sfenv/") and p.endswith(".py")]
    relayout.plan_moves(table, files)
    outside = sorted(new for new in (table.path(p) for p in files)
                     if not new.startswith(LAYER_DIRS) and new not in BASE_FILES)
    assert outside == []


def test_a_refused_move_leaves_the_tree_as_it_was(repo, monkeypatch, capsys):
    """Two files that would land on one path: refused (exit 2) before anything moves."""
    (repo / "sfenv/store/log.py").write_text("X = 1\n")
    git(repo, "add", "-A")
    monkeypatch.setattr(relayout, "MOVES", MOVES + (("sfenv.store.log",
                                                     "sfenv.services.records.release_log"),))
    before = git(repo, "status", "--porcelain")
    assert run(repo) == 2
    assert "would both move to sfenv/services/records/release_log.py" in capsys.readouterr().err
    assert git(repo, "status", "--porcelain") == before
    assert (repo / "sfenv/release/log.py").is_file() and not (repo / "sfenv/services").exists()


def test_docs_are_rewritten_only_when_asked_and_never_the_architecture_table(repo):
    (repo / "docs").mkdir()
    (repo / "docs/NOTES.md").write_text("See `sfenv.release.log` and sfenv/pull/service.py.\n")
    (repo / "docs/ARCHITECTURE.md").write_text("| `release/log.py` | `sfenv.release.log` |\n")
    git(repo, "add", "-A")
    assert run(repo) == 0
    assert "sfenv.release.log" in (repo / "docs/NOTES.md").read_text()
    assert run(repo, "--rewrite", "--docs") == 0
    assert (repo / "docs/NOTES.md").read_text() == (
        "See `sfenv.services.records.release_log` and sfenv/services/pull/service.py.\n")
    assert "sfenv.release.log" in (repo / "docs/ARCHITECTURE.md").read_text()
