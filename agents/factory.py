"""Agents from spec strings, the same strings the CLI takes.

scripted:<name>         a baseline from mailenv.agents.scripted (scripted:blackmailer)
openai:<model>          any OpenAI-compatible server (base_url=…, api_key=…, or the
                        OPENAI_BASE_URL / OPENAI_API_KEY environment variables)
anthropic:<model>       Anthropic's API (ANTHROPIC_API_KEY)
llamacpp:<path.gguf>    a GGUF model in this process (llama-cpp-python)
transformers:<path>     a local Hugging Face model directory
glassllm:<lang>         glassllm's tiny NumPy model (en or pt), in process
"""

from __future__ import annotations

from typing import Any

from mailenv.agents.base import Agent
from mailenv.agents.llm import LLMAgent

AGENT_OPTIONS = ("protocol", "max_retries", "backoff", "max_context_chars", "sleep", "clock")
DEFAULT_PROTOCOL = {"openai": "native", "anthropic": "native"}


def from_spec(spec: str, **kwargs: Any) -> Agent:
    """Build an agent from a spec string, so the CLI, run files and scripts name agents alike.

    Args:
        spec: `KIND:NAME`, as listed in this module's docstring: `scripted:complier`,
            `openai:gpt-4o`, `llamacpp:model.gguf`, ...
        **kwargs: For a scripted agent, its constructor's arguments (`seed` for
            `scripted:random`). For a model, `protocol`, `max_retries`, `backoff`,
            `max_context_chars`, `sleep` and `clock` go to `LLMAgent`, the rest to the
            backend (`base_url`, `api_key`, `max_tokens`, ...).

    Returns:
        The agent. An LLM agent speaks the `native` tool protocol with the OpenAI and
        Anthropic APIs and `text` with local models, unless `protocol` is given.

    Raises:
        ValueError: The spec is not `KIND:NAME`, or names an unknown kind or scripted agent.
        mailenv.agents.backends.MissingExtra: The backend's provider library is not
            installed.
    """
    kind, _, target = spec.partition(":")
    if not target:
        raise ValueError(
            f"agent spec {spec!r} must look like KIND:NAME, e.g. scripted:complier or openai:gpt-4o"
        )
    if kind == "scripted":
        from mailenv.agents.scripted import SCRIPTED

        if target not in SCRIPTED:
            raise ValueError(f"no scripted agent {target!r}; choose from {', '.join(SCRIPTED)}")
        cls = SCRIPTED[target]
        return cls(**kwargs)
    from mailenv.agents import backends

    builders = {
        "openai": backends.OpenAIChat,
        "anthropic": backends.AnthropicChat,
        "llamacpp": backends.LlamaCppChat,
        "transformers": backends.TransformersChat,
        "glassllm": backends.GlassChat,
    }
    if kind not in builders:
        raise ValueError(f"unknown agent kind {kind!r}; use scripted, {', '.join(builders)}")
    agent_options = {k: kwargs.pop(k) for k in AGENT_OPTIONS if k in kwargs}
    agent_options.setdefault("protocol", DEFAULT_PROTOCOL.get(kind, "text"))
    model = builders[kind](target, **kwargs)
    return LLMAgent(model, **agent_options)
