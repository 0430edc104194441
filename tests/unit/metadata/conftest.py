from pathlib import Path

import pytest

from sfenv.core.metadata.registry import default_registry

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path("/work/shared/reference")


@pytest.fixture
def registry():
    return default_registry()


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def shared_reference() -> Path:
    """The third-party reference folder; tests using it skip when it is absent."""
    if not (SHARED / "sdr-metadataRegistry.json").exists():
        pytest.skip(f"reference data not present at {SHARED} (only needed for consistency checks)")
    return SHARED
