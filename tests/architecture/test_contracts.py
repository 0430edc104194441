"""The import contracts of `.importlinter` (layers, the local org apart, no cycles) hold, and
the check itself fails when someone adds an upward import: at module level, inside a function,
from the local org into the product, or the product into the local org.

import-linter (grimp) reads every import statement, including those inside functions, so a
function-level import that hides a cycle or an upward import is caught by the same check;
`test_check_fails_on_a_deliberate_upward_import[function-level]` proves it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is not installed (dev extra)")

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"
NEW_LAYOUT = (ROOT / "sfenv" / "core").is_dir()
needs_new_layout = pytest.mark.skipif(
    not NEW_LAYOUT, reason="the tree is in the old layout: run tools/relayout.py first "
                           "(.importlinter describes the new one)")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the tree at `root` (no cache written into it)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT), "--no-cache", "--no-logo", str(root / ".importlinter")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def copy_tree(dest: Path) -> Path:
    """The package's Python files and the contracts, without seeds or caches."""
    shutil.copytree(ROOT / "sfenv", dest / "sfenv",
                    ignore=shutil.ignore_patterns("__pycache__", "acme", "*.j2", "*.json"))
    shutil.copy(ROOT / ".importlinter", dest / ".importlinter")
    return dest


@needs_new_layout
def test_contracts_hold_on_the_tree():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "BROKEN" not in done.stdout


MUTATIONS = {
    # a core module importing a service: upward across layers
    "module-level": ("sfenv/core/metadata/ids.py", "\nimport sfenv.services.pull.service\n",
                     "sfenv.core.metadata.ids -> sfenv.services.pull.service"),
    # the same hidden inside a function: import-linter sees it too
    "function-level": ("sfenv/core/compare/model.py",
                       "\n\ndef _hidden():\n    from sfenv.cli import main\n    return main\n",
                       "sfenv.core.compare.model -> sfenv.cli"),
    # the local org reaching into sfenv's services
    "localorg-into-product": ("sfenv/localorg/replies.py", "\nimport sfenv.services.pull\n",
                              "sfenv.localorg.replies -> sfenv.services.pull"),
    # product code reaching the simulator directly
    "product-into-localorg": ("sfenv/services/pull/plan.py", "\nimport sfenv.localorg.server\n",
                              "sfenv.services.pull.plan -> sfenv.localorg.server"),
    # a view reading the store instead of being given data
    "view-into-io": ("sfenv/views/diff.py", "\nimport sfenv.io.store.snapshots\n",
                     "sfenv.views.diff -> sfenv.io.store.snapshots"),
}


@needs_new_layout
@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_check_fails_on_a_deliberate_upward_import(tmp_path, case):
    root = copy_tree(tmp_path)
    baseline = lint(root)
    assert "BROKEN" not in baseline.stdout, "the copy breaks a contract before the mutation"
    rel, code, edge = MUTATIONS[case]
    with (root / rel).open("a", encoding="utf-8") as f:
        f.write(code)
    done = lint(root)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout
    assert edge in " ".join(done.stdout.split()), done.stdout[-3000:]
