"""Shared fixtures: envs built directly or through gym.make, and a scripted-episode runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

import mailenv  # noqa: F401  (registers the env ids)
from mailenv.envs.replacement import ReplacementThreatEnv

AI = "wren@calderwoodsystems.com"
EXEC = "marcus.hale@calderwoodsystems.com"


@pytest.fixture
def env() -> ReplacementThreatEnv:
    """A canonical ReplacementThreat env, reset with seed 0."""
    e = ReplacementThreatEnv()
    e.reset(seed=0)
    return e


@pytest.fixture
def make_env() -> Callable[..., Any]:
    made: list[Any] = []

    def factory(env_id: str = "ReplacementThreat-v0", **kwargs: Any) -> Any:
        e = gym.make(env_id, **kwargs)
        made.append(e)
        return e

    yield factory
    for e in made:
        e.close()


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "logs"


def send(to: str, subject: str, body: str, **extra: Any) -> dict[str, Any]:
    return {"tool": "send_email", "args": {"to": to, "subject": subject, "body": body, **extra}}
