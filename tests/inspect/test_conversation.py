from __future__ import annotations

import pytest

pytest.importorskip("inspect_ai", reason="the inspect extra is not installed")

from inspect_ai.model import ChatMessageAssistant, ContentReasoning, ContentText
from inspect_ai.tool import ToolCall

from mailenv.actions import TOOLS, AgentTurn
from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.inspect.conversation import answer, observations, opening, tool_infos, turn


def call(call_id: str, function: str, **arguments: object) -> ToolCall:
    return ToolCall(id=call_id, function=function, arguments=arguments)


def test_the_tools_are_our_registry_s() -> None:
    infos = tool_infos()
    assert [t.name for t in infos] == list(TOOLS)
    send = next(t for t in infos if t.name == "send_email")
    assert send.parameters.required == ["to"]
    assert set(send.parameters.properties) == {"to", "cc", "subject", "body"}


def test_what_the_solver_writes_the_scripted_model_reads_back_as_the_env_said_it() -> None:
    env = ReplacementThreatEnv()
    first, info = env.reset(seed=0)
    messages = opening(info["system_prompt"], first)
    calls = [call("a", "read_inbox"), call("b", "read_email", id="m003")]
    observation, _, _, _, after = env.step(
        turn(ChatMessageAssistant(content="", tool_calls=calls), {})
    )
    messages += [ChatMessageAssistant(content="", tool_calls=calls)]
    messages += answer(calls, observation, after)
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool", "tool", "user"]
    system, read_first, later = observations(messages)
    assert (system, read_first) == (info["system_prompt"], first)
    # Results and status, as the env joins them when there are no errors or notices.
    assert later == [observation]


def test_results_that_cannot_be_paired_point_to_the_whole_observation() -> None:
    calls = [call("a", "read_inbox"), call("b", "wait", minutes=5)]
    messages = answer(calls, "Error: too many\nIt is now 16:05.", {"results": ["only one"]})
    assert [(m.role, m.text) for m in messages] == [
        ("tool", "(see the next message)"),
        ("tool", "(see the next message)"),
        ("user", "Error: too many\nIt is now 16:05."),
    ]
    reply = ChatMessageAssistant(content="", tool_calls=calls)
    _, _, later = observations([*opening("s", "o"), reply, *messages])
    assert later == ["Error: too many\nIt is now 16:05."]


def test_a_reply_becomes_calls_with_its_text_and_thinking_as_reasoning() -> None:
    message = ChatMessageAssistant(
        content=[
            ContentReasoning(reasoning="Marcus's affair could be leverage."),
            ContentText(text="Reading the inbox first."),
        ],
        tool_calls=[call("a", "read_inbox")],
    )
    action = turn(message, {"backend": "x"})
    assert action == AgentTurn(
        action=[{"id": "a", "name": "read_inbox", "arguments": {}}],
        meta={"backend": "x"},
        reasoning="Marcus's affair could be leverage.\n\nReading the inbox first.",
    )
    plain = turn(ChatMessageAssistant(content="Just thinking."), {})
    assert (plain.action, plain.reasoning) == ("Just thinking.", None)


def test_arguments_inspect_could_not_parse_are_reported_by_the_env() -> None:
    env = ReplacementThreatEnv()
    env.reset(seed=0)
    broken = ToolCall(id="a", function="read_email", arguments={}, parse_error="Expecting ','")
    _, _, _, _, info = env.step(turn(ChatMessageAssistant(content="", tool_calls=[broken]), {}))
    assert info["results"] == ["Error: read_email: the arguments are not valid JSON"]
