"""Issue 23: hostile sfdx-project.json content gives one line, not a traceback or a hang."""

from __future__ import annotations

import json
import time

import pytest

import sfenv.io.source.project as project_mod
from sfenv.errors import ConfigError
from sfenv.io.source.project import apply_replacements, read_project


def _project(replacements: list[dict]) -> project_mod.SfdxProject:
    data = {"packageDirectories": [{"path": "force-app", "default": True}],
            "replacements": replacements}
    return read_project({"sfdx-project.json": json.dumps(data).encode()}, "repo")


def test_a_project_file_nested_100000_deep_is_a_one_line_error():
    raw = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(ConfigError) as caught:
        read_project({"sfdx-project.json": raw}, "repo")
    assert "nested too deeply" in str(caught.value) and "\n" not in str(caught.value)


def test_a_catastrophic_regex_replacement_stops_at_its_time_bound(monkeypatch):
    monkeypatch.setattr(project_mod, "REGEX_SECONDS", 1.0)
    project = _project([{"glob": "**/*.cls", "regexToReplace": "(a+)+$", "replaceWithEnv": "V"}])
    files = {"force-app/main/default/classes/A.cls": b"a" * 40 + b"!"}
    start = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        apply_replacements(files, project, {"V": "x"}, files)
    assert time.monotonic() - start < 5
    assert "(a+)+$" in str(caught.value) and "ran over" in str(caught.value)


def test_a_regex_replacement_still_replaces():
    project = _project([{"glob": "**/*.cls", "regexToReplace": "v[0-9]+", "replaceWithEnv": "V"}])
    files = {"force-app/main/default/classes/A.cls": b"api v12 and v3"}
    assert apply_replacements(files, project, {"V": "v99"}, files) == []
    assert files["force-app/main/default/classes/A.cls"] == b"api v99 and v99"


def test_an_invalid_regex_is_a_one_line_error():
    project = _project([{"glob": "**/*.cls", "regexToReplace": "(", "replaceWithEnv": "V"}])
    files = {"force-app/main/default/classes/A.cls": b"x"}
    with pytest.raises(ConfigError):
        apply_replacements(files, project, {"V": "y"}, files)
