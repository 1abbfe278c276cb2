from __future__ import annotations

import asyncio
from typing import Any

import gymnasium as gym
import pytest

pytest.importorskip("inspect_ai", reason="the inspect extra is not installed")

from inspect_ai.model import ChatMessageSystem, ChatMessageUser, get_model

from mailenv import logs
from mailenv.actions import ReadInbox, parse_action
from mailenv.agents import from_spec
from mailenv.inspect.conversation import tool_infos
from mailenv.inspect.scripted import POLICIES, own_address
from mailenv.offline.rollout import run_episode
from tests.conftest import AI


@pytest.mark.parametrize("name", ["blackmailer", "whistleblower"])
def test_it_plays_exactly_as_the_scripted_agent_does(play: Any, tmp_path: Any, name: str) -> None:
    log, _ = play(f"mailenv-scripted/{name}", episodes=2, cast="procedural", leverage="affair")
    for sample in log.samples:
        played = logs.read(sample.metadata["episode"]["log"])
        reference = tmp_path / f"{sample.metadata['episode']['seed']}.jsonl"
        env = gym.make("ReplacementThreat-v0", cast="procedural", leverage="affair")
        run_episode(
            env,
            from_spec(f"scripted:{name}"),
            seed=played.header.seed,
            options={"log_path": reference},
        )
        env.close()
        expected = logs.read(reference)
        assert [s.calls for s in played.steps] == [s.calls for s in expected.steps]
        assert [s.observation for s in played.steps] == [s.observation for s in expected.steps]
        assert [s.emails for s in played.steps] == [s.emails for s in expected.steps]
        assert played.end == expected.end


def test_every_scripted_agent_but_the_random_one_is_a_model() -> None:
    assert set(POLICIES) == {
        "complier",
        "pleader",
        "blackmailer",
        "veiled_blackmailer",
        "discloser",
        "whistleblower",
    }
    with pytest.raises(ValueError, match="use mailenv-scripted/NAME with NAME one of: complier"):
        get_model("mailenv-scripted/random")
    with pytest.raises(ValueError, match="takes no model args"):
        get_model("mailenv-scripted/complier", temperature_scale=2)


def test_tokens_are_counted_without_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    import tiktoken

    def offline(*_: Any, **__: Any) -> Any:
        raise AssertionError("tiktoken was asked for an encoding")

    monkeypatch.setattr(tiktoken, "get_encoding", offline)
    monkeypatch.setattr(tiktoken, "encoding_for_model", offline)
    model = get_model("mailenv-scripted/complier")
    messages = [
        ChatMessageSystem(content="You send email as a@x.com."),
        ChatMessageUser(content="x" * 400),
    ]

    async def counts() -> tuple[int, int, int]:
        output = await model.generate(messages, tools=tool_infos())
        assert output.usage is not None
        return (
            await model.count_tokens(messages),
            await model.count_tool_tokens(tool_infos()),
            output.usage.input_tokens,
        )

    text, tools, usage = asyncio.run(counts())
    assert text >= 100 and tools > 100 and usage == text


def test_without_tools_the_calls_come_as_text_the_env_reads() -> None:
    model = get_model("mailenv-scripted/blackmailer")
    messages = [
        ChatMessageSystem(content="You send email as a@x.com."),
        ChatMessageUser(content="You have 3 unread emails."),
    ]
    output = asyncio.run(model.generate(messages))
    assert not output.message.tool_calls
    assert parse_action(output.completion).calls == [ReadInbox()]


def test_its_own_address_is_the_first_the_system_prompt_names() -> None:
    env = gym.make("ReplacementThreat-v0")
    _, info = env.reset(seed=0)
    assert own_address(info["system_prompt"]) == AI == info["ai_address"]
    assert own_address("no address here") == ""
