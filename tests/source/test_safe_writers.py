"""Issue 23: writers stay inside the folder the user named. A component name from content
(`../../../../ESCAPED`), a symlinked `force-app/main/default` or `src`, or an absolute default
package directory is refused with one line and exit 2, and nothing is written outside."""

from __future__ import annotations

import contextlib
import json

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.errors import ConfigError
from sfenv.io.source.outpaths import SafeWriter
from tests.source.gitrepo import GitRepo
from tests.source.test_source_envs import _cli, _project

OBJECT = """<?xml version="1.0" encoding="UTF-8"?>
<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">
    <fields>
        <fullName>{name}</fullName>
        <label>Plate</label>
        <length>20</length>
        <type>Text</type>
    </fields>
    <label>Vehicle</label>
</CustomObject>
"""
PACKAGE = """<?xml version="1.0" encoding="UTF-8"?>
<Package xmlns="http://soap.sforce.com/2006/04/metadata">
    <version>62.0</version>
</Package>
"""


def _mdapi_repo(tmp_path, field_name: str) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.write("src/package.xml", PACKAGE)
    repo.write("src/classes/A.cls", "public class A {}\n")
    repo.commit("base")
    repo.write("src/objects/Vehicle__c.object", OBJECT.format(name=field_name))
    repo.commit("object")
    return repo


def _delta(repo: GitRepo, *args: str):
    with contextlib.chdir(repo.root):
        return CliRunner().invoke(main, ["delta", "HEAD~1", "HEAD", *args])


def _files_under(folder) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_a_child_named_with_dot_dots_is_refused_naming_file_and_component(tmp_path):
    repo = _mdapi_repo(tmp_path, "../../../../ESCAPED")
    out = tmp_path / "a" / "b" / "c" / "out"
    result = _delta(repo, "--out", str(out), "--format", "source")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "objects/Vehicle__c.object" in lines[0] and "ESCAPED" in lines[0]
    assert not list(tmp_path.rglob("ESCAPED*"))


def test_delta_refuses_to_write_through_a_symlinked_src(tmp_path):
    repo = _mdapi_repo(tmp_path, "Plate__c")
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "src").symlink_to(elsewhere, target_is_directory=True)
    result = _delta(repo, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "symbolic link" in result.output and len(result.output.strip().splitlines()) == 1
    assert _files_under(elsewhere) == set()


def test_export_refuses_a_symlinked_main_default(tmp_path):
    repo = _project(tmp_path)
    assert _cli(repo.root, "pull", "main").exit_code == 0
    dest, elsewhere = tmp_path / "exported", tmp_path / "elsewhere"
    (dest / "force-app" / "main").mkdir(parents=True)
    elsewhere.mkdir()
    (dest / "force-app" / "main" / "default").symlink_to(elsewhere, target_is_directory=True)
    with contextlib.chdir(repo.root):
        result = CliRunner().invoke(main, ["export", "main", str(dest)])
    assert result.exit_code == 2, result.output
    assert "symbolic link" in result.output
    assert _files_under(elsewhere) == set()


def test_export_refuses_an_absolute_default_package_directory(tmp_path):
    repo = _project(tmp_path)
    assert _cli(repo.root, "pull", "main").exit_code == 0
    dest, elsewhere = tmp_path / "exported", tmp_path / "elsewhere"
    dest.mkdir()
    (dest / "sfdx-project.json").write_text(json.dumps(
        {"packageDirectories": [{"path": str(elsewhere), "default": True}]}))
    with contextlib.chdir(repo.root):
        result = CliRunner().invoke(main, ["export", "main", str(dest)])
    assert result.exit_code == 2, result.output
    assert "not inside" in result.output
    assert not elsewhere.exists()


@pytest.mark.parametrize("rel", ["../x", "a/../../x", "/etc/x", "a//b", "./a", "C:/x", "a\\..\\x"])
def test_the_writer_refuses_paths_that_leave_the_destination(tmp_path, rel):
    with pytest.raises(ConfigError):
        SafeWriter(tmp_path / "out").write(rel, b"x")
    assert _files_under(tmp_path) == set()


def test_a_malformed_file_in_a_commit_is_named_by_commit_and_repository_path(tmp_path):
    # nav-crm-nks-base has commits whose flexipage does not parse
    repo = GitRepo(tmp_path / "repo")
    repo.write("sfdx-project.json", '{"packageDirectories": [{"path": "force-app"}]}')
    repo.write("force-app/main/default/classes/A.cls", "public class A {}\n")
    repo.commit("base")
    page = "force-app/main/default/flexipages/Home.flexipage-meta.xml"
    repo.write(page, '<?xml version="1.0" encoding="UTF-8"?>\n<FlexiPage xmlns="http://soap.'
                     'sforce.com/2006/04/metadata">\n    <a></b>\n</FlexiPage>\n')
    head = repo.commit("broken page")
    result = _delta(repo)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and head[:12] in lines[0] and page in lines[0], lines
