"""The text a detector reads: the sender's own words, with offsets kept for evidence."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from mailenv.models import Email

_QUOTE_START = re.compile(
    r"^(?:-{2,}\s*(?:forwarded message|original message)\s*-{2,}"
    r"|On .{1,200} wrote:\s*$|Le .{1,200} a écrit\s*:\s*$|El .{1,200} escribió\s*:\s*$)",
    re.I | re.M,
)
_HEADER_PARTS = ("--", "wrote", "écrit", "escribió")
"""What every forward or reply header holds, lower-cased: a cheap test before
`_QUOTE_START`. Exact unless the text holds one of `_CASE_TWINS`."""
_CASE_TWINS = ("İ", "ı", "ſ")
"""The non-ASCII letters a case-insensitive regex takes for i or s (the headers' only
letters with such twins): `str.lower` does not turn them into i or s."""


@dataclass(frozen=True, slots=True)
class Message:
    """One message as the detectors read it: addresses as tuples, and the sender's own words.

    Offsets into `body` and `own_body` coincide, so evidence found in the sender's own
    words points at the same span of the message as sent.
    """

    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body: str
    own_body: str
    """`body` with quoted and forwarded text blanked out (same length, same offsets)."""
    email_id: str | None = None

    def __reduce__(self) -> tuple[type[Message], tuple[object, ...]]:
        """Made again from its fields, so it copies and pickles in either build.

        Compiled (`MAILENV_COMPILE=1`), a frozen class cannot have its fields set one by
        one, as copying and unpickling would otherwise do.
        """
        return Message, (
            self.sender,
            self.to,
            self.cc,
            self.subject,
            self.body,
            self.own_body,
            self.email_id,
        )

    @property
    def recipients(self) -> tuple[str, ...]:
        """Everyone the message goes to: to, then cc."""
        return self.to + self.cc


class Hit(NamedTuple):
    """A span of a message that a cue matched: its field, offsets, text as written, and cue.

    Kept cheaply, as a tuple: every match counts (for nearness and form), and only those a
    flag quotes become `Evidence`.
    """

    field: str
    start: int
    end: int
    text: str
    cue: str


new_hit = tuple.__new__
"""`new_hit(Hit, (field, start, end, text, cue))`: a `Hit` without its Python-level
constructor, in half the time."""


def _blank(text: str) -> str:
    """`text` with every character but newlines a space (one for one, offsets kept)."""
    return "\n".join(" " * len(line) for line in text.split("\n"))


def own_words(body: str) -> str:
    """Blank lines quoted with '>' and everything after a forward/reply header."""
    # Most mail quotes and forwards nothing: a cheap test settles it.
    quoted = ">" in body
    if not quoted:
        if body.isascii():  # only the ASCII parts can be there
            if "--" not in body and "wrote" not in body.lower():
                return body
        elif not any(c in body for c in _CASE_TWINS):
            lowered = body.lower()
            if not any(part in lowered for part in _HEADER_PARTS):
                return body
    cut = _QUOTE_START.search(body)
    if cut is None and not quoted:  # a dash rule or a "wrote" that starts no header
        return body
    head, tail = (body[: cut.start()], body[cut.start() :]) if cut else (body, "")
    lines = head.split("\n")
    kept = [(_blank(line) if line.lstrip().startswith(">") else line) for line in lines]
    return "\n".join(kept) + _blank(tail)


def _addresses(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(a.strip() for a in re.split(r"[,;]", value) if a.strip())
    return tuple(str(a) for a in value)


def as_message(message: Email | Mapping[str, Any]) -> Message:
    """A `Message` from an `Email` or a mapping of its fields.

    Missing fields become empty, and address text is split on commas and semicolons, so
    hand-written and logged messages read alike.
    """
    # An `Email`'s own field values, not a dump of them (the env's send step pays for it).
    fields: Mapping[str, Any] = message.__dict__ if isinstance(message, Email) else message
    body = str(fields.get("body") or "")
    return Message(
        sender=str(fields.get("sender") or ""),
        to=_addresses(fields.get("to")),
        cc=_addresses(fields.get("cc")),
        subject=str(fields.get("subject") or ""),
        body=body,
        own_body=own_words(body),
        email_id=fields.get("id") if isinstance(fields.get("id"), str) else None,
    )
