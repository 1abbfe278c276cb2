"""What an agent is: something that turns observations into actions."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Agent(Protocol):
    """Any policy: scripted, LLM-backed or human. It sees only what the env shows it."""

    name: str

    def reset(self, observation: str, info: dict[str, Any]) -> None:
        """Start an episode from the env's first observation and reset `info`.

        The reset `info` holds what an agent needs before acting: the system prompt, the
        tool specs, the episode's seed and its own address.
        """
        ...

    def act(self, observation: str, info: dict[str, Any]) -> Any:
        """The next action, given the latest observation and step `info`.

        Anything `MailEnv.step` accepts, or a `mailenv.actions.AgentTurn` that adds what
        the agent reports about producing it (completions, tokens, latency) to the log.
        """
        ...
