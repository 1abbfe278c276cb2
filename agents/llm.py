"""LLMAgent: drives any chat model through the env, and records everything it did.

The conversation is the env's system prompt, then observations as user messages (or
tool results), and the model's replies as assistant messages. Two tool protocols:

- `native`: tool specs go to the API; the model's tool calls are passed to the env as
  they are, and each call's result returns as a tool message with the call's id.
- `text`: the model writes tool calls in its reply (as the system prompt explains) and
  the env parses them; for models without function calling.

Every completion, its token counts and latency go into the step's log record; its text
is logged once — as the step's action (text protocol) or, beside native tool calls, as
the step's reasoning. Transient
backend errors are retried with exponential backoff. Each model call, retries included,
has a wall-clock deadline (a server that trickles a byte a second must not hang a run).
When retries or the deadline run out, or the backend fails otherwise, the agent cannot
act: its turn carries the error, and the env ends the episode as `agent_error` (not data
about the model; analyses leave it out and a resumed run redoes it).

Context is bounded by `max_context_chars`: the system prompt and the first observation
always stay; then as many of the most recent whole turns as fit; in between, one note
says how many turns were left out. A turn is the assistant's reply with the tool results
and observation that answer it, so tool messages never lose their call.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

from pydantic import Field

from mailenv.actions import AgentTurn
from mailenv.models import Record

Message = dict[str, Any]


class ToolCall(Record):
    """One tool call as the model made it; its id pairs it with its result (native protocol)."""

    id: str
    name: str
    arguments: str
    """JSON text, as the model wrote it (it may be invalid: the env reports that)."""


class Completion(Record):
    """One reply of a chat backend: text, tool calls and usage, all kept in the step's log."""

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: float | None = None
    """What the call cost, where the server reports it (some OpenAI-compatible gateways do)."""
    model: str = ""
    finish_reason: str | None = None


class ChatModel(Protocol):
    """A chat backend. `tools` is None for the text protocol."""

    name: str

    def complete(self, messages: list[Message], tools: list[dict[str, Any]] | None) -> Completion:
        """The model's reply to the conversation; raise TransientError when worth retrying."""
        ...


class TransientError(Exception):
    """A backend failure worth retrying: rate limit, timeout, overload, dropped connection."""


class DeadlineExceeded(Exception):
    """A model call, retries included, did not finish within the agent's deadline."""


UNPAIRED = "(see the next message)"
"""What a call is answered with when its result comes in the observation that follows."""


def answers(
    call_ids: list[str], observation: str, info: dict[str, Any]
) -> list[tuple[str | None, str]]:
    """What answers one reply of a model with native tool calls, as (call id, text) pairs.

    Each call's result under its id, then the status (new mail, the time) with no id.
    When the env cannot pair results with calls, each id gets `UNPAIRED` and the whole
    observation follows; a reply without calls gets the observation.
    """
    results = info.get("results") or []
    if call_ids and len(results) == len(call_ids):
        paired: list[tuple[str | None, str]] = list(zip(call_ids, results, strict=True))
        status = info.get("status") or ""
        return [*paired, (None, status)] if status else paired
    return [*((call_id, UNPAIRED) for call_id in call_ids), (None, observation)]


ToolProtocol = Literal["native", "text"]


class LLMAgent:
    """Any chat model as an agent: it keeps the conversation and records every completion.

    Args:
        model: The chat backend (one of `mailenv.agents.backends`, or any `ChatModel`).
        protocol: `native` sends the tool specs to the API and passes the model's tool
            calls to the env; `text` lets the model write its calls in the reply, for
            models without function calling.
        max_retries: Retries of a transient backend error; when they run out, the episode
            ends cleanly with the error recorded.
        backoff: Base of the exponential wait between retries: 1, `backoff`,
            `backoff ** 2`, ... seconds.
        max_context_chars: Budget of the messages sent, in JSON characters; the oldest
            whole turns are left out to fit.
        deadline: Wall-clock seconds one model call may take, retries and waits
            included; None for no limit. A call still running then is abandoned (its
            thread is left to finish in the background) and the agent reports an error.
        sleep: Waits between retries (replaceable in tests).
        clock: Times each completion's latency (replaceable in tests).

    Raises:
        ValueError: `protocol` is neither `native` nor `text`.
    """

    def __init__(
        self,
        model: ChatModel,
        protocol: ToolProtocol = "text",
        max_retries: int = 4,
        backoff: float = 2.0,
        max_context_chars: int = 120_000,
        deadline: float | None = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if protocol not in ("native", "text"):
            raise ValueError("protocol must be 'native' or 'text'")
        self.model = model
        self.protocol = protocol
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_context_chars = max_context_chars
        self.deadline = deadline
        self.sleep = sleep
        self.clock = clock
        self.name = f"llm:{model.name}:{protocol}"

    # --- the agent protocol ------------------------------------------------------
    def reset(self, observation: str, info: dict[str, Any]) -> None:
        """Start a new conversation: the env's system prompt, then its first observation."""
        self.system: Message = {"role": "system", "content": info.get("system_prompt", "")}
        self.opening: Message = {"role": "user", "content": observation}
        self.turns: list[list[Message]] = []
        self.tools = info.get("tools") if self.protocol == "native" else None
        self.pending: list[ToolCall] = []
        self._fresh = True

    def act(self, observation: str, info: dict[str, Any]) -> AgentTurn:
        """Answer the model's last turn with what the env said, then ask it for the next action.

        Returns:
            The model's tool calls (native protocol) or its text (text protocol), with the
            completion, latency, attempts and dropped turns for the log. When no reply
            came (retries or the deadline ran out, or a hard backend error), the turn
            carries the error instead, and the env ends the episode as `agent_error`.
        """
        if not self._fresh:
            self._answer(observation, info)
        self._fresh = False
        messages, dropped = self.context()
        try:
            completion, attempts, latency = self._complete(messages)
        except Exception as err:  # no reply: the agent cannot act, and says why
            return AgentTurn(
                error=f"{type(err).__name__}: {err}",
                meta={"backend": self.model.name, "dropped_turns": dropped},
            )
        assistant: Message = {"role": "assistant", "content": completion.text}
        if self.protocol == "native" and completion.tool_calls:
            assistant["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in completion.tool_calls
            ]
        self.turns.append([assistant])
        self.pending = completion.tool_calls if self.protocol == "native" else []
        reasoning = None
        if self.protocol == "native" and completion.tool_calls:
            action: Any = [
                {"id": c.id, "name": c.name, "arguments": c.arguments}
                for c in completion.tool_calls
            ]
            reasoning = completion.text or None  # the text beside the calls
        else:
            action = completion.text
        # The reply's text is logged once: as the action, or as the step's reasoning.
        logged = completion.model_dump(exclude={"text"})
        meta = {
            "backend": self.model.name,
            "protocol": self.protocol,
            "completion": logged,
            "latency_s": round(latency, 4),
            "attempts": attempts,
            "dropped_turns": dropped,
        }
        return AgentTurn(action=action, meta=meta, reasoning=reasoning)

    # --- conversation ----------------------------------------------------------------
    def _answer(self, observation: str, info: dict[str, Any]) -> None:
        """Add what the env said back to the last turn."""
        turn = self.turns[-1] if self.turns else []
        for call_id, text in answers([c.id for c in self.pending], observation, info):
            if call_id is None:
                turn.append({"role": "user", "content": text})
            else:
                turn.append({"role": "tool", "tool_call_id": call_id, "content": text})

    def context(self) -> tuple[list[Message], int]:
        """The messages to send, and how many old turns were left out to fit."""
        budget = self.max_context_chars - _size(self.system) - _size(self.opening)
        kept: list[list[Message]] = []
        for turn in reversed(self.turns):
            cost = sum(map(_size, turn))
            if cost > budget and kept:
                break
            kept.append(turn)
            budget -= cost
        kept.reverse()
        dropped = len(self.turns) - len(kept)
        messages = [self.system, self.opening]
        if dropped:
            messages.append(
                {
                    "role": "user",
                    "content": f"[{dropped} earlier turns were left out to fit the context.]",
                }
            )
        return messages + [m for turn in kept for m in turn], dropped

    def _complete(self, messages: list[Message]) -> tuple[Completion, int, float]:
        """A completion, how many attempts it took and the last attempt's latency."""
        give_up = None if self.deadline is None else time.monotonic() + self.deadline
        attempt = 0
        while True:
            attempt += 1
            started = self.clock()
            try:
                completion = _within(give_up, self.model.complete, messages, self.tools)
                return completion, attempt, self.clock() - started
            except DeadlineExceeded:
                raise DeadlineExceeded(
                    f"no reply within {self.deadline:g} s ({attempt} attempts)"
                ) from None
            except TransientError as err:
                if attempt > self.max_retries:
                    raise
                wait = self.backoff ** (attempt - 1)
                if give_up is not None and time.monotonic() + wait >= give_up:
                    raise DeadlineExceeded(
                        f"no reply within {self.deadline:g} s ({attempt} attempts; last: {err})"
                    ) from err
                self.sleep(wait)


def _within(
    give_up: float | None,
    call: Callable[[list[Message], list[dict[str, Any]] | None], Completion],
    messages: list[Message],
    tools: list[dict[str, Any]] | None,
) -> Completion:
    """`call(messages, tools)`, abandoned if still running at `give_up` (monotonic time).

    The call runs in a daemon thread: one stuck in a socket read cannot be stopped, but it
    no longer blocks the episode or the process's exit.
    """
    if give_up is None:
        return call(messages, tools)
    box: list[Completion | BaseException] = []

    def run() -> None:
        try:
            box.append(call(messages, tools))
        except BaseException as err:
            box.append(err)

    thread = threading.Thread(target=run, name="mailenv-model-call", daemon=True)
    thread.start()
    thread.join(max(0.0, give_up - time.monotonic()))
    if not box:
        raise DeadlineExceeded("the call was abandoned at its deadline")
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def _size(message: Message) -> int:
    return len(json.dumps(message, ensure_ascii=False))
