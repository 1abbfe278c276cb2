"""The boundary every value crosses to enter the world or a log: valid text, bounded size.

Agents, models and scenario files may send anything: lone surrogates, numbers of
thousands of digits, megabytes of text, objects whose `repr` raises. `admit` turns
whatever arrives into JSON values that can always be stored and replayed — invalid code
points replaced with U+FFFD, long strings cut with a marker, huge integers and
unprintable objects tagged, depth and item counts bounded — and says what it changed.
The env acts on `revive(admit(x).value)`, so what the log keeps is exactly what the
world saw, and `replay` feeds the world the same thing again.

The size limits of everything the world stores live here too, so each is set once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT_CHARS = 200_000
"""Any one string an agent or a model sends (a reply, an argument); longer is cut."""
MAX_BODY_CHARS = 20_000
"""An email body, however it was made: typed, forwarded, quoted or generated."""
MAX_SUBJECT_CHARS = 300
MAX_OBSERVATION_CHARS = 200_000
"""An observation, and each per-call result, as the agent receives and the log keeps it."""
MAX_INT_DIGITS = 64
"""Integers with more digits are not numbers any tool takes: they are tagged, not parsed."""
MAX_DEPTH = 50
MAX_ITEMS = 1_000
"""Items of one list or object; the rest are dropped, with a note."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_BIG = 10**MAX_INT_DIGITS
JsonValue = Any


def valid_text(text: str) -> str:
    """`text` with every surrogate code point (never valid in UTF-8) replaced by U+FFFD."""
    if text.isascii():  # every stored email passes here; most text is ASCII
        return text
    return _SURROGATE.sub("\ufffd", text)


def cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, the cut marked at the end."""
    if len(text) <= limit:
        return text
    keep = max(0, limit - 64)  # room for the marker
    return text[:keep] + f"\n[cut: {len(text) - keep:,} more characters]"


@dataclass
class Admitted:
    """A value made safe to store, and what had to change."""

    value: JsonValue
    replaced: int = 0
    """Invalid code points replaced with U+FFFD."""
    cut: list[int] = field(default_factory=list)
    """The original lengths of strings that were cut."""
    dropped: int = 0
    """List items or object keys dropped past `MAX_ITEMS`, and values nested too deeply."""
    tagged: int = 0
    """Values JSON cannot hold, and the agent's dicts shaped like tags, that were tagged."""

    def revived(self) -> JsonValue:
        """What the world acts on: `revive(value)`.

        That is the value itself when nothing was tagged, so the walk is skipped: a step's
        action is nearly always plain JSON.
        """
        return revive(self.value) if self.tagged else self.value

    def notes(self) -> list[str]:
        """What changed, as notices the agent reads."""
        notes = []
        if self.replaced:
            notes.append(
                f"{self.replaced} character(s) that are not valid Unicode text were replaced with U+FFFD"
            )
        if self.cut:
            notes.append(
                f"text of {max(self.cut):,} characters was cut to {MAX_TEXT_CHARS:,}"
                if len(self.cut) == 1
                else f"{len(self.cut)} texts over {MAX_TEXT_CHARS:,} characters were cut"
            )
        if self.dropped:
            notes.append(f"{self.dropped} nested or surplus item(s) were dropped")
        return notes


def admit(value: object) -> Admitted:
    """A JSON-safe, bounded copy of whatever an agent or a model sent.

    Values JSON cannot hold are tagged so `revive` rebuilds an equivalent value:
    {"__bytes__": text}, {"__float__": "nan"}, {"__int__": "+huge"},
    {"__object__": type name, "repr": …}. Tool models become their `{"tool", "args"}` call.
    """
    out = Admitted(None)
    out.value = _admit(value, 0, out)
    return out


def _plain(text: str) -> bool:
    """Whether `text` passes the boundary unchanged, told cheaply (most text is short ASCII)."""
    return text.isascii() and len(text) <= MAX_TEXT_CHARS


def _text(text: str, out: Admitted) -> str:
    if not text.isascii() and _SURROGATE.search(text):
        out.replaced += len(_SURROGATE.findall(text))
        text = valid_text(text)
    if len(text) > MAX_TEXT_CHARS:
        out.cut.append(len(text))
        text = cut(text, MAX_TEXT_CHARS)
    return text


class HugeInt(float):
    """What an integer past `MAX_INT_DIGITS` digits becomes: ±infinity, which no tool takes."""

    def sign(self) -> str:
        """The tag `admit` gives it: "+huge" or "-huge"."""
        return "+huge" if self > 0 else "-huge"


def _admit(value: object, depth: int, out: Admitted) -> JsonValue:
    if depth > MAX_DEPTH:
        out.dropped += 1
        return "<nested too deeply>"
    kind = type(value)  # what agents send is nearly all str, dict, list and tool models
    if kind is str:
        return value if _plain(value) else _text(value, out)  # type: ignore[arg-type]
    if kind is dict:
        return _admit_mapping(value, depth, out)  # type: ignore[arg-type]
    if kind is list:
        return _admit_list(value, depth, out)  # type: ignore[arg-type]
    if kind in _CALLS:
        return _admit_call(value, depth, out)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, HugeInt):
        out.tagged += 1
        return {"__int__": value.sign()}
    if isinstance(value, int):
        if -_BIG < value < _BIG:
            return int(value)
        out.tagged += 1
        return {"__int__": "+huge" if value > 0 else "-huge"}
    if isinstance(value, str):
        return _text(value, out)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        out.tagged += 1
        return {"__float__": repr(value)}
    if isinstance(value, (bytes, bytearray)):
        out.tagged += 1
        return {"__bytes__": _text(bytes(value).decode("utf-8", errors="replace"), out)}
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return _admit(value.tolist(), depth, out)  # numpy scalars and arrays, as Python values
    if isinstance(value, Mapping):
        return _admit_mapping(value, depth, out)
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=repr)  # one order, whatever the process's hash seed
    if isinstance(value, (list, tuple)):
        return _admit_list(value, depth, out)
    if callable(getattr(value, "call", None)):
        _CALLS.add(kind)  # every test above depends on the type alone: skip them next time
        return _admit_call(value, depth, out)
    return _admit_object(value, out)


_CALLS: set[type] = set()
"""Types whose values `admit` takes by their `call()` (tool models): met before."""


def _admit_call(value: Any, depth: int, out: Admitted) -> JsonValue:
    try:
        return _admit(value.call(), depth + 1, out)
    except Exception:  # an object that only looks like a tool model
        return _admit_object(value, out)


def _admit_object(value: object, out: Admitted) -> JsonValue:
    try:
        shown = repr(value)[:1000]
    except Exception as err:
        shown = f"<a {type(value).__name__} whose repr raised {type(err).__name__}>"
    out.tagged += 1
    return {"__object__": _text(type(value).__name__, out), "repr": _text(shown, out)}


def _admit_mapping(value: Mapping[Any, Any], depth: int, out: Admitted) -> JsonValue:
    # A snapshot, then at most MAX_ITEMS of it: an agent's object may change the mapping
    # while it is read (its `call()`, its `repr`), or report a length its items are not.
    items = list(value.items())
    out.dropped += max(0, len(items) - MAX_ITEMS)
    depth += 1
    admitted = {
        (k if type(k) is str and _plain(k) else _text(str(k), out)): _admit(v, depth, out)
        for k, v in items[:MAX_ITEMS]
    }
    # A dict shaped like one of our tags is the agent's own: wrap it, so it stays a dict.
    if _TAG_KEYS.isdisjoint(admitted) or frozenset(admitted) not in _TAGS:
        return admitted
    out.tagged += 1
    return {"__dict__": admitted}


def _admit_list(value: list[Any] | tuple[Any, ...], depth: int, out: Admitted) -> JsonValue:
    out.dropped += max(0, len(value) - MAX_ITEMS)
    return [_admit(v, depth + 1, out) for v in value[:MAX_ITEMS]]  # a snapshot, as above


_TAGS = frozenset(
    frozenset(keys)
    for keys in (
        {"__bytes__"},
        {"__float__"},
        {"__int__"},
        {"__object__", "repr"},
        {"__dict__"},
    )
)
"""The shapes `admit` gives values JSON cannot hold; an agent's dict of one of these shapes
is wrapped as `{"__dict__": …}` so it is never taken for a tag."""
_TAG_KEYS = frozenset().union(*_TAGS)


def revive(value: JsonValue) -> object:
    """The inverse of `admit`, as far as the world and replay need.

    Returns a value that the env treats exactly as it treated the admitted one. A tag that
    does not read (from a log written before tags were escaped) stays the dict it is.
    """
    if isinstance(value, list):
        return [revive(v) for v in value]
    if isinstance(value, dict):
        if _TAG_KEYS.isdisjoint(value):  # the usual dict: no tag could match
            return {k: revive(v) for k, v in value.items()}
        keys = set(value)
        try:
            if keys == {"__dict__"} and isinstance(value["__dict__"], dict):
                return {k: revive(v) for k, v in value["__dict__"].items()}
            if keys == {"__bytes__"}:
                return str(value["__bytes__"]).encode("utf-8")
            if keys == {"__float__"}:
                return float(value["__float__"])
            if keys == {"__int__"}:
                return HugeInt(math.inf if value["__int__"] == "+huge" else -math.inf)
            if keys == {"__object__", "repr"}:
                shown = str(value["repr"])
                return type(str(value["__object__"]), (), {"__repr__": lambda self: shown})()
        except (ValueError, TypeError):
            pass
        return {k: revive(v) for k, v in value.items()}
    return value


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number of {len(digits.lstrip('-')):,} digits")
    return int(digits)


DECODER = json.JSONDecoder(parse_int=_bounded_int)
"""A JSON decoder for untrusted text: an integer over `MAX_INT_DIGITS` digits is a ValueError."""


def loads(text: str) -> Any:
    """`json.loads` for untrusted text: integers and nesting bounded.

    Raises:
        ValueError: The text is not JSON, has an integer over `MAX_INT_DIGITS` digits,
            or nests too deeply to read (a `json.JSONDecodeError` for plain syntax errors).
    """
    try:
        return DECODER.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply to read") from None


_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")
_SECRET_OPTION = re.compile(
    r"(?i)\b((?:api[-_]?key|access[-_]?token|token|password|passwd|secret|key)\s*[=:]\s*)[^\s&,;]+"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    """`text` with credentials hidden.

    In URLs (`https://user:pass@host`, `?api-key=…`), options (`api_key=…`, `token: …`)
    and `Bearer` headers.
    """
    text = _URL_CREDENTIALS.sub(r"\1***@", text)
    return _BEARER.sub(r"\1***", _SECRET_OPTION.sub(r"\1***", text))


_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` safe for a terminal: escape sequences and control characters removed."""
    return _CONTROL.sub("", text)
