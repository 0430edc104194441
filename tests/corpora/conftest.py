"""The corpora tier: real org repositories (`../shared/corpora`, git bundles) as test input.

Each bundle is cloned once per session into a temporary folder. The tier skips, saying why,
only when the corpora folder is absent. Pairs marked `corpora_heavy` (the README's benchmark
ranges, seconds each) run only with `SFENV_CORPORA_ALL=1` (`make corpora`) so that `make test`
keeps its budget.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.corpora.checks import corpora_dir


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "corpora_heavy: a corpora case outside make test's budget")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("SFENV_CORPORA_ALL") == "1":
        return
    skip = pytest.mark.skip(reason="heavy corpora case: SFENV_CORPORA_ALL=1 (make corpora) runs it")
    for item in items:
        if "corpora_heavy" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def corpora(tmp_path_factory: pytest.TempPathFactory):
    """name -> path of a clone of that bundle (cloned on first use)."""
    source = corpora_dir()
    if source is None:
        pytest.skip("no ../shared/corpora beside the repository (nor $SFENV_CORPORA): "
                    "the real-repository tier needs its git bundles")
    root = tmp_path_factory.mktemp("corpora")
    clones: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in clones:
            dest = root / name
            subprocess.run(["git", "clone", "-q", str(source / f"{name}.bundle"), str(dest)],
                           check=True)
            clones[name] = dest
        return clones[name]

    return get
