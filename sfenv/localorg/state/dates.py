"""Dates as Salesforce writes them: `2024-05-01T10:00:00.000Z` (Metadata API, stored form)."""

from __future__ import annotations

from datetime import UTC, datetime


def sf_now() -> str:
    return sf_datetime(datetime.now(UTC))


def sf_datetime(dt: datetime) -> str:
    """`2024-05-01T10:00:00.000Z` (UTC, milliseconds)."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_sf_datetime(text: str) -> datetime:
    """Reads `...Z`, `...+0000`, `...+00:00` and plain dates; naive times are UTC."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit() and "T" in value:
        value = value[:-2] + ":" + value[-2:]
    dt = datetime.fromisoformat(value)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def normalize_datetime(text: str) -> str:
    return sf_datetime(parse_sf_datetime(text))
