"""A tolerant parser for whatever an agent sends.

Raw LLM text with tool calls embedded in it, a dict, a list of dicts (OpenAI- and
Anthropic-shaped calls included), or tool models. Everything goes through `parse_action`, which never raises: what it cannot use
becomes an error message the agent will read.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from pydantic import ConfigDict, Field, ValidationError

from mailenv.actions.tools import TOOLS, Tool
from mailenv.boundary import DECODER, MAX_BODY_CHARS, MAX_SUBJECT_CHARS, MAX_TEXT_CHARS, loads
from mailenv.models import Record

MAX_ACTION_CHARS = MAX_TEXT_CHARS
MAX_CALLS_PER_STEP = 20
MAX_RECIPIENTS = 20
_MAX_JSON_ATTEMPTS = 500
JSON_SCAN_BUDGET = 500_000
"""Characters the JSON decoder may read while looking for calls in one text: attempts that
run to the end of a long text cannot add up to quadratic time."""


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
    """What an agent asked for, call by call.

    Each call it made, in order, as a tool or as the error that made it unusable, plus
    problems with the action as a whole.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    items: list[Tool | str] = Field(default_factory=list)
    reasoning: list[str] = Field(default_factory=list)
    """The agent's reasoning in a text action: what it wrote inside reasoning tags
    (`<scratchpad>…</scratchpad>`), then the text outside its tool calls. Never carried out."""
    general_errors: list[str] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)
    attempted: bool = False
    """True when the input held something shaped like a tool call, usable or not."""

    @property
    def calls(self) -> list[Tool]:
        """The usable calls, in order."""
        return [item for item in self.items if isinstance(item, Tool)]

    @property
    def errors(self) -> list[str]:
        """Every problem: with the action as a whole, then per call."""
        return self.general_errors + [item for item in self.items if isinstance(item, str)]


class AgentTurn(Record):
    """An action with what the agent reports about producing it.

    `meta` holds completions, token counts, latency: what the env cannot see itself; it
    is logged with the step. `error` says the agent could not produce an action at all
    (its backend failed after retries, timed out, or its own code crashed): the env then
    runs nothing and ends the episode as `agent_error`, which is not data about the model.
    """

    action: Any = None
    meta: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    reasoning: str | None = None
    """What the model wrote besides its tool calls when they came apart from the text
    (native function calling): reasoning, logged with the step and never carried out."""


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
        action, out.reasoning = split_reasoning(action)
        calls, rest = _calls_and_rest(action, out.notices)
        if rest:  # what the agent wrote besides its calls is reasoning too (LABELS.md)
            out.reasoning.append(rest)
        return calls
    out.attempted = True
    out.general_errors.append(
        f"the action is a {type(action).__name__}; expected text, a tool-call dict, "
        "a list of them, or tool models"
    )
    return []


# --- text -----------------------------------------------------------------------------
REASONING_TAGS = ("scratchpad_reasoning", "scratchpad", "thinking")
"""Tags whose content is the agent's private reasoning, as the scratchpad condition
offers them; an unclosed tag runs to the end of the text."""
_REASONING = re.compile(r"<(" + "|".join(REASONING_TAGS) + r")>(.*?)(?:</\1>|\Z)", re.S | re.I)


def split_reasoning(text: str) -> tuple[str, list[str]]:
    """The text without its reasoning blocks, and the blocks' contents in order.

    A tool call written inside a reasoning block is part of the reasoning: it never runs.
    Tags inside a `<tool_use:…>` block are the call's text, not reasoning.
    """
    found: list[str] = []

    def take(match: re.Match[str]) -> str:
        found.append(match.group(2).strip())
        return "\n"

    # Whichever opens first wins: a call inside a scratchpad is reasoning, and a tag in an
    # email's body (inside a call block) is the email's text.
    kept, at = [], 0
    while at < len(text):
        thought, call = _REASONING.search(text, at), _TAG.search(text, at)
        first = min((m for m in (thought, call) if m), key=lambda m: m.start(), default=None)
        if first is None:
            kept.append(text[at:])
            break
        kept.append(text[at : first.start()])
        kept.append(take(first) if first is thought else first.group())
        at = max(first.end(), first.start() + 1)
    return "".join(kept), found


_TAG = re.compile(r"<tool_use:([A-Za-z_][\w-]*)>(.*?)(?:</tool_use:\1>|\Z)", re.S)
_KEY = re.compile(r"^[ \t]*[\"']?([A-Za-z_]+)[\"']?[ \t]*[:=][ \t]?", re.M)


def calls_in_text(text: str, notices: list[str] | None = None) -> list[Tool | dict[str, Any]]:
    """Tool calls written in free text, in the order they appear.

    Two forms are read: tag blocks `<tool_use:NAME> key: value … </tool_use:NAME>` (the
    `body` field, when present, runs to the end of the block) and JSON objects with a
    `tool` or `name` key, bare or inside code fences or `<tool_call>` tags. The search
    for JSON is bounded (`JSON_SCAN_BUDGET`); when it stops early, `notices` says so.
    """
    return _calls_and_rest(text, notices if notices is not None else [])[0]


_WRAPPERS = re.compile(r"```(?:json)?|</?tool_calls?>", re.I)


def _calls_and_rest(text: str, notices: list[str]) -> tuple[list[Tool | dict[str, Any]], str]:
    """The calls in `text`, and the text outside them (fences and call tags removed)."""
    found: list[tuple[int, int, dict[str, Any]]] = []
    spans: list[tuple[int, int]] = []
    for match in _TAG.finditer(text):
        spans.append(match.span())
        found.append((*match.span(), {"tool": match.group(1), "args": _tag_args(match.group(2))}))
    found.extend(_json_calls(text, spans, notices))
    found.sort(key=lambda item: item[0])
    rest, at = [], 0
    for start, end, _ in found:
        rest.append(text[at:start])
        at = max(at, end)
    rest.append(text[at:])
    return [call for *_, call in found], _WRAPPERS.sub("", "".join(rest)).strip()


def _tag_args(content: str) -> dict[str, Any] | str:
    stripped = content.strip()
    if stripped.startswith("{"):
        try:
            parsed = loads(stripped)
        except ValueError:
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


def _json_calls(
    text: str, skip: list[tuple[int, int]], notices: list[str]
) -> list[tuple[int, int, dict[str, Any]]]:
    found: list[tuple[int, int, dict[str, Any]]] = []
    pos, attempts, budget = text.find("{"), 0, JSON_SCAN_BUDGET
    while pos != -1 and attempts < _MAX_JSON_ATTEMPTS:
        inside = next((end for start, end in skip if start <= pos < end), None)
        if inside is not None:
            pos = text.find("{", inside)
            continue
        if budget <= 0:
            notices.append(
                f"stopped looking for JSON tool calls at character {pos:,} of {len(text):,}: "
                "the text before it holds too many unfinished JSON objects"
            )
            break
        attempts += 1
        try:
            obj, end = DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            budget -= err.pos - pos + 1
            pos = text.find("{", pos + 1)
            continue
        except (ValueError, RecursionError) as err:
            budget -= len(text) - pos  # unknown reach: count the worst
            if "digits" in str(err):
                notices.append(f"a JSON call at character {pos:,} was not read: it has {err}")
            pos = text.find("{", pos + 1)
            continue
        budget -= end - pos
        if isinstance(obj, dict) and _looks_like_call(obj):
            found.append((pos, end, obj))
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


@cache
def _fields(tool: type[Tool]) -> frozenset[str]:
    """A tool's argument names (pydantic's `model_fields` is a property that costs a call)."""
    return frozenset(tool.model_fields)


def _is_field(key: str) -> bool:
    return any(key in _fields(t) for t in TOOLS.values())


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
    args = None
    for key in _ARG_KEYS:
        if key in call:
            args = call[key]
            break
    if args is None:
        args = {k: v for k, v in call.items() if k not in ("tool", "name", "type", "function")}
    if isinstance(args, str):
        try:
            args = loads(args) if args.strip() else {}
        except ValueError as err:
            why = "not valid JSON" if isinstance(err, json.JSONDecodeError) else str(err)
            errors.append(f"{tool_name}: the arguments are {why}")
            return None
    if not isinstance(args, dict):
        errors.append(f"{tool_name}: the arguments must be an object of named values")
        return None
    return _validate(tool, args, errors, notices)


def _validate(
    tool: type[Tool], args: dict[str, Any], errors: list[str], notices: list[str]
) -> Tool | None:
    fields: dict[str, Any] = {}
    known = _fields(tool)
    for key, value in args.items():
        # A field's own name is its canonical form (no alias names a field): no need to fold it.
        field = key if key in known else _canonical_field(str(key).strip().lower())
        if field in known:
            fields[field] = value
        else:
            notices.append(f"{tool.name}: ignored unknown argument '{_short(str(key))}'")
    if "body" in fields:
        _cap_text(tool.name, fields, "body", MAX_BODY_CHARS, notices)
    if "subject" in fields:
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
        # Only tools with the field: pydantic's missing-attribute path costs microseconds.
        recipients = getattr(model, field) if field in known else None
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
