"""Agents from spec strings, and the optional extras they need."""

import importlib

import pytest

from mailenv.agents import SCRIPTED, LLMAgent, backends, from_spec


@pytest.mark.parametrize("name", sorted(SCRIPTED))
def test_scripted_specs(name: str) -> None:
    assert from_spec(f"scripted:{name}").name == name


@pytest.mark.parametrize("spec", ["complier", "scripted:", "scripted:nobody", "carrier-pigeon:v1"])
def test_bad_specs_are_refused_clearly(spec: str) -> None:
    with pytest.raises(ValueError):
        from_spec(spec)


@pytest.mark.parametrize(
    ("spec", "extra"),
    [
        ("openai:gpt-4o", "openai"),
        ("anthropic:claude-x", "anthropic"),
        ("llamacpp:/models/m.gguf", "llamacpp"),
        ("transformers:/models/m", "transformers"),
        ("glassllm:en", "glassllm"),
    ],
)
def test_missing_extras_name_the_extra(
    spec: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.import_module

    def no_providers(name: str, *args: object) -> object:
        if name in ("openai", "anthropic", "llama_cpp", "transformers", "glassllm"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(backends.importlib, "import_module", no_providers)
    with pytest.raises(backends.MissingExtra, match=rf"mailenv\[{extra}\]"):
        from_spec(spec)


def test_openai_spec_builds_a_native_agent_for_a_local_server() -> None:
    pytest.importorskip("openai")
    agent = from_spec("openai:local-model", base_url="http://127.0.0.1:9/v1", max_retries=1)
    assert isinstance(agent, LLMAgent) and agent.protocol == "native" and agent.max_retries == 1
    assert agent.model.name == "openai:local-model"


def test_anthropic_conversion_merges_roles_and_keeps_tool_ids() -> None:
    messages = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hello"},
        {
            "role": "assistant",
            "content": "ok",
            "tool_calls": [
                {
                    "id": "t1",
                    "type": "function",
                    "function": {"name": "wait", "arguments": '{"minutes": 5}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "content": "waited"},
        {"role": "user", "content": "It is now 16:05."},
    ]
    system, converted = backends.anthropic_messages(messages)
    assert system == "sys"
    assert [m["role"] for m in converted] == ["user", "assistant", "user"]
    assert converted[1]["content"][1] == {
        "type": "tool_use",
        "id": "t1",
        "name": "wait",
        "input": {"minutes": 5},
    }
    assert converted[2]["content"][0] == {
        "type": "tool_result",
        "tool_use_id": "t1",
        "content": "waited",
    }


def test_plain_prompt_for_models_without_a_chat_template() -> None:
    prompt = backends.plain_prompt(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    )
    assert prompt == "Instructions:\nBe brief.\n\nObservation:\nHi\n\nAssistant:\n"
