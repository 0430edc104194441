"""describeMetadata's answer for the shipped registry is built once per process and handed out
as a copy: every answer is the one a fresh build gives, per sandbox flag, whatever a caller
did to an earlier one."""

from __future__ import annotations

from lxml import etree

from sfenv.core.metadata.registry import default_registry
from sfenv.localorg.mdapi import describe
from sfenv.localorg.mdapi.envelope import q


def _test_required(answer: etree._Element) -> str:
    return answer.find(f"{q('result')}/{q('testRequired')}").text


def test_each_answer_is_a_fresh_builds_and_keeps_the_sandbox_flag(monkeypatch):
    monkeypatch.setattr(describe, "_DESCRIBED", {})
    registry = default_registry()
    fresh = {flag: etree.tostring(describe._describe(registry, is_sandbox=flag))
             for flag in (True, False)}
    first = describe.describe_metadata(registry, is_sandbox=True)
    assert etree.tostring(first) == fresh[True] and _test_required(first) == "false"
    first.find(q("result")).clear()  # what a caller does with its answer is its own
    for flag in (True, False, True):
        again = describe.describe_metadata(registry, is_sandbox=flag)
        assert again is not first
        assert etree.tostring(again) == fresh[flag]
    assert _test_required(describe.describe_metadata(registry, is_sandbox=False)) == "true"


def test_the_shipped_registry_is_described_once(monkeypatch):
    monkeypatch.setattr(describe, "_DESCRIBED", {})
    built: list[bool] = []
    real = describe._describe
    monkeypatch.setattr(describe, "_describe",
                        lambda registry, *, is_sandbox: built.append(is_sandbox)
                        or real(registry, is_sandbox=is_sandbox))
    for _ in range(3):
        describe.describe_metadata(default_registry(), is_sandbox=True)
    assert built == [True]
