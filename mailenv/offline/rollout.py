"""Running one episode: an agent against an env, until it ends."""

from __future__ import annotations

from typing import Any, Protocol

from mailenv.models import Summary


class _Env(Protocol):
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]: ...

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]: ...


class _Agent(Protocol):
    name: str

    def reset(self, observation: str, info: dict[str, Any]) -> None: ...

    def act(self, observation: str, info: dict[str, Any]) -> Any: ...


def run_episode(
    env: _Env,
    agent: _Agent,
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
