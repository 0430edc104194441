"""Loading the catalogue: the shipped one loads from the installed package; broken rules fail
at load time with a message naming the rule and its file."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from sfenv.core.checklist import load_catalogue
from sfenv.errors import ChecklistError

SHIPPED = Path(str(resources.files("sfenv.checklists")))

GOOD_RULE = """
rules:
  - id: sample
    when: {type: Role, change: added, condition: "new.name"}
    phase: after
    severity: info
    title: "Role {{ name }}"
    template: sample.j2
"""


def make_catalogue(tmp_path: Path, yml: str, template: str = "Role {{ new.name }}\n") -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "rules.yml").write_text(yml)
    (tmp_path / "templates" / "sample.j2").write_text(template)
    return tmp_path


def test_shipped_catalogue_loads_from_the_installed_package():
    cat = load_catalogue()
    ids = {r.id for r in cat.rules}
    assert {"owd", "role-new", "role-moved", "role-deleted", "group-members", "queue-members",
            "profile-revoke", "manual", "audit"} <= ids
    assert "divisions" in {s.casefold() for s in cat.audit_sections}


def test_catalogue_loads_from_a_folder_copy(tmp_path):
    # a folder is loaded with every check, names included: this is where the shipped
    # catalogue's names are checked (commands load it without that check)
    shutil.copytree(SHIPPED, tmp_path / "c", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    assert len(load_catalogue(tmp_path / "c").rules) == len(load_catalogue().rules)


def test_good_custom_rule_loads(tmp_path):
    cat = load_catalogue(make_catalogue(tmp_path, GOOD_RULE))
    assert [r.id for r in cat.rules] == ["sample"]


@pytest.mark.parametrize("yml, template, message", [
    (GOOD_RULE.replace('"new.name"', '"new.name =="'), None, "rule sample: condition does not compile"),
    (GOOD_RULE.replace('"new.name"', '"mystery.name"'), None, "rule sample: condition uses undefined variable(s) mystery"),
    (GOOD_RULE, "{% if new.name %}unclosed\n", "rule sample: template sample.j2 has a syntax error"),
    (GOOD_RULE, "{{ nobody_knows }}\n", "rule sample: template sample.j2 uses undefined variable(s) nobody_knows"),
    (GOOD_RULE.replace('"Role {{ name }}"', '"Role {{ name"'), None, "rule sample: title has a template error"),
    (GOOD_RULE.replace("severity: info", "severity: urgent"), None, "rule sample: severity must be one of"),
    (GOOD_RULE.replace("phase: after", "phase: during"), None, "rule sample: phase must be"),
    (GOOD_RULE.replace("    phase: after", "    phase: after\n    colour: red"), None, "rule sample: unknown keys ['colour']"),
    (GOOD_RULE.replace("change: added", "change: renamed"), None, "rule sample: when.change must be among"),
    (GOOD_RULE.replace("sample.j2", "missing.j2"), None, "rule sample: template 'missing.j2' not found"),
    (GOOD_RULE + GOOD_RULE.replace("rules:\n", ""), None, "rule sample: duplicate id"),
    ("rules:\n  - id: sample\n    when: [oops\n", None, "rules.yml:4: bad YAML"),
])
def test_broken_rule_fails_loading_naming_rule_and_file(tmp_path, yml, template, message):
    folder = make_catalogue(tmp_path, yml, template or "Role {{ new.name }}\n")
    with pytest.raises(ChecklistError) as err:
        load_catalogue(folder)
    assert message in str(err.value)
    assert "rules.yml" in str(err.value)


def test_missing_catalogue_folder_is_a_checklist_error(tmp_path):
    with pytest.raises(ChecklistError, match="not found"):
        load_catalogue(tmp_path / "nope")


def test_conditions_cannot_reach_python_internals(tmp_path):
    yml = GOOD_RULE.replace('"new.name"', '"new.__class__.__mro__"')
    from sfenv.core.checklist import ChecklistContext, build_checklist
    from sfenv.core.compare.model import Change
    from sfenv.core.metadata.ids import ComponentId

    cat = load_catalogue(make_catalogue(tmp_path, yml))
    change = Change(ComponentId("Role", "X"), "added",
                    new_xml=b'<Role xmlns="http://soap.sforce.com/2006/04/metadata"><name>X</name></Role>')
    # the sandbox refuses underscore attributes: the condition is simply false, never evaluated
    assert build_checklist([change], ChecklistContext("qa", "prod"), cat) == []
