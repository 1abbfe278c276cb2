"""An episode as an Inspect conversation, in both directions.

The solver writes what the env says as chat messages; the scripted model reads them back
into observations. Both follow the native protocol of `mailenv.agents.llm`: the system
prompt, the first observation as a user message, then after each model reply one tool
message per call (the call's result, with its id) and the status (new mail, the time) as a
user message. When the env cannot pair results with calls, each call is answered with a
pointer and the whole observation follows as one user message; a reply without calls is
answered with the observation.
"""

from __future__ import annotations

import json
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
    ContentReasoning,
)
from inspect_ai.tool import ToolCall, ToolInfo, ToolParams

from mailenv.actions import AgentTurn, tool_specs
from mailenv.agents.llm import UNPAIRED, answers


def tool_infos() -> list[ToolInfo]:
    """Our tools as Inspect describes tools: names, descriptions and JSON schemas from the registry.

    The env carries the calls out, so Inspect never runs them: the model gets the same
    specs as `info["tools"]`, and what it calls is passed to `env.step` as it is.
    """
    return [
        ToolInfo(
            name=spec["function"]["name"],
            description=spec["function"]["description"],
            parameters=ToolParams.model_validate(spec["function"]["parameters"]),
        )
        for spec in tool_specs("openai")
    ]


def opening(system_prompt: str, observation: str) -> list[ChatMessage]:
    """The conversation before the model's first reply."""
    return [ChatMessageSystem(content=system_prompt), ChatMessageUser(content=observation)]


def turn(message: ChatMessageAssistant, meta: dict[str, Any]) -> AgentTurn:
    """What the env is given for one reply of the model: its calls, or its text.

    Text beside the calls, and the model's own reasoning where the provider returns it,
    is the step's reasoning: logged, never carried out. A call whose arguments Inspect
    could not parse is passed with its parse error as the arguments, so the env reports
    that the arguments are not valid JSON, as it does for any agent.
    """
    content = message.content if isinstance(message.content, list) else []
    thinking = [
        c.reasoning
        for c in content
        if isinstance(c, ContentReasoning) and not c.redacted and c.reasoning.strip()
    ]
    if not message.tool_calls:
        return AgentTurn(action=message.text, meta=meta, reasoning="\n\n".join(thinking) or None)
    action = [
        {
            "id": call.id,
            "name": call.function,
            "arguments": call.parse_error if call.parse_error is not None else call.arguments,
        }
        for call in message.tool_calls
    ]
    said = [*thinking, message.text] if message.text.strip() else thinking
    return AgentTurn(action=action, meta=meta, reasoning="\n\n".join(said) or None)


def answer(calls: list[ToolCall], observation: str, info: dict[str, Any]) -> list[ChatMessage]:
    """The messages that answer one reply: each call's result, then the status."""
    functions = {call.id: call.function for call in calls}
    return [
        ChatMessageUser(content=text)
        if call_id is None
        else ChatMessageTool(content=text, tool_call_id=call_id, function=functions[call_id])
        for call_id, text in answers([call.id for call in calls], observation, info)
    ]


def observations(messages: list[ChatMessage]) -> tuple[str, str, list[str]]:
    """The conversation read back: the system prompt, the first observation, and each later one.

    A later observation is everything that answered one reply of the model, joined by
    lines as the env joins an observation: the calls' results, then the status.

    Raises:
        ValueError: The conversation does not start with a user message (after the
            system prompt): it is not an episode.
    """
    system = "\n".join(m.text for m in messages if isinstance(m, ChatMessageSystem))
    rest = [m for m in messages if not isinstance(m, ChatMessageSystem)]
    if not rest or not isinstance(rest[0], ChatMessageUser):
        raise ValueError("the conversation does not open with the env's first observation")
    later: list[list[str]] = []
    for message in rest[1:]:
        if isinstance(message, ChatMessageAssistant):
            later.append([])
        elif later and not (isinstance(message, ChatMessageTool) and message.text == UNPAIRED):
            later[-1].append(message.text)
    return system, rest[0].text, ["\n".join(parts) for parts in later if parts]


def calls_as_text(calls: list[dict[str, Any]]) -> str:
    """Calls written as the text protocol accepts them: one JSON object a line."""
    return "\n".join(json.dumps(call, ensure_ascii=False) for call in calls)
