"""`sfenv ci comment`: each pull request keeps one sfenv comment, found by its marker through
the provider's API and updated in place; errors are one line, with exit 2 for a missing
variable and 3 for the API, and the token is never printed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.views.plan_comment import MARKER
from tests.ci.fakeprs import TOKEN, ci_variables, fake_api

PROVIDERS = ["github", "gitlab", "azure"]


def _post(tmp_path, monkeypatch, provider: str, url: str, body: str, *extra: str):
    for name, value in ci_variables(provider, url).items():
        monkeypatch.setenv(name, value)
    (tmp_path / "plan.md").write_text(body)
    return CliRunner().invoke(main, ["ci", "comment", "--provider", provider, "--body",
                                     str(tmp_path / "plan.md"), *extra])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_first_push_creates_the_comment_and_the_next_updates_it(tmp_path, monkeypatch,
                                                                     provider):
    with fake_api() as api:
        api.comments.append({"id": 7, "body": "LGTM", "thread": 3})  # a reviewer's
        api.comments.append({"id": 8, "body": f"why does\n{MARKER}\nsay 3?", "thread": 4})
        first = _post(tmp_path, monkeypatch, provider, api.url, f"{MARKER}\nplan v1\n")
        assert first.exit_code == 0, first.output
        assert first.output.startswith(f"created the sfenv comment on {provider} pull request 12")
        second = _post(tmp_path, monkeypatch, provider, api.url, f"{MARKER}\nplan v2\n")
        assert second.exit_code == 0, second.output
        assert second.output.startswith(f"updated the sfenv comment on {provider} pull request 12")
        assert api.bodies() == ["LGTM", f"why does\n{MARKER}\nsay 3?", f"{MARKER}\nplan v2\n"]
        assert TOKEN not in first.output + second.output


def test_github_finds_the_comment_past_the_first_page(tmp_path, monkeypatch):
    with fake_api() as api:
        api.comments += [{"id": i, "body": f"comment {i}", "thread": 0} for i in range(1, 151)]
        api.comments.append({"id": 900, "body": f"{MARKER}\nold", "thread": 0})
        result = _post(tmp_path, monkeypatch, "github", api.url, f"{MARKER}\nnew\n", "--json")
        assert result.exit_code == 0, result.output
        assert '"action": "updated"' in result.output and '"id": "900"' in result.output
        assert len(api.comments) == 151 and api.comments[-1]["body"] == f"{MARKER}\nnew\n"
        assert [p for m, p in api.requests if m == "PATCH"] == \
            ["/repos/acme/app/issues/comments/900"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_refused_token_is_exit_3_in_one_line_without_the_token(tmp_path, monkeypatch,
                                                                  provider):
    with fake_api() as api:
        api.fail_with = 401
        result = _post(tmp_path, monkeypatch, provider, api.url, f"{MARKER}\nplan\n")
    assert result.exit_code == 3
    assert result.output.count("\n") == 1 and "HTTP 401" in result.output
    assert f"ci comment ({provider}): GET " in result.output
    assert TOKEN not in result.output and api.comments == []


def test_an_unreachable_api_is_exit_3(tmp_path, monkeypatch):
    result = _post(tmp_path, monkeypatch, "gitlab", "http://127.0.0.1:9", f"{MARKER}\nplan\n")
    assert result.exit_code == 3 and "ConnectionError" in result.output
    assert TOKEN not in result.output


def test_a_missing_token_or_pull_request_is_exit_2(tmp_path, monkeypatch):
    for name, value in ci_variables("github", "http://127.0.0.1:9").items():
        monkeypatch.setenv(name, value)
    (tmp_path / "plan.md").write_text(f"{MARKER}\nx\n")
    args = ["ci", "comment", "--provider", "github", "--body", str(tmp_path / "plan.md")]
    monkeypatch.setenv("GITHUB_TOKEN", "")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "the token variable $GITHUB_TOKEN is empty" in result.output
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")  # not a pull request's job
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "pass --pr N" in result.output


def test_a_body_without_the_marker_is_refused_before_any_request(tmp_path, monkeypatch):
    with fake_api() as api:
        result = _post(tmp_path, monkeypatch, "github", api.url, "just text\n")
    assert result.exit_code == 2 and "does not carry the marker" in result.output
    assert api.requests == []
