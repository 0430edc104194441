"""The promotion path's mistakes of issue 26: refused with file and line (exit 2), or warned
where a real team's config does it on purpose."""

from __future__ import annotations

import pytest

from sfenv.config import load_config
from sfenv.errors import ConfigError
from tests.config.test_config import MINIMAL, write

FEATURE = "  feature: {kind: git, ref: feature/x}\n"


def test_production_in_the_middle_of_the_path_is_refused(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, MINIMAL.replace("path: [dev, qa, prod]", "path: [dev, prod, qa]")))
    assert str(err.value).startswith(f"{tmp_path / 'sfenv.yml'}:8:")
    assert "production environment 'prod' before qa: production must be the last stage" in str(err.value)


def test_two_production_environments_are_refused_at_the_second(tmp_path):
    text = MINIMAL.replace("password_env: QA_PW}", "password_env: QA_PW, production: true}")
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert str(err.value).startswith(f"{tmp_path / 'sfenv.yml'}:6:"), err.value
    assert "'qa' and 'prod' both say production: true" in str(err.value)


def test_an_org_off_the_path_is_warned_with_its_line(tmp_path):
    config = load_config(write(tmp_path, MINIMAL.replace("path: [dev, qa, prod]", "path: [dev, prod]")))
    assert config.warnings == [f"{tmp_path / 'sfenv.yml'}:5: environment 'qa' is declared but not "
                               "on the path: promotions never reach it (add it to path, or "
                               "remove it if it is not used)"]


def test_a_git_branch_off_the_path_is_not_warned(tmp_path):
    text = MINIMAL.replace("environments:\n", "environments:\n" + FEATURE)
    config = load_config(write(tmp_path, text))
    assert config.env("feature").kind == "git"
    assert config.warnings == []
