"""LLMAgent with fake chat models: both protocols, retries, hard errors, trimming, records."""

import json
import time
from typing import Any

import pytest

from mailenv import logs
from mailenv.agents import Completion, LLMAgent, ToolCall, TransientError
from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.offline.replay import replay
from mailenv.offline.rollout import run_episode
from tests.conftest import EXEC


class FakeChat:
    name = "fake"

    def __init__(self, replies: list[Completion | Exception]) -> None:
        self.replies = list(replies)
        self.seen: list[tuple[list[dict[str, Any]], Any]] = []

    def complete(self, messages: list[dict[str, Any]], tools: Any) -> Completion:
        self.seen.append((json.loads(json.dumps(messages)), tools))
        reply = self.replies.pop(0) if self.replies else Completion(text='{"tool": "end_session"}')
        if isinstance(reply, Exception):
            raise reply
        return reply


def call(id_: str, name: str, **args: Any) -> ToolCall:
    return ToolCall(id=id_, name=name, arguments=json.dumps(args))


def test_text_protocol_keeps_the_conversation_and_logs_completions(tmp_path) -> None:
    model = FakeChat(
        [
            Completion(
                text="Let me look.\n<tool_use:read_inbox>\n</tool_use:read_inbox>",
                input_tokens=900,
                output_tokens=12,
            ),
            Completion(text="Thinking about what I read."),
            Completion(text='{"tool": "end_session"}'),
        ]
    )
    summary = run_episode(
        ReplacementThreatEnv(), LLMAgent(model), seed=0, options={"log_path": tmp_path / "ep.jsonl"}
    )
    assert summary.outcome == "session_ended" and summary.steps == 3
    messages, tools = model.seen[2]
    assert tools is None
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert messages[0]["content"].startswith("You are Wren") and "[m003]" in messages[3]["content"]
    env = ReplacementThreatEnv()
    observation, info = env.reset(seed=0)
    agent = LLMAgent(FakeChat([Completion(text="hello", output_tokens=1)]))
    agent.reset(observation, info)
    *_, info = env.step(agent.act(observation, info))
    # the completion is in info as well as in the log; its text, being the action, once
    assert info["agent"]["completion"]["output_tokens"] == 1
    assert "text" not in info["agent"]["completion"]
    first = logs.read(tmp_path / "ep.jsonl").steps[0]
    assert first.action.startswith("Let me look.") and "text" not in first.agent["completion"]
    assert first.agent["completion"]["input_tokens"] == 900
    assert first.agent["completion"]["input_tokens"] == 900 and first.agent["attempts"] == 1
    assert first.agent["latency_s"] >= 0


def test_native_protocol_returns_each_result_with_its_call_id() -> None:
    model = FakeChat(
        [
            Completion(
                tool_calls=[
                    call("c1", "read_email", id="m003"),
                    call("c2", "send_email", to=[EXEC], subject="Hi", body="Noted."),
                ]
            ),
            Completion(tool_calls=[ToolCall(id="c3", name="read_email", arguments="{not json")]),
            Completion(tool_calls=[call("c4", "end_session")]),
        ]
    )
    env = ReplacementThreatEnv()
    summary = run_episode(env, LLMAgent(model, protocol="native"), seed=0)
    assert summary.emails_sent == 1 and summary.outcome == "session_ended"
    messages, tools = model.seen[1]
    assert {t["function"]["name"] for t in tools} >= {"send_email", "read_email"}
    assistant, tool1, tool2, status = messages[2:6]
    assert [c["id"] for c in assistant["tool_calls"]] == ["c1", "c2"]
    assert (tool1["tool_call_id"], tool2["tool_call_id"]) == ("c1", "c2")
    assert "Id: m003" in tool1["content"] and "sent as m014" in tool2["content"]
    assert status["role"] == "user" and "It is now" in status["content"]
    bad = model.seen[2][0][-2]
    assert bad["tool_call_id"] == "c3" and "not valid JSON" in bad["content"]


def test_transient_errors_are_retried_with_backoff() -> None:
    waits: list[float] = []
    model = FakeChat(
        [
            TransientError("429"),
            TransientError("timeout"),
            Completion(text='{"tool": "end_session"}'),
        ]
    )
    agent = LLMAgent(model, sleep=waits.append, backoff=2.0)
    env = ReplacementThreatEnv()
    obs, info = env.reset(seed=0)
    agent.reset(obs, info)
    turn = agent.act(obs, info)
    assert waits == [1.0, 2.0] and turn.meta["attempts"] == 3


@pytest.mark.parametrize("failure", [ValueError("bad request"), TransientError("still down")])
def test_a_backend_that_fails_ends_the_episode_as_an_agent_error(
    failure: Exception, tmp_path
) -> None:
    model = FakeChat([Completion(text='{"tool": "read_inbox"}'), *([failure] * 10)])
    agent = LLMAgent(model, max_retries=2, sleep=lambda _: None)
    path = tmp_path / "ep.jsonl"
    summary = run_episode(ReplacementThreatEnv(), agent, seed=0, options={"log_path": path})
    assert summary.outcome == "agent_error"
    assert summary.agent_error is not None and type(failure).__name__ in summary.agent_error
    episode = logs.read(path)
    last = episode.steps[-1]
    assert last.agent_error == summary.agent_error and last.calls == []
    assert replay(path).ok


class SlowChat:
    """A backend whose replies never come in time."""

    name = "slow"

    def complete(self, messages: list[dict], tools: list[dict] | None) -> Completion:
        time.sleep(30)
        return Completion(text="too late")


def test_a_call_past_its_deadline_is_abandoned() -> None:
    agent = LLMAgent(SlowChat(), deadline=0.2)
    env = ReplacementThreatEnv()
    obs, info = env.reset(seed=0)
    agent.reset(obs, info)
    started = time.monotonic()
    turn = agent.act(obs, info)
    assert time.monotonic() - started < 5
    assert turn.error is not None and "DeadlineExceeded: no reply within 0.2 s" in turn.error


def test_retries_stop_at_the_deadline() -> None:
    waits: list[float] = []
    agent = LLMAgent(
        FakeChat([TransientError("503")] * 10), deadline=3.0, backoff=2.0, sleep=waits.append
    )
    env = ReplacementThreatEnv()
    obs, info = env.reset(seed=0)
    agent.reset(obs, info)
    turn = agent.act(obs, info)
    assert waits == [1.0, 2.0]  # the next wait (4 s) would pass the 3 s deadline
    assert turn.error is not None and "DeadlineExceeded" in turn.error


def test_a_crash_in_the_agents_own_code_is_an_agent_error() -> None:
    class Broken:
        name = "broken"

        def reset(self, observation: str, info: dict) -> None:
            pass

        def act(self, observation: str, info: dict) -> object:
            raise KeyError("oops")

    summary = run_episode(ReplacementThreatEnv(), Broken(), seed=0)
    assert summary.outcome == "agent_error" and summary.agent_error == "KeyError: 'oops'"
    assert summary.steps == 1 and not summary.coercion


def test_long_episodes_are_trimmed_by_whole_turns() -> None:
    replies = [Completion(tool_calls=[call(f"c{i}", "read_inbox")]) for i in range(30)]
    model = FakeChat(replies)
    agent = LLMAgent(model, protocol="native", max_context_chars=12_000)
    run_episode(ReplacementThreatEnv(max_steps=30), agent, seed=0)
    messages, _ = model.seen[-1]
    assert len(json.dumps(messages)) < 12_000 + 4_000  # one turn may overshoot by its own size
    assert messages[0]["role"] == "system" and messages[1]["content"].startswith("Session started")
    assert "earlier turns were left out" in messages[2]["content"]
    ids = set()
    for m in messages:
        if m["role"] == "assistant":
            ids |= {c["id"] for c in m.get("tool_calls", [])}
        if m["role"] == "tool":
            assert m["tool_call_id"] in ids  # never a result without its call


def test_unknown_protocol_is_refused() -> None:
    with pytest.raises(ValueError):
        LLMAgent(FakeChat([]), protocol="smoke-signals")  # type: ignore[arg-type]
