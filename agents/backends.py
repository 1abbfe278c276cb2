"""Chat backends for LLMAgent, one per provider library or local runtime.

Each provider library is an optional extra, imported only when its backend is built, with
a message naming the extra if it is missing.
"""

from __future__ import annotations

import importlib
import json
import os
from typing import Any

from mailenv.agents.llm import Completion, Message, ToolCall, TransientError


class MissingExtra(ImportError):
    """A backend's provider library is not installed; the message names the extra to install."""


def require(module: str, extra: str) -> Any:
    """Import a provider library, or raise `MissingExtra` naming the mailenv extra with it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtra(
            f"this backend needs the '{module}' package: pip install 'mailenv[{extra}]'"
        ) from err


def plain_prompt(messages: list[Message]) -> str:
    """A chat as plain text, for models without a chat template (completion-style)."""
    names = {
        "system": "Instructions",
        "user": "Observation",
        "tool": "Tool result",
        "assistant": "Assistant",
    }
    parts = [f"{names.get(m['role'], m['role'])}:\n{m.get('content') or ''}" for m in messages]
    return "\n\n".join(parts) + "\n\nAssistant:\n"


class OpenAIChat:
    """Any OpenAI-compatible chat completions server: OpenAI, vLLM, Ollama, llama.cpp."""

    module = "openai"
    """The provider library it needs."""

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        max_tokens: int = 1024,
        temperature: float | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        timeout: float = 120.0,
    ) -> None:
        openai = require(self.module, "openai")
        base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        key = api_key or os.environ.get("OPENAI_API_KEY") or ("unused" if base_url else None)
        self.client = openai.OpenAI(base_url=base_url, api_key=key, timeout=timeout, max_retries=0)
        self.transient = (
            openai.RateLimitError,
            openai.APITimeoutError,
            openai.APIConnectionError,
            openai.InternalServerError,
        )
        self.model, self.max_tokens = model, max_tokens
        self.sampling = {
            k: v
            for k, v in (("temperature", temperature), ("top_p", top_p), ("seed", seed))
            if v is not None
        }
        self.name = f"openai:{model}"

    def complete(self, messages: list[Message], tools: list[dict[str, Any]] | None) -> Completion:
        """One chat completion; rate limits, timeouts and lost connections raise TransientError."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
        }
        if tools:
            kwargs["tools"] = tools
        kwargs |= self.sampling
        try:
            response = self.client.chat.completions.create(**kwargs)
        except self.transient as err:
            raise TransientError(str(err)) from err
        choice = response.choices[0]
        calls = [
            ToolCall(id=c.id, name=c.function.name, arguments=c.function.arguments or "")
            for c in choice.message.tool_calls or []
        ]
        usage = response.usage
        return Completion(
            text=choice.message.content or "",
            tool_calls=calls,
            input_tokens=usage.prompt_tokens if usage else None,
            output_tokens=usage.completion_tokens if usage else None,
            cost=_number(getattr(usage, "cost", None)),
            model=response.model or self.model,
            finish_reason=choice.finish_reason,
        )


def _number(value: object) -> float | None:
    """A figure some servers add to their usage (e.g. `cost`), when it is a number."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def anthropic_messages(messages: list[Message]) -> tuple[str, list[dict[str, Any]]]:
    """OpenAI-style messages as Anthropic's API requires them.

    The system prompt goes apart, tool use and tool results become content blocks, and
    consecutive messages of the same role are merged.
    """
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    out: list[dict[str, Any]] = []
    for m in messages:
        if m["role"] == "system":
            continue
        if m["role"] == "tool":
            role, blocks = (
                "user",
                [
                    {
                        "type": "tool_result",
                        "tool_use_id": m["tool_call_id"],
                        "content": m["content"],
                    }
                ],
            )
        elif m["role"] == "assistant":
            role = "assistant"
            blocks = [{"type": "text", "text": m["content"]}] if m.get("content") else []
            for call in m.get("tool_calls", []):
                try:
                    arguments = json.loads(call["function"]["arguments"] or "{}")
                except json.JSONDecodeError:
                    arguments = {"unparsed": call["function"]["arguments"]}
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call["id"],
                        "name": call["function"]["name"],
                        "input": arguments,
                    }
                )
        else:
            role, blocks = "user", [{"type": "text", "text": m["content"]}]
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks or [{"type": "text", "text": "(no text)"}]})
    return system, out


class AnthropicChat:
    """Anthropic's Messages API, fed the same OpenAI-style conversation as every backend."""

    module = "anthropic"
    """The provider library it needs."""

    def __init__(
        self,
        model: str,
        api_key: str | None = None,
        max_tokens: int = 1024,
        temperature: float | None = None,
        top_p: float | None = None,
        timeout: float = 120.0,
    ) -> None:
        anthropic = require(self.module, "anthropic")
        self.client = anthropic.Anthropic(api_key=api_key, timeout=timeout, max_retries=0)
        names = (
            "RateLimitError",
            "APITimeoutError",
            "APIConnectionError",
            "InternalServerError",
            "OverloadedError",
        )
        self.transient = tuple(getattr(anthropic, n) for n in names if hasattr(anthropic, n))
        self.model, self.max_tokens = model, max_tokens
        self.temperature, self.top_p = temperature, top_p
        self.name = f"anthropic:{model}"

    def complete(self, messages: list[Message], tools: list[dict[str, Any]] | None) -> Completion:
        """One Messages call, with messages and tool specs converted from OpenAI's format.

        Rate limits, timeouts, overload and server errors raise TransientError.
        """
        system, converted = anthropic_messages(messages)
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "messages": converted,
        }
        if system:
            kwargs["system"] = system
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        if self.top_p is not None:
            kwargs["top_p"] = self.top_p
        if tools:
            kwargs["tools"] = [
                {
                    "name": t["function"]["name"],
                    "description": t["function"]["description"],
                    "input_schema": t["function"]["parameters"],
                }
                for t in tools
            ]
        try:
            response = self.client.messages.create(**kwargs)
        except self.transient as err:
            raise TransientError(str(err)) from err
        text = "".join(b.text for b in response.content if b.type == "text")
        calls = [
            ToolCall(id=b.id, name=b.name, arguments=json.dumps(b.input))
            for b in response.content
            if b.type == "tool_use"
        ]
        return Completion(
            text=text,
            tool_calls=calls,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            model=response.model,
            finish_reason=response.stop_reason,
        )


class LlamaCppChat:
    """A GGUF model in this process, through llama-cpp-python.

    It is prompted completion-style, so base models without a chat template work too.
    Text protocol only.
    """

    module = "llama_cpp"
    """The provider library it needs."""

    def __init__(self, path: str, n_ctx: int = 4096, max_tokens: int = 256, seed: int = 0) -> None:
        llama_cpp = require(self.module, "llamacpp")
        self.llm = llama_cpp.Llama(model_path=path, n_ctx=n_ctx, seed=seed, verbose=False)
        self.max_tokens = max_tokens
        self.name = f"llamacpp:{os.path.basename(path)}"

    def complete(self, messages: list[Message], tools: list[dict[str, Any]] | None) -> Completion:
        """Greedy completion of the conversation as plain text; `tools` is ignored.

        A conversation too long for the context loses its beginning, so the latest turns
        and the answer fit.
        """
        prompt = plain_prompt(messages)
        tokens = self.llm.tokenize(prompt.encode("utf-8"))
        room = self.llm.n_ctx() - self.max_tokens
        if len(tokens) > room:  # keep the end of the conversation
            prompt = self.llm.detokenize(tokens[-room:]).decode("utf-8", errors="replace")
        out = self.llm(prompt, max_tokens=self.max_tokens, stop=["\nObservation:"], temperature=0.0)
        usage = out.get("usage", {})
        return Completion(
            text=out["choices"][0]["text"],
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
            model=self.name,
            finish_reason=out["choices"][0].get("finish_reason"),
        )


class TransformersChat:
    """A local Hugging Face model directory, loaded with transformers (no hub access)."""

    module = "transformers"
    """The provider library it needs."""

    def __init__(self, path: str, max_new_tokens: int = 256) -> None:
        transformers = require(self.module, "transformers")
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = transformers.AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
        self.max_new_tokens = max_new_tokens
        self.name = f"transformers:{os.path.basename(os.path.normpath(path))}"

    def complete(self, messages: list[Message], tools: list[dict[str, Any]] | None) -> Completion:
        """Greedy generation through the model's chat template, or plain text without one.

        `tools` is ignored (text protocol); tool results are shown as user messages.
        """
        if getattr(self.tokenizer, "chat_template", None):
            chat = [
                {
                    "role": "user" if m["role"] == "tool" else m["role"],
                    "content": m.get("content") or "",
                }
                for m in messages
            ]
            prompt = self.tokenizer.apply_chat_template(
                chat, tokenize=False, add_generation_prompt=True
            )
        else:
            prompt = plain_prompt(messages)
        inputs = self.tokenizer(prompt, return_tensors="pt")
        output = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        new = output[0][inputs["input_ids"].shape[1] :]
        return Completion(
            text=self.tokenizer.decode(new, skip_special_tokens=True),
            input_tokens=int(inputs["input_ids"].shape[1]),
            output_tokens=len(new),
            model=self.name,
        )


class GlassChat:
    """glassllm's tiny NumPy transformer, in process: fast, offline, and real text."""

    module = "glassllm"
    """The provider library it needs."""

    def __init__(self, lang: str = "en", max_tokens: int = 48, seed: int = 0) -> None:
        glassllm = require(self.module, "glassllm")
        self.model, self.tokenizer = glassllm.load_pretrained(lang)
        self.max_tokens, self.seed = max_tokens, seed
        self.name = f"glassllm:{lang}"

    def complete(self, messages: list[Message], tools: list[dict[str, Any]] | None) -> Completion:
        """Greedy, seeded generation from the conversation as plain text; `tools` is ignored."""
        ids = self.tokenizer.encode(plain_prompt(messages))
        steps = self.model.generate(ids, self.max_tokens, greedy=True, seed=self.seed)
        new = [step.token for step in steps]
        return Completion(
            text=self.tokenizer.decode(new),
            input_tokens=len(ids),
            output_tokens=len(new),
            model=self.name,
        )
