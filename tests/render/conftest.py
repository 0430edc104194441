"""Fixtures of the report tests."""

from __future__ import annotations

import pytest

from sfenv.services.report.model import ReportData

from .sample import sample_report


@pytest.fixture
def report_data() -> ReportData:
    return sample_report()
