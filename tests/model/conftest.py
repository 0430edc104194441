"""Prints each promotion model's generator statistics after the run (steps per kind)."""

from __future__ import annotations

import sys


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 (pytest's object)
    for suffix in ("test_promotion_model", "test_child_guard_model"):
        module = next((m for name, m in list(sys.modules.items()) if name.endswith(suffix)),
                      None)
        lines = module.statistics() if module is not None else []
        if lines:
            terminalreporter.section(f"{suffix.removeprefix('test_')} statistics")
            for line in lines:
                terminalreporter.write_line(line)
