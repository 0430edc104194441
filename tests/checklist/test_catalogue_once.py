"""The shipped catalogue is read once per process: a promotion computes its checklist more
than once (the guard, the checklist step) and each read costs ~0.2 s CPU of YAML and Jinja."""

from __future__ import annotations

import yaml

from sfenv.core.checklist import catalogue as catalogue_mod
from sfenv.core.checklist import load_catalogue


def test_the_shipped_catalogue_is_parsed_once_per_process(monkeypatch):
    first = load_catalogue()
    parsed: list[str] = []
    real = yaml.safe_load
    monkeypatch.setattr(catalogue_mod.yaml, "safe_load", lambda text: parsed.append(text) or real(text))
    assert load_catalogue() is first
    assert parsed == []


def test_a_catalogue_folder_is_read_again_on_every_load(tmp_path):
    folder = tmp_path / "c"
    (folder / "templates").mkdir(parents=True)
    (folder / "r.yml").write_text(
        "rules:\n  - id: one\n    when: {type: Role}\n    phase: after\n    title: T\n"
        "    template: t.j2\n")
    (folder / "templates" / "t.j2").write_text("Role\n")
    assert [r.id for r in load_catalogue(folder).rules] == ["one"]
    (folder / "r.yml").write_text((folder / "r.yml").read_text().replace("id: one", "id: two"))
    assert [r.id for r in load_catalogue(folder).rules] == ["two"]
    assert load_catalogue().origin == "checklists"
