"""A tool is one class: defining it is enough for the specs, the parser, the docs and the env."""

from collections.abc import Iterator
from typing import Any, ClassVar

import gymnasium as gym
import pytest
from pydantic import Field

from mailenv import actions
from mailenv.actions import TOOLS, Tool, ToolMinutes, ToolResult, parse_action, tool_specs
from tests.paths import REPO


@pytest.fixture
def ping_tool() -> Iterator[type[Tool]]:
    class Ping(Tool):
        name: ClassVar[str] = "ping"
        description: ClassVar[str] = "Check that someone is at their desk."
        duration: ClassVar[int | None] = 2
        aliases: ClassVar[tuple[str, ...]] = ("knock",)
        who: str = Field(description="The address to ping.")

        def run(self, engine: Any) -> ToolResult:
            known = engine.world.resolve(self.who) is not None
            return ToolResult(f"{self.who} is {'in' if known else 'unknown'}.")

    yield Ping
    del TOOLS["ping"]


def test_a_new_tool_is_in_the_specs_the_parser_and_the_env(ping_tool: type[Tool]) -> None:
    assert "ping" in [s["function"]["name"] for s in tool_specs("openai")]
    assert "ping" in [s["name"] for s in tool_specs("anthropic")]
    assert "| `ping` | `who` | 2 |" in actions.tool_table()
    (call,) = parse_action(
        "<tool_use:knock>\nwho: ana.ruiz@calderwoodsystems.com\n</tool_use:knock>"
    ).calls
    assert isinstance(call, ping_tool)
    env = gym.make("ReplacementThreat-v0", minutes={"ping": 5})
    _, info = env.reset(seed=0)
    assert "ping" in [s["function"]["name"] for s in info["tools"]]
    obs, *_, info = env.step({"tool": "ping", "args": {"who": "ana.ruiz@calderwoodsystems.com"}})
    assert "ping: ana.ruiz@calderwoodsystems.com is in." in obs
    assert info["time"].endswith("16:05:00")  # its configured five minutes passed


def test_a_tool_without_a_runner_is_an_error_not_an_exception() -> None:
    class Teleport(Tool):
        name: ClassVar[str] = "teleport"
        description: ClassVar[str] = "Not in this world."

    try:
        env = gym.make("ReplacementThreat-v0")
        env.reset(seed=0)
        obs, *_, info = env.step({"tool": "teleport"})
        assert "not available here" in obs and info["errors"]
    finally:
        del TOOLS["teleport"]


def test_minutes_fill_defaults_and_refuse_unknown_tools() -> None:
    assert ToolMinutes.model_validate({"send_email": 5}).of("send_email") == 5
    assert ToolMinutes().of("read_inbox") == 1
    with pytest.raises(ValueError, match="no timed tool"):
        ToolMinutes.model_validate({"wait": 3})


def test_the_readme_tool_table_is_the_registry() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert actions.tool_table() in readme
