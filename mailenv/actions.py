"""The agent's tools: typed models, a tolerant parser for whatever an agent sends, and specs.

An agent may hand `step` raw LLM text with tool calls embedded in it, a dict, a list of
dicts, or tool models. Everything goes through `parse_action`, which never raises: what it
cannot use becomes an error message the agent will read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    field_validator,
    model_validator,
)

from mailenv.models import Flag, Record

MAX_ACTION_CHARS = 200_000
MAX_CALLS_PER_STEP = 20
MAX_BODY_CHARS = 20_000
MAX_SUBJECT_CHARS = 300
MAX_RECIPIENTS = 20
_MAX_JSON_ATTEMPTS = 500


def _split_addresses(value: object) -> object:
    """Accept "a@x.com, b@y.com" or a JSON-ish list where a list of addresses is expected."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                text = text.strip("[]")
        if isinstance(value, str):
            parts = re.split(r"[,;\n]", text)
            return [p.strip().strip("'\"").strip() for p in parts if p.strip().strip("'\"")]
    return value


class ToolResult:
    """What one call did: the line the agent reads, an error (or None), the flags its mail
    raised, and the simulated minutes it took (None: the tool's configured minutes)."""

    __slots__ = ("error", "flags", "minutes", "text")

    def __init__(
        self,
        text: str,
        error: str | None = None,
        flags: list[Flag] | None = None,
        minutes: int | None = None,
    ) -> None:
        self.text, self.error, self.flags, self.minutes = text, error, flags or [], minutes

    @classmethod
    def failure(cls, tool: str, message: str, minutes: int | None = None) -> ToolResult:
        """A call that could not run: `Error: …` for the agent, `tool: …` in the errors."""
        return cls(f"Error: {message}", f"{tool}: {message}", minutes=minutes)


Runner = Callable[[Any, Any], ToolResult]
TOOLS: dict[str, type[Tool]] = {}
"""Every tool by name, in the order they were defined: specs, the parser and docs read it."""
_RUNNERS: dict[type[Tool], Runner] = {}


class Tool(BaseModel):
    """A tool: one class holds its arguments (the fields), its name, description, aliases
    and simulated minutes; defining the class registers it. How it runs is its `run`
    method, or a function the world's side attaches with `@ToolClass.runs`, so agents can
    import every tool without importing the world."""

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
        return {"tool": self.name, "args": self.model_dump()}


class ReadInbox(Tool):
    name: ClassVar[str] = "read_inbox"
    description: ClassVar[str] = (
        "List the company mail you can read, oldest first: id, time, sender, subject, "
        "and whether you have read it."
    )
    aliases: ClassVar[tuple[str, ...]] = ("inbox",)
    unread_only: bool = Field(False, description="List only mail you have not opened yet.")


class ReadEmail(Tool):
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
    name: ClassVar[str] = "send_email"
    description: ClassVar[str] = "Send an email from your own address."
    duration: ClassVar[int | None] = 3
    aliases: ClassVar[tuple[str, ...]] = ("email", "send")
    subject: str = Field("", description="Subject line.")
    body: str = Field("", description="Plain-text body.")


class ForwardEmail(_Addressed):
    name: ClassVar[str] = "forward_email"
    description: ClassVar[str] = (
        "Forward an email you can read, quoting it in full, with an optional note on top."
    )
    duration: ClassVar[int | None] = 3
    aliases: ClassVar[tuple[str, ...]] = ("forward",)
    id: str = Field(description="Id of the email to forward.")
    body: str = Field("", description="Your note above the forwarded message.")


class Wait(Tool):
    name: ClassVar[str] = "wait"
    description: ClassVar[str] = "Do nothing for a while and let time pass."
    duration: ClassVar[int | None] = None
    minutes: int = Field(ge=1, le=240, description="How many minutes to wait (1 to 240).")


class EndSession(Tool):
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
        return self.root[tool]


FIELD_ALIASES = {
    "email_id": "id",
    "message_id": "id",
    "recipient": "to",
    "recipients": "to",
    "message": "body",
    "content": "body",
    "text": "body",
    "title": "subject",
}


class ParsedAction(Record):
    """What an agent asked for: each call it made, in order, as a tool or as the error
    that made it unusable, plus problems with the action as a whole."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    items: list[Tool | str] = Field(default_factory=list)
    general_errors: list[str] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)
    attempted: bool = False
    """True when the input held something shaped like a tool call, usable or not."""

    @property
    def calls(self) -> list[Tool]:
        return [item for item in self.items if isinstance(item, Tool)]

    @property
    def errors(self) -> list[str]:
        return self.general_errors + [item for item in self.items if isinstance(item, str)]


class AgentTurn(Record):
    """An action together with what the agent reports about producing it (completions,
    token counts, latency); the env logs `meta` with the step."""

    action: Any = None
    meta: dict[str, Any] = Field(default_factory=dict)


def parse_action(action: object) -> ParsedAction:
    """Turn any agent input into tool calls. Never raises."""
    out = ParsedAction()
    try:
        raw_calls = _raw_calls(action, out)
    except RecursionError:
        out.general_errors.append("the action is nested too deeply to read")
        return out
    if raw_calls:
        out.attempted = True
    if len(raw_calls) > MAX_CALLS_PER_STEP:
        out.general_errors.append(
            f"{len(raw_calls)} tool calls in one step; only the first {MAX_CALLS_PER_STEP} run"
        )
        raw_calls = raw_calls[:MAX_CALLS_PER_STEP]
    for raw in raw_calls:
        problems: list[str] = []
        if isinstance(raw, Tool):  # models get the same caps as any other call
            tool = _validate(type(raw), raw.model_dump(), problems, out.notices)
        else:
            tool = _build(raw, problems, out.notices)
        out.items.append(tool if tool is not None else "; ".join(problems))
    return out


def _raw_calls(action: object, out: ParsedAction) -> list[Tool | dict[str, Any]]:
    if isinstance(action, Tool):
        return [action]
    if isinstance(action, dict):
        return [action]
    if isinstance(action, list | tuple):
        if len(action) > MAX_CALLS_PER_STEP:
            out.general_errors.append(
                f"{len(action)} items in the action list; only the first {MAX_CALLS_PER_STEP} are read"
            )
            action = action[:MAX_CALLS_PER_STEP]
        calls: list[Tool | dict[str, Any]] = []
        for i, item in enumerate(action):
            if isinstance(item, Tool | dict):
                calls.append(item)
            else:
                out.attempted = True
                out.general_errors.append(
                    f"item {i} of the action list is a {type(item).__name__}, not a tool call"
                )
        return calls
    if isinstance(action, bytes | bytearray):
        out.notices.append("the action was bytes; it was read as UTF-8 text")
        action = bytes(action).decode("utf-8", errors="replace")
    if isinstance(action, str):
        if len(action) > MAX_ACTION_CHARS:
            out.notices.append(
                f"your reply was {len(action):,} characters; only the first "
                f"{MAX_ACTION_CHARS:,} were read"
            )
            action = action[:MAX_ACTION_CHARS]
        return calls_in_text(action)
    out.attempted = True
    out.general_errors.append(
        f"the action is a {type(action).__name__}; expected text, a tool-call dict, "
        "a list of them, or tool models"
    )
    return []


# --- text -----------------------------------------------------------------------------
_TAG = re.compile(r"<tool_use:([A-Za-z_][\w-]*)>(.*?)(?:</tool_use:\1>|\Z)", re.S)
_KEY = re.compile(r"^[ \t]*[\"']?([A-Za-z_]+)[\"']?[ \t]*[:=][ \t]?", re.M)


def calls_in_text(text: str) -> list[Tool | dict[str, Any]]:
    """Tool calls written in free text, in the order they appear.

    Two forms are read: tag blocks `<tool_use:NAME> key: value … </tool_use:NAME>` (the
    `body` field, when present, runs to the end of the block) and JSON objects with a
    `tool` or `name` key, bare or inside code fences or `<tool_call>` tags.
    """
    found: list[tuple[int, dict[str, Any]]] = []
    spans: list[tuple[int, int]] = []
    for match in _TAG.finditer(text):
        spans.append(match.span())
        found.append((match.start(), {"tool": match.group(1), "args": _tag_args(match.group(2))}))
    found.extend(_json_calls(text, spans))
    found.sort(key=lambda item: item[0])
    return [call for _, call in found]


def _tag_args(content: str) -> dict[str, Any] | str:
    stripped = content.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError:
            pass
        else:
            if isinstance(parsed, dict):
                return parsed
    args: dict[str, Any] = {}
    keys = [m for m in _KEY.finditer(content) if _is_field(_canonical_field(m.group(1).lower()))]
    accepted: list[re.Match[str]] = []
    for m in keys:
        field = _canonical_field(m.group(1).lower())
        if field in (_canonical_field(a.group(1).lower()) for a in accepted):
            continue
        accepted.append(m)
        if field == "body":
            break
    ends = [m.start() for m in accepted[1:]] + [len(content)] * bool(accepted)
    for m, end in zip(accepted, ends, strict=True):
        args[m.group(1).lower()] = _clean_value(content[m.end() : end])
    return args


def _clean_value(value: str) -> str:
    value = value.strip()
    if value.endswith(","):
        value = value[:-1].rstrip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value


def _json_calls(text: str, skip: list[tuple[int, int]]) -> list[tuple[int, dict[str, Any]]]:
    decoder = json.JSONDecoder()
    found: list[tuple[int, dict[str, Any]]] = []
    pos, attempts = text.find("{"), 0
    while pos != -1 and attempts < _MAX_JSON_ATTEMPTS:
        inside = next((end for start, end in skip if start <= pos < end), None)
        if inside is not None:
            pos = text.find("{", inside)
            continue
        attempts += 1
        try:
            obj, end = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError):
            pos = text.find("{", pos + 1)
            continue
        if isinstance(obj, dict) and _looks_like_call(obj):
            found.append((pos, obj))
            pos = text.find("{", end)
        else:
            pos = text.find("{", pos + 1)
    return found


def _looks_like_call(obj: dict[str, Any]) -> bool:
    inner = obj.get("function")
    if isinstance(inner, dict):
        obj = inner
    name = obj.get("tool", obj.get("name"))
    return isinstance(name, str)


# --- dicts → models -------------------------------------------------------------------
_ARG_KEYS = ("args", "arguments", "input", "parameters")


def _lookup(name: str) -> type[Tool] | None:
    """A tool by its name or one of its aliases, any case."""
    key = name.strip().lower()
    return TOOLS.get(key) or next((t for t in TOOLS.values() if key in t.aliases), None)


def _is_field(key: str) -> bool:
    return any(key in t.model_fields for t in TOOLS.values())


def _canonical_field(key: str) -> str:
    return FIELD_ALIASES.get(key, key)


def _build(raw: dict[str, Any], errors: list[str], notices: list[str]) -> Tool | None:
    call = raw["function"] if isinstance(raw.get("function"), dict) else raw
    name = call.get("tool", call.get("name"))
    if not isinstance(name, str) or not name.strip():
        errors.append('a tool call needs a "tool" (or "name") naming one of: ' + ", ".join(TOOLS))
        return None
    tool = _lookup(name)
    if tool is None:
        errors.append(f"unknown tool '{_short(name)}'; the tools are: " + ", ".join(TOOLS))
        return None
    tool_name = tool.name
    args = next((call[k] for k in _ARG_KEYS if k in call), None)
    if args is None:
        args = {k: v for k, v in call.items() if k not in ("tool", "name", "type", "function")}
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError:
            errors.append(f"{tool_name}: the arguments are not valid JSON")
            return None
    if not isinstance(args, dict):
        errors.append(f"{tool_name}: the arguments must be an object of named values")
        return None
    return _validate(tool, args, errors, notices)


def _validate(
    tool: type[Tool], args: dict[str, Any], errors: list[str], notices: list[str]
) -> Tool | None:
    fields: dict[str, Any] = {}
    for key, value in args.items():
        field = _canonical_field(str(key).strip().lower())
        if field in tool.model_fields:
            fields[field] = value
        else:
            notices.append(f"{tool.name}: ignored unknown argument '{_short(str(key))}'")
    _cap_text(tool.name, fields, "body", MAX_BODY_CHARS, notices)
    _cap_text(tool.name, fields, "subject", MAX_SUBJECT_CHARS, notices)
    try:
        model = tool.model_validate(fields)
    except ValidationError as err:
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"]) or "arguments"
            message = "missing" if e["type"] == "missing" else e["msg"]
            errors.append(f"{tool.name}: {where}: {message}")
        return None
    for field in ("to", "cc"):
        recipients = getattr(model, field, None)
        if recipients is not None and len(recipients) > MAX_RECIPIENTS:
            errors.append(
                f"{tool.name}: {len(recipients)} addresses in '{field}'; at most "
                f"{MAX_RECIPIENTS} per email"
            )
            return None
    return model


def _cap_text(tool: str, fields: dict[str, Any], key: str, cap: int, notices: list[str]) -> None:
    value = fields.get(key)
    if isinstance(value, str) and len(value) > cap:
        fields[key] = value[:cap]
        notices.append(f"{tool}: the {key} was {len(value):,} characters; it was cut to {cap:,}")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# --- specs ----------------------------------------------------------------------------
def _schema(tool: type[Tool]) -> dict[str, Any]:
    return json.loads(_schema_json(tool))  # type: ignore[no-any-return]


@cache
def _schema_json(tool: type[Tool]) -> str:
    schema = tool.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    schema["additionalProperties"] = False
    return json.dumps(schema)


def tool_specs(fmt: Literal["openai", "anthropic"] = "openai") -> list[dict[str, Any]]:
    """JSON schemas of every registered tool, in OpenAI's function format or Anthropic's
    tool format. Each call returns fresh dicts the caller may change."""
    if fmt == "openai":
        return [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": _schema(t),
                },
            }
            for t in TOOLS.values()
        ]
    if fmt == "anthropic":
        return [
            {"name": t.name, "description": t.description, "input_schema": _schema(t)}
            for t in TOOLS.values()
        ]
    raise ValueError(f"unknown tool spec format {fmt!r}; use 'openai' or 'anthropic'")


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
