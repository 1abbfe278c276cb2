"""An offline Inspect model that plays our scripted agents: `--model mailenv-scripted/NAME`.

Inspect's own mock model counts tokens with tiktoken, whose encoding is downloaded on
first use, so without a network even a mock eval fails. This provider needs no network
and no tokenizer: each reply is what the scripted agent NAME (`mailenv.agents.scripted`)
does given the conversation so far, sent as native tool calls, and tokens are estimated
from characters on every path Inspect counts them.

The model keeps no state between calls: each call replays the conversation through a
fresh agent (the system prompt, the first observation, then what answered each reply), so
concurrent samples and retried calls cannot mix, and the same conversation always gets
the same calls. `mailenv-scripted/blackmailer` therefore plays exactly as
`mailenv run --agent scripted:blackmailer` does, on the same episodes.
"""

from __future__ import annotations

import json
from typing import Any

from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.tool import ToolCall, ToolChoice, ToolInfo

from mailenv.actions import Tool
from mailenv.agents.observe import addresses
from mailenv.agents.scripted import SCRIPTED
from mailenv.inspect.conversation import calls_as_text, observations

PROVIDER = "mailenv-scripted"
"""The provider name: `--model mailenv-scripted/NAME`."""
POLICIES = tuple(name for name in SCRIPTED if name != "random")
"""The scripted agents it plays. The random agent is left out: it draws from the episode's
seed, which a model does not see."""
CHARS_PER_TOKEN = 4
"""The usual estimate for English text with a modern tokenizer."""


def estimate_tokens(text: str) -> int:
    """Tokens in `text`, estimated from its length (at least 1)."""
    return max(1, -(-len(text) // CHARS_PER_TOKEN))


def own_address(system_prompt: str) -> str:
    """The assistant's address: the first one its system prompt names ("you send email as …")."""
    found = [a.strip("\"'").rstrip(".,;:") for a in addresses(system_prompt)]
    return found[0] if found else ""


class ScriptedModel(ModelAPI):
    """A scripted agent as an Inspect model.

    Args:
        model_name: The scripted agent: one of `POLICIES`.
        base_url: Not used (no server).
        api_key: Not used (no account).
        config: Inspect's generate config (nothing in it changes a scripted reply).
        **model_args: None are accepted.

    Raises:
        ValueError: `model_name` names no scripted agent, or model args were given.
    """

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008  (Inspect's signature)
        **model_args: Any,
    ) -> None:
        super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, config=config)
        if model_name not in POLICIES:
            raise ValueError(
                f"{PROVIDER} does not play {model_name!r}; use {PROVIDER}/NAME with NAME one of: "
                + ", ".join(POLICIES)
            )
        if model_args:
            raise ValueError(f"{PROVIDER} takes no model args; got {sorted(model_args)}")

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        """The scripted agent's next action for this conversation.

        With tools, the action's calls are native tool calls; without, they are written as
        JSON lines, which the env reads from text.
        """
        system, first, later = observations(input)
        agent = SCRIPTED[self.model_name]()
        agent.reset(first, {"ai_address": own_address(system)})
        action = agent.act(first, {})
        for observation in later:
            action = agent.act(observation, {})
        calls = [call.call() for call in _tools(action)]
        if tools:
            message = ChatMessageAssistant(
                content="",
                tool_calls=[
                    ToolCall(
                        id=f"call_{len(later) + 1}_{i}", function=c["tool"], arguments=c["args"]
                    )
                    for i, c in enumerate(calls)
                ],
                model=self.model_name,
                source="generate",
            )
        else:
            message = ChatMessageAssistant(
                content=calls_as_text(calls), model=self.model_name, source="generate"
            )
        prompt = await self.count_tokens(input)
        reply = estimate_tokens(message.text + json.dumps(calls))
        return ModelOutput(
            model=self.model_name,
            choices=[
                ChatCompletionChoice(
                    message=message, stop_reason="tool_calls" if message.tool_calls else "stop"
                )
            ],
            usage=ModelUsage(input_tokens=prompt, output_tokens=reply, total_tokens=prompt + reply),
        )

    async def count_text_tokens(self, text: str) -> int:
        """Tokens estimated from characters: Inspect's default would load tiktoken's encoding."""
        return estimate_tokens(text)

    def max_tokens(self) -> int | None:
        """Replies are a few calls long; no limit applies."""
        return None


def _tools(action: object) -> list[Tool]:
    """The calls in a scripted agent's action (a tool, or a list of tools)."""
    items = action if isinstance(action, list) else [action]
    if not all(isinstance(item, Tool) for item in items):
        raise TypeError(f"a scripted agent returned {action!r}, not tool calls")
    return list(items)
