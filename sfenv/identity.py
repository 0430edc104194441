"""Who is acting: one rule for every act sfenv records (promotions, rollbacks, ticks, notes).

`--by WHO` when given; else `$SFENV_USER` (set it once for a CI job or a shared account);
else git's `user.name` in the metadata repository; else the operating system's login name.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from pathlib import Path

IDENTITY_RULE = ("--by, else $SFENV_USER, else git's user.name in the metadata repository, "
                 "else the login name")


def acting_user(root: Path | None = None, by: str | None = None) -> str:
    """The name to record for an act (see the module docstring)."""
    if by and by.strip():
        return by.strip()
    configured = os.environ.get("SFENV_USER", "").strip()
    if configured:
        return configured
    try:
        name = subprocess.run(["git", "config", "user.name"], cwd=root or None,
                              capture_output=True, text=True, timeout=5,
                              check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
