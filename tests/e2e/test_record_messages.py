"""Messages a release manager acts on (issue 26): each names what happened and what to do."""

from __future__ import annotations

from contextlib import ExitStack

from click.testing import CliRunner

from sfenv.cli import main
from sfenv.localorg.testing import running_org


def test_a_pull_with_an_sfdx_auth_url_never_says_as_none(tmp_path, monkeypatch):
    root = tmp_path / "project"
    root.mkdir()
    with ExitStack() as stack:
        org = stack.enter_context(running_org(tmp_path / "org", seed="acme-dev"))
        monkeypatch.setenv("REL_URL", org.sfdx_auth_url)
        for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            monkeypatch.delenv(var, raising=False)
        (root / "sfenv.yml").write_text(
            "project: acme\nenvironments:\n"
            f"  url:\n    sfdx_url_env: REL_URL\n    ca_file: {org.ca_file}\n"
            "path: [url]\npull:\n  poll_interval: 0.02\n  poll_max_interval: 0.2\n")
        result = CliRunner().invoke(main, ["pull", "url", "--config", str(root / "sfenv.yml")])
    assert result.exit_code == 0, result.output
    said = result.stdout + result.stderr
    assert "as None" not in said
    assert "url: logged in to https://127.0.0.1:" in said and " as admin@acme.dev.example" in said
    # the pull's summary explains "83 components, 231 asked for"
    assert "components count top-level components" in said
