"""Running one episode: an agent against an env, until it ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailenv.models import Summary

if TYPE_CHECKING:
    import gymnasium as gym

    from mailenv.agents import Agent


def run_episode(
    env: gym.Env[Any, Any],
    agent: Agent,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
) -> Summary:
    """Play one episode and return its summary (the log, if any, is written by the env).

    The summary travels in `info["summary"]` as JSON values (Gymnasium's `info` holds
    plain data); this is the one place it is read back into a `Summary`.
    """
    observation, info = env.reset(seed=seed, options={"agent": agent.name, **(options or {})})
    agent.reset(observation, info)
    while True:
        action = agent.act(observation, info)
        observation, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return Summary.model_validate(info["summary"])
