"""A type declared only in sfenv.yml (`metadata_types:`) is compared as a component of its own,
element by element, like the shipped ones; mistakes in the declaration name the line and key.

At the compare level on purpose: the local org serves the types of the shipped registry (it is
Salesforce's side), so it has no type a project could add."""

from __future__ import annotations

from pathlib import Path

import pytest
from compare_helpers import snap, xml

from sfenv.config import load_config
from sfenv.core.compare.diff import diff_commits
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.overlays import project_registry
from sfenv.core.metadata.registry import default_registry
from sfenv.errors import ConfigError
from sfenv.io.store.snapshots import SnapshotStore

CONFIG = """\
project: acme
environments:
  qa: {access_token_env: X, instance_url: "https://qa.example"}
  prod: {access_token_env: X, instance_url: "https://prod.example", production: true}
path: [qa, prod]
"""
DECLARED = CONFIG + """\
metadata_types:
  BotBlueprint:
    directory: botBlueprints
    suffix: blueprint
    strategy: xml
"""


def blueprint(greeting: str) -> bytes:
    return xml("BotBlueprint", f"    <greeting>{greeting}</greeting>\n    <label>Helper</label>")


def registry_of(tmp_path: Path, text: str):
    (tmp_path / "sfenv.yml").write_text(text)
    return project_registry(load_config(tmp_path / "sfenv.yml"))


def test_a_type_declared_in_sfenv_yml_is_diffed_as_a_component(tmp_path):
    registry = registry_of(tmp_path, DECLARED)
    store = SnapshotStore(tmp_path / "repo")
    a = snap(store, "prod", {"botBlueprints/Helper.blueprint": blueprint("Hello")})
    b = snap(store, "qa", {"botBlueprints/Helper.blueprint": blueprint("Welcome")})

    diff = diff_commits(store, a, b, registry=registry)
    [change] = diff.changes
    assert change.component == ComponentId("BotBlueprint", "Helper")
    assert [(e.path, e.old, e.new) for e in change.elements] == \
        [("greeting", "Hello", "Welcome")]
    # the shipped registry does not know the type: one opaque file, no element named
    [plain] = diff_commits(store, a, b, registry=default_registry()).changes
    assert plain.component == ComponentId("File", "botBlueprints/Helper.blueprint")
    assert "greeting" not in [e.path for e in plain.elements]


def test_without_metadata_types_the_project_sees_the_shipped_registry_itself(tmp_path):
    assert registry_of(tmp_path, CONFIG) is default_registry()


def test_a_known_types_suffix_can_be_overridden(tmp_path):
    registry = registry_of(tmp_path, CONFIG + "metadata_types:\n  ApexClass: {suffix: apex}\n")
    assert registry.component_of("classes/A.apex") == ComponentId("ApexClass", "A")
    assert registry.expected_path(ComponentId("ApexClass", "A")) == "classes/A.apex"
    assert default_registry().expected_path(ComponentId("ApexClass", "A")) == "classes/A.cls"


@pytest.mark.parametrize(("entry", "line", "words"), [
    ("  BotBlueprint: {directory: botBlueprints, suffix: blueprint, strategy: zip}\n", 7,
     "metadata_types.BotBlueprint.strategy: unknown strategy 'zip' (known: xml, content, bundle, folder)"),
    ("  BotBlueprint: {suffix: blueprint}\n", 7,
     "metadata_types.BotBlueprint: BotBlueprint is not a type sfenv knows: give its directory"),
    ("  BotBlueprint: {directory: botBlueprints}\n", 7,
     "metadata_types.BotBlueprint: BotBlueprint is not a type sfenv knows: give its suffix too"),
    ("  BotBlueprint: {directory: ../outside, suffix: blueprint}\n", 7,
     "metadata_types.BotBlueprint.directory: '../outside' must be one folder name"),
    ("  BotBlueprint: {directory: classes, suffix: cls}\n", 7,
     "metadata_types.BotBlueprint.suffix: BotBlueprint and ApexClass would both own classes/*.cls"),
    ("  CustomField: {suffix: field}\n", 7,
     "metadata_types.CustomField: CustomField is a child type of CustomObject"),
    ("  BotBlueprint:\n    directory: blueprints\n    suffix: bp\n    in_folder: true\n", 10,
     "metadata_types.BotBlueprint.in_folder: in_folder needs folder_type"),
])
def test_a_mistaken_declaration_names_the_line_and_key(tmp_path, entry, line, words):
    (tmp_path / "sfenv.yml").write_text(CONFIG + "metadata_types:\n" + entry)
    config = load_config(tmp_path / "sfenv.yml")
    with pytest.raises(ConfigError) as err:
        project_registry(config)
    assert str(err.value).startswith(f"{tmp_path / 'sfenv.yml'}:{line}: {words}"), err.value


@pytest.mark.parametrize(("entry", "line", "words"), [
    ("  botBlueprint: {directory: x, suffix: y}\n", 7, "metadata_types: 'botBlueprint' is not a metadata type name"),
    ("  BotBlueprint: {folder: x}\n", 7, "metadata_types.BotBlueprint: unknown key 'folder'"),
    ("  BotBlueprint: {meta_file: sometimes}\n", 7, "metadata_types.BotBlueprint.meta_file must be true or false"),
    ("  BotBlueprint: {}\n", 7, "metadata_types.BotBlueprint: say what is different"),
    ("  - BotBlueprint\n", 7, "metadata_types must be a mapping"),
])
def test_the_shape_of_metadata_types_is_checked_when_sfenv_yml_is_read(tmp_path, entry, line, words):
    (tmp_path / "sfenv.yml").write_text(CONFIG + "metadata_types:\n" + entry)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "sfenv.yml")
    assert str(err.value).startswith(f"{tmp_path / 'sfenv.yml'}:{line}: {words}"), err.value


def test_the_example_in_sfenv_init_template_declares_a_valid_type(tmp_path):
    from sfenv.config.template import TEMPLATE

    text = TEMPLATE.format(project="acme").replace("# metadata_types:", "metadata_types:") \
        .replace("#   ", "  ")
    registry = registry_of(tmp_path, text)
    assert registry.component_of("botBlueprints/Helper.blueprint") == \
        ComponentId("BotBlueprint", "Helper")


def test_a_release_plan_packages_a_declared_type_under_its_own_name(tmp_path):
    """The packager asks the declared type's handler too (plan's registry passed in)."""
    from sfenv.services.train.train import plan

    (tmp_path / "sfenv.yml").write_text(DECLARED)
    config = load_config(tmp_path / "sfenv.yml")
    store = SnapshotStore(tmp_path)
    snap(store, "prod", {"botBlueprints/Helper.blueprint": blueprint("Hello")})
    snap(store, "qa", {"botBlueprints/Helper.blueprint": blueprint("Welcome"),
                       "botBlueprints/Greeter.blueprint": blueprint("Hi")})
    result = plan(config, store, "R1", source="qa", target="prod",
                  registry=project_registry(config))
    assert [i.component for i in result.adds] == ["BotBlueprint:Greeter"]
    assert [i.component for i in result.changes] == ["BotBlueprint:Helper"]
    assert result.files == 3 and not result.dependency_problems  # two blueprints, package.xml


def test_a_projects_diff_is_cached_on_disk_under_its_overlays(tmp_path, monkeypatch):
    """The shipped registry's disk cache keeps its key; a project's registry gets its own (one
    per set of declarations), and any other registry none."""
    from sfenv.core.compare import diff as diff_module

    registry = registry_of(tmp_path, DECLARED)
    assert default_registry().cache_tag == "" and registry.cache_tag.startswith("+overlays:")
    other = registry_of(tmp_path, DECLARED.replace("suffix: blueprint", "suffix: bp"))
    assert other.cache_tag != registry.cache_tag

    store = SnapshotStore(tmp_path / "repo")
    a = snap(store, "prod", {"botBlueprints/Helper.blueprint": blueprint("Hello")})
    b = snap(store, "qa", {"botBlueprints/Helper.blueprint": blueprint("Welcome")})
    first = diff_commits(store, a, b, registry=registry)

    def no_compute(*args, **kwargs):
        raise AssertionError("computed again: the disk cache was not used")

    monkeypatch.setattr(diff_module, "_compute", no_compute)
    again = diff_commits(SnapshotStore(tmp_path / "repo"), a, b, registry=registry)
    assert [str(c.component) for c in again.changes] == [str(c.component) for c in first.changes]
    with pytest.raises(AssertionError, match="computed again"):  # other declarations: own entry
        diff_commits(SnapshotStore(tmp_path / "repo"), a, b, registry=other)
