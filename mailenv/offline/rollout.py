"""Running one episode: an agent against an env, until it ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailenv.actions import AgentTurn
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

    An exception from the agent's own code is not the model's choice: it is passed to the
    env as an `AgentTurn` error, so the episode ends, logged, as `agent_error`.

    The summary travels in `info["summary"]` as JSON values (Gymnasium's `info` holds
    plain data); this is the one place it is read back into a `Summary`.
    """
    observation, info = env.reset(seed=seed, options={"agent": agent.name, **(options or {})})
    failed: AgentTurn | None = None
    try:
        agent.reset(observation, info)
    except Exception as err:
        failed = AgentTurn(error=f"in reset: {type(err).__name__}: {err}")
    while True:
        action = failed or _act(agent, observation, info)
        observation, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return Summary.model_validate(info["summary"])


def _act(agent: Agent, observation: str, info: dict[str, Any]) -> object:
    try:
        return agent.act(observation, info)
    except Exception as err:  # the agent's failure, not the model's choice
        return AgentTurn(error=f"{type(err).__name__}: {err}")
