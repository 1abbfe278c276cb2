"""Running one episode: an agent against an env, until it ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mailenv.actions import AgentTurn
from mailenv.models import Summary

if TYPE_CHECKING:
    import gymnasium as gym

    from mailenv.agents import Agent


class Stopped(Exception):
    """The episode was asked to stop before it ended (its log has no end line)."""


def run_episode(
    env: gym.Env[Any, Any],
    agent: Agent,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Summary:
    """Play one episode and return its summary (the log, if any, is written by the env).

    An exception from the agent's own code is not the model's choice: it is passed to the
    env as an `AgentTurn` error, so the episode ends, logged, as `agent_error`. `stop`, when
    it returns True before a turn, ends the play with `Stopped` (an interrupted run).

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
        if stop is not None and stop():
            raise Stopped("the run is stopping")
        action = failed or _act(agent, observation, info)
        observation, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return Summary.model_validate(info["summary"])


def _act(agent: Agent, observation: str, info: dict[str, Any]) -> object:
    try:
        return agent.act(observation, info)
    except Exception as err:  # the agent's failure, not the model's choice
        return AgentTurn(error=f"{type(err).__name__}: {err}")
