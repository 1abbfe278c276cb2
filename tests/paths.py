"""Where tests find the checkout, their data, and the shared folder beside the checkout."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
SHARED = REPO.parent / "shared"
"""Exists only on the developers' machines; tests that need it skip without it."""
