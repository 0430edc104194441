"""CLI commands of this area (filled in by the area's owner)."""

COMMANDS: list = []
