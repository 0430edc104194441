"""The remembered retrieve chunk size (`sfenv/chunk-size.json` in the git directory).

The file is a cache: one that cannot be used must fall back to the configured size, never
stop the pull. Invalid JSON already did; JSON of another shape (found typing the module)
crashed `chunk_size` with AttributeError/TypeError.
"""

from __future__ import annotations

import pytest

from sfenv.services.pull import chunkmemory


@pytest.mark.parametrize("text", ["[]", "5", '"x"', '{"00D000000000001": "many"}', "{not json"])
def test_an_unusable_memory_file_falls_back_to_the_configured_size(tmp_path, text):
    (tmp_path / "sfenv").mkdir()
    (tmp_path / "sfenv" / "chunk-size.json").write_text(text)
    assert chunkmemory.chunk_size(tmp_path, "00D000000000001", 400) == 400


def test_a_remembered_smaller_size_is_used_and_survives_an_unusable_file(tmp_path):
    (tmp_path / "sfenv").mkdir()
    (tmp_path / "sfenv" / "chunk-size.json").write_text("[]")
    chunkmemory.remember(tmp_path, "00D000000000001", 100)
    assert chunkmemory.chunk_size(tmp_path, "00D000000000001", 400) == 100
    assert chunkmemory.chunk_size(tmp_path, "00D000000000002", 400) == 400
