"""The conformance runner itself (tools/conformance): its list of commands, and that it skips
(rather than fails) only when npm cannot be reached. The suite proper runs with
`make conformance`, not under pytest: it needs the real sf CLI from npm."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools" / "conformance"


def _load(name: str):
    """tools/conformance/<name>.py, imported as the runner imports its siblings."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    if name == "run":   # not a unique module name: load it under its own
        spec = importlib.util.spec_from_file_location("sfenv_conformance_run", TOOLS / "run.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(name)


def test_the_suite_lists_at_least_25_everyday_commands_and_documents_its_limits():
    cases = _load("sf_cases").CASES
    expected = [c for c in cases if not c.known_limit]
    assert len(expected) >= 25
    assert len({c.name for c in cases}) == len(cases)
    names = " ".join(c.name for c in expected)
    for needed in ("login access-token", "login sfdx-url", "login jwt", "org display", "org list",
                   "metadata-types", "data query (human)", "data query --json", "-r csv",
                   "retrieve start --manifest", "retrieve start --source-dir",
                   "--target-metadata-dir", "deploy start --metadata-dir", "pre-destructive",
                   "post-destructive", "deploy validate", "deploy quick", "deploy cancel",
                   "deploy resume", "report", "(REST)", "folder/ members",
                   "folders --target-metadata-dir", "new folder", "sobject list",
                   "package installed list", "Bulk API 2.0", "tracked: project retrieve preview",
                   "tracked: project deploy preview", "tracked: project retrieve start",
                   "tracked: project deploy start", "tracked: project delete source"):
        assert needed in names, needed
    assert len(expected) / len(cases) >= 0.95


def test_runner_skips_with_a_clear_message_when_npm_is_unreachable(tmp_path, monkeypatch, capsys):
    run = _load("run")
    monkeypatch.setenv("SFENV_CONFORMANCE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))   # no node, no npm
    assert run.run(None, keep=False) == 0
    assert "SKIPPED - npm registry unreachable" in capsys.readouterr().out


def test_the_current_cli_release_installs_next_to_the_pinned_one(tmp_path, monkeypatch):
    toolchain = _load("sf_toolchain")
    monkeypatch.setenv("SFENV_CONFORMANCE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))   # no npm: each install says so
    for cli in (toolchain.SF_CLI, toolchain.SF_CLI_LATEST):
        with pytest.raises(toolchain.Unreachable):
            toolchain.ensure(log=lambda *_: None, cli=cli)
    assert toolchain.SF_CLI_LATEST in toolchain._wanted(False, toolchain.SF_CLI_LATEST)
    assert "latest" in toolchain.SF_CLI_LATEST


@pytest.mark.parametrize("version,needs", [("v20.20.2", True), ("v22.9.0", False)])
def test_an_older_node_gets_node_22_from_npm(tmp_path, monkeypatch, version, needs):
    toolchain = _load("sf_toolchain")
    node = tmp_path / "node"
    node.write_text(f"#!/bin/sh\necho {version}\n")
    node.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert (toolchain._node_major(str(node)) < toolchain.MIN_NODE_MAJOR) is needs
    assert (toolchain.NODE in toolchain._wanted(needs)) is needs


def test_a_case_marked_for_another_try_is_retried_from_a_fresh_change_and_its_last_failure_counts(
        capsys):
    run, suite = _load("run"), _load("sf_cases")
    calls: list[str] = []

    def flaky(ctx):
        calls.append("run")
        if calls.count("run") < 3:
            raise AssertionError("set()")

    def fresh_change(ctx):
        calls.append("fresh change")

    run._run_case(suite.Case("c", flaky, second_try="why", before_retry=fresh_change), None)
    assert calls == ["run", "fresh change", "run", "fresh change", "run"]
    assert capsys.readouterr().out.count("SECOND TRY") == 2  # every retry is said

    def broken(ctx):
        raise AssertionError("always")

    with pytest.raises(AssertionError, match="always"):
        run._run_case(suite.Case("d", broken, second_try="why"), None)
    with pytest.raises(AssertionError, match="always"):  # no second try unless marked
        run._run_case(suite.Case("e", broken), None)
