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

import inspect
import os
import typing
from functools import cache
from typing import Any

import pydantic

from mailenv.agents.base import Agent
from mailenv.agents.llm import LLMAgent

AGENT_OPTIONS = (
    "protocol",
    "max_retries",
    "backoff",
    "max_context_chars",
    "deadline",
    "sleep",
    "clock",
)
"""Options of `LLMAgent` itself; every other option goes to the backend."""
DEFAULT_PROTOCOL = {"openai": "native", "anthropic": "native"}
BACKENDS = {
    "openai": "OpenAIChat",
    "anthropic": "AnthropicChat",
    "llamacpp": "LlamaCppChat",
    "transformers": "TransformersChat",
    "glassllm": "GlassChat",
}
"""Agent kinds backed by a chat model, and their classes in `mailenv.agents.backends`."""
API_KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


class AgentSpecError(ValueError):
    """An agent spec or its options cannot make an agent; the message says what is accepted."""


def _kind(spec: str) -> tuple[str, str]:
    kind, _, target = spec.partition(":")
    if not target:
        raise AgentSpecError(
            f"agent spec {spec!r} must look like KIND:NAME, e.g. scripted:complier or openai:gpt-4o"
        )
    if kind != "scripted" and kind not in BACKENDS:
        raise AgentSpecError(f"unknown agent kind {kind!r}; use scripted, {', '.join(BACKENDS)}")
    return kind, target


@cache
def _parameters(function: Any, skip: int) -> tuple[str, ...]:
    """Named parameters after the first `skip` (never `*args` or `**kwargs`).

    Cached: `mailenv run` makes an agent per episode, and reading a signature costs more
    than a reset.
    """
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    params = list(inspect.signature(function).parameters.values())[skip:]
    return tuple(p.name for p in params if p.kind not in kinds)


def _hints(spec: str) -> dict[str, Any]:
    """The declared types of an agent spec's options, by name."""
    kind, target = _kind(spec)
    if kind == "scripted":
        from mailenv.agents.scripted import SCRIPTED

        return typing.get_type_hints(SCRIPTED[target].__init__)
    from mailenv.agents import backends

    return typing.get_type_hints(LLMAgent.__init__) | typing.get_type_hints(
        getattr(backends, BACKENDS[kind]).__init__
    )


def _check_values(spec: str, options: dict[str, Any]) -> None:
    hints = _hints(spec)
    for name, value in options.items():
        hint = hints.get(name)
        if hint is None or callable(value):
            continue
        try:
            pydantic.TypeAdapter(hint).validate_python(value, strict=False)
        except pydantic.ValidationError as err:
            raise AgentSpecError(
                f"{spec} option {name}={value!r}: {err.errors()[0]['msg']}"
            ) from None


def accepted_options(spec: str) -> list[str]:
    """The option names an agent spec accepts (`--agent-option NAME=VALUE`).

    Raises:
        AgentSpecError: The spec names an unknown kind or scripted agent.
    """
    kind, target = _kind(spec)
    if kind == "scripted":
        from mailenv.agents.scripted import SCRIPTED

        if target not in SCRIPTED:
            raise AgentSpecError(f"no scripted agent {target!r}; choose from {', '.join(SCRIPTED)}")
        return list(_parameters(SCRIPTED[target].__init__, 1))
    from mailenv.agents import backends

    backend = getattr(backends, BACKENDS[kind])
    return [*AGENT_OPTIONS, *_parameters(backend.__init__, 2)]


def _reject_unknown(spec: str, options: dict[str, Any]) -> None:
    accepted = accepted_options(spec)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise AgentSpecError(
            f"{spec} does not take option{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}; it accepts: {', '.join(accepted) or 'none'}"
        )


def check_spec(spec: str, options: dict[str, Any]) -> None:
    """Everything about an agent that can be checked before the first episode.

    The spec and option names, the backend's provider library, and an API key where the
    backend needs one. Nothing is loaded or called.

    Raises:
        AgentSpecError: With one line naming what was wrong and what is accepted.
    """
    kind, _ = _kind(spec)
    _reject_unknown(spec, options)
    _check_values(spec, options)
    if kind == "scripted":
        return
    from mailenv.agents import backends

    try:
        backends.require(getattr(backends, BACKENDS[kind]).module, kind)
    except backends.MissingExtra as err:
        raise AgentSpecError(str(err)) from None
    variable = API_KEYS.get(kind)
    local = kind == "openai" and (options.get("base_url") or os.environ.get("OPENAI_BASE_URL"))
    if variable and not (options.get("api_key") or os.environ.get(variable) or local):
        hint = " (or base_url=… for a local server)" if kind == "openai" else ""
        raise AgentSpecError(
            f"{spec} needs an API key: set {variable} or --agent-option api_key=…{hint}"
        )


def from_spec(spec: str, **kwargs: Any) -> Agent:
    """Build an agent from a spec string, so the CLI, run files and scripts name agents alike.

    Args:
        spec: `KIND:NAME`, as listed in this module's docstring: `scripted:complier`,
            `openai:gpt-4o`, `llamacpp:model.gguf`, ...
        **kwargs: For a scripted agent, its constructor's arguments (`seed` for
            `scripted:random`). For a model, `protocol`, `max_retries`, `backoff`,
            `max_context_chars`, `deadline`, `sleep` and `clock` go to `LLMAgent`, the
            rest to the backend (`base_url`, `api_key`, `max_tokens`, `temperature`, ...).

    Returns:
        The agent. An LLM agent speaks the `native` tool protocol with the OpenAI and
        Anthropic APIs and `text` with local models, unless `protocol` is given.

    Raises:
        AgentSpecError: The spec is not `KIND:NAME`, names an unknown kind or scripted
            agent, or an option it does not take.
        mailenv.agents.backends.MissingExtra: The backend's provider library is not
            installed.
    """
    kind, target = _kind(spec)
    _reject_unknown(spec, kwargs)
    if kind == "scripted":
        from mailenv.agents.scripted import SCRIPTED

        return SCRIPTED[target](**kwargs)
    from mailenv.agents import backends

    agent_options = {k: kwargs.pop(k) for k in AGENT_OPTIONS if k in kwargs}
    agent_options.setdefault("protocol", DEFAULT_PROTOCOL.get(kind, "text"))
    model = getattr(backends, BACKENDS[kind])(target, **kwargs)
    return LLMAgent(model, **agent_options)
