"""What every browser test shares: where Debian's chromium is, and the marks that skip a test,
saying why, when it is absent (`make test-browser` installs it; CI does too)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs /usr/bin/chromium (apt-get install chromium; make test-browser)"),
]


def chromium(*args: str) -> subprocess.CompletedProcess:
    """Headless chromium with a throw-away profile and nothing fetched from the network."""
    profile = tempfile.mkdtemp(prefix="sfenv-chromium-")
    try:
        return subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--no-first-run",
             "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}", *args],
            capture_output=True, timeout=90, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
