"""Loading a page in headless Chromium, for the tests that check what a browser sees."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def dump_dom(page: Path) -> tuple[str, str]:
    """The DOM headless Chromium builds from `page`, and its stderr; skips without Chromium.

    With MAILENV_REQUIRE_BROWSER=1 (CI), a missing Chromium fails instead of skipping.
    """
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("MAILENV_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required here (MAILENV_REQUIRE_BROWSER=1)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0 and "<body" in result.stdout, result.stderr[-2000:]
    return result.stdout, result.stderr
