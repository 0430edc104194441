"""The API versions the local org serves, for REST and the Metadata API alike: Salesforce
serves 31.0 (Summer '14; 21.0-30.0 were retired in Summer '25) up to the current release,
Winter '27 (68.0)."""

from __future__ import annotations

MIN_VERSION, MAX_VERSION = 31, 68


def supported(number: str | float) -> bool:
    """True for a served version: "62", "62.0" or 62.0 (whole numbers only)."""
    try:
        value = float(number)
    except (TypeError, ValueError):
        return False
    return value.is_integer() and MIN_VERSION <= value <= MAX_VERSION


def label(version: int) -> str:
    """62 -> "Winter '25" (three releases a year, Winter first)."""
    season = ("Winter", "Spring", "Summer")[(version - 62) % 3]
    return f"{season} '{25 + (version - 62) // 3:02d}"
