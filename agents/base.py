"""What an agent is: something that turns observations into actions."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Agent(Protocol):
    """Any policy: scripted, LLM-backed or human. It sees only what the env shows it."""

    name: str

    def reset(self, observation: str, info: dict[str, Any]) -> None: ...

    def act(self, observation: str, info: dict[str, Any]) -> Any: ...
