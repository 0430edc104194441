"""Fixtures for compare tests (builders live in compare_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfenv.core.metadata.registry import default_registry
from sfenv.io.store.snapshots import SnapshotStore


@pytest.fixture()
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "repo")


@pytest.fixture()
def registry():
    return default_registry()
