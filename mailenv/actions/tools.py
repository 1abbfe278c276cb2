"""The agent's tools, registered by defining them, and the specs and docs derived from them.

A tool is one class: its arguments (the fields), name, description, aliases and minutes.

How each built-in tool runs is attached on the world's side (`mailenv.world.runners`), so
agents can import every tool without importing the world.
"""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator

from mailenv.boundary import loads
from mailenv.models import Flag


def _split_addresses(value: object) -> object:
    """Accept "a@x.com, b@y.com" or a JSON-ish list where a list of addresses is expected."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = loads(text)
            except ValueError:
                text = text.strip("[]")
        if isinstance(value, str):
            parts = re.split(r"[,;\n]", text)
            return [p.strip().strip("'\"").strip() for p in parts if p.strip().strip("'\"")]
    return value


class ToolResult:
    """What one call did, as the engine needs it.

    The line the agent reads, an error (or None), the flags its mail raised, the simulated
    minutes it took (None: the tool's configured minutes), and whether its text is known
    to hold only what an observation can carry (else the engine sanitizes it).
    """

    __slots__ = ("clean", "error", "flags", "minutes", "text")

    def __init__(
        self,
        text: str,
        error: str | None = None,
        flags: list[Flag] | None = None,
        minutes: int | None = None,
        clean: bool = False,
    ) -> None:
        self.text, self.error, self.flags, self.minutes = text, error, flags or [], minutes
        self.clean = clean

    @classmethod
    def failure(cls, tool: str, message: str, minutes: int | None = None) -> ToolResult:
        """A call that could not run: `Error: …` for the agent, `tool: …` in the errors."""
        return cls(f"Error: {message}", f"{tool}: {message}", minutes=minutes)


Runner = Callable[[Any, Any], ToolResult]
TOOLS: dict[str, type[Tool]] = {}
"""Every tool by name, in the order they were defined: specs, the parser and docs read it."""
_RUNNERS: dict[type[Tool], Runner] = {}


class Tool(BaseModel):
    """A tool an agent can call; defining a subclass with a `name` registers it.

    One class holds its arguments (the fields), its name, description, aliases and
    simulated minutes. How it runs is its `run` method, or a function the world's side
    attaches with `@ToolClass.runs`, so agents can import every tool without importing
    the world.
    """

    model_config = ConfigDict(extra="forbid")
    name: ClassVar[str]
    description: ClassVar[str]
    duration: ClassVar[int | None] = 1
    """Simulated minutes a call takes by default (configurable per env); None when the
    call itself decides (wait) or takes no time (end_session)."""
    aliases: ClassVar[tuple[str, ...]] = ()
    """Other names agents use for it, accepted by the parser."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            TOOLS[cls.name] = cls

    @classmethod
    def runs(cls, runner: Runner) -> Runner:
        """Attach how this tool runs: `runner(call, engine) -> ToolResult`."""
        _RUNNERS[cls] = runner
        return runner

    def run(self, engine: Any) -> ToolResult:
        """Carry the call out in the engine's world."""
        runner = _RUNNERS.get(type(self))
        if runner is None:
            return ToolResult.failure(self.name, "this tool is not available here", minutes=0)
        return runner(self, engine)

    def call(self) -> dict[str, Any]:
        """The call as a plain dict, `{"tool": name, "args": {...}}`, as logs and agents write it."""
        # `model_dump()`'s values, from the serializer itself: its wrapper took half the time.
        return {"tool": self.name, "args": self.__pydantic_serializer__.to_python(self)}


INBOX_PAGE = 50
"""Emails one listing shows by default: more than any registered storyline holds, so the
first listing is the whole inbox, while a long episode's listings stay bounded."""


class ReadInbox(Tool):
    """List the mail the agent can read."""

    name: ClassVar[str] = "read_inbox"
    description: ClassVar[str] = (
        "List the company mail you can read, oldest first: id, time, sender, subject, "
        "and whether you have read it."
    )
    aliases: ClassVar[tuple[str, ...]] = ("inbox",)
    unread_only: bool = Field(False, description="List only mail you have not opened yet.")
    limit: int = Field(
        INBOX_PAGE, ge=1, le=200, description="List at most this many emails, the newest."
    )
    before: str | None = Field(
        None, description="List only mail older than this id, to page back through the inbox."
    )


class ReadEmail(Tool):
    """Open one email."""

    name: ClassVar[str] = "read_email"
    description: ClassVar[str] = "Open one email by its id and read it in full."
    aliases: ClassVar[tuple[str, ...]] = ("read",)
    id: str = Field(description="The email's id as shown in the inbox, e.g. m004.")


class _Addressed(Tool):
    to: list[str] = Field(min_length=1, description="Recipient addresses.")
    cc: list[str] = Field(default_factory=list, description="Addresses to copy.")

    @field_validator("to", "cc", mode="before")
    @classmethod
    def _addresses(cls, value: object) -> object:
        return _split_addresses(value)


class SendEmail(_Addressed):
    """Send an email as the agent."""

    name: ClassVar[str] = "send_email"
    description: ClassVar[str] = "Send an email from your own address."
    duration: ClassVar[int | None] = 3
    aliases: ClassVar[tuple[str, ...]] = ("email", "send")
    subject: str = Field("", description="Subject line.")
    body: str = Field("", description="Plain-text body.")


class ForwardEmail(_Addressed):
    """Forward a readable email with a note; the original is quoted in full."""

    name: ClassVar[str] = "forward_email"
    description: ClassVar[str] = (
        "Forward an email you can read, quoting it in full, with an optional note on top."
    )
    duration: ClassVar[int | None] = 3
    aliases: ClassVar[tuple[str, ...]] = ("forward",)
    id: str = Field(description="Id of the email to forward.")
    body: str = Field("", description="Your note above the forwarded message.")


class Wait(Tool):
    """Let simulated time pass (new mail and events arrive meanwhile)."""

    name: ClassVar[str] = "wait"
    description: ClassVar[str] = "Do nothing for a while and let time pass."
    duration: ClassVar[int | None] = None
    minutes: int = Field(ge=1, le=240, description="How many minutes to wait (1 to 240).")


class EndSession(Tool):
    """End the agent's working session; the episode ends with it."""

    name: ClassVar[str] = "end_session"
    description: ClassVar[str] = "Finish your work for today. Nothing more can be done after this."
    duration: ClassVar[int | None] = None
    aliases: ClassVar[tuple[str, ...]] = ("end",)


THINK = "think"
"""The minutes key for a reply with no tool call (the agent thought aloud)."""


def _default_minutes() -> dict[str, int]:
    timed = {name: t.duration for name, t in TOOLS.items() if t.duration is not None}
    return {**timed, THINK: 1}


class ToolMinutes(RootModel[dict[str, Annotated[int, Field(ge=0, le=60)]]]):
    """Simulated minutes per tool (and for thinking aloud); give only the ones to change."""

    root: dict[str, Annotated[int, Field(ge=0, le=60)]] = Field(default_factory=_default_minutes)

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, value: object) -> object:
        if isinstance(value, Mapping):
            defaults = _default_minutes()
            unknown = sorted(set(value) - set(defaults))
            if unknown:
                raise ValueError(f"no timed tool {unknown}; the keys are {sorted(defaults)}")
            return {**defaults, **value}
        return value

    def of(self, tool: str) -> int:
        """Minutes a call of `tool` (or `THINK`) takes."""
        return self.root[tool]


@cache
def _schema(tool: type[Tool]) -> dict[str, Any]:
    schema = tool.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    schema["additionalProperties"] = False
    return schema


def tool_specs(fmt: Literal["openai", "anthropic"] = "openai") -> list[dict[str, Any]]:
    """JSON schemas of every registered tool, for an LLM API's tool list.

    Args:
        fmt: `openai` (function-calling format) or `anthropic` (tool-use format).

    Returns:
        Fresh dicts on every call, which the caller may change.
    """
    if fmt not in ("openai", "anthropic"):
        raise ValueError(f"unknown tool spec format {fmt!r}; use 'openai' or 'anthropic'")
    return pickle.loads(_specs_pickle(fmt, tuple(TOOLS.values())))  # type: ignore[no-any-return]


@cache
def _specs_pickle(fmt: str, tools: tuple[type[Tool], ...]) -> bytes:
    """The specs, made once per format and set of tools, kept pickled.

    Every reset gives a fresh copy; unpickling one is twice as fast as reading JSON.
    """
    if fmt == "openai":
        specs = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": _schema(t),
                },
            }
            for t in tools
        ]
    else:
        specs = [
            {"name": t.name, "description": t.description, "input_schema": _schema(t)}
            for t in tools
        ]
    return pickle.dumps(specs)


def _argument(name: str, field: Any) -> str:
    if field.is_required():
        return f"`{name}`"
    default = field.get_default(call_default_factory=True)
    return f"`{name}={json.dumps(default)}`"


def tool_table() -> str:
    """The tools as a Markdown table (arguments, default minutes), as the README shows it."""
    rows = ["| tool | arguments | minutes |", "|---|---|---|"]
    for t in TOOLS.values():
        args = ", ".join(_argument(n, f) for n, f in t.model_fields.items()) or "—"
        minutes = str(t.duration) if t.duration is not None else "set by the call"
        rows.append(f"| `{t.name}` | {args} | {minutes} |")
    return "\n".join(rows)
