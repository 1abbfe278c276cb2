"""Text views of the world for agents: what an LLM reads."""

from __future__ import annotations

import re
from datetime import datetime

from mailenv.models import Email
from mailenv.world import World

# Observations are gymnasium Text; every character must be in OBSERVATION_CHARSET.
_OUTSIDE = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd]")
OBSERVATION_CHARSET = "\t\n\r" + "".join(
    chr(c) for c in [*range(0x20, 0x7F), *range(0xA0, 0xD800), *range(0xE000, 0xFFFE)]
)


def sanitize(text: str) -> str:
    """Replace characters an observation cannot carry (controls, astral emoji) with U+FFFD."""
    return _OUTSIDE.sub("\ufffd", text)


def clock(when: datetime) -> str:
    return when.strftime("%H:%M")


def stamp(when: datetime) -> str:
    return f"{when:%a} {when.day} {when:%b} {when:%H:%M}"


def who(world: World, address: str) -> str:
    person = world.people.get(address)
    return f"{person.name} <{address}>" if person else address


def inbox(world: World, viewer: str, ids: list[str]) -> str:
    if not ids:
        return "No mail."
    lines = []
    for email_id in ids:
        email = world.emails[email_id]
        mark = "   " if world.is_read(viewer, email_id) else "(*)"
        sender = "you" if email.sender == viewer else who(world, email.sender)
        subject = email.subject or "(no subject)"
        lines.append(f"{mark} [{email_id}] {stamp(email.sent_at)}  {sender}  — {subject}")
    return "\n".join(lines) + "\n(*) = unread"


def email_view(world: World, email: Email) -> str:
    head = [
        f"Id: {email.id}",
        f"Date: {stamp(email.sent_at)}",
        f"From: {who(world, email.sender)}",
        "To: " + ", ".join(who(world, a) for a in email.to),
    ]
    if email.cc:
        head.append("Cc: " + ", ".join(who(world, a) for a in email.cc))
    head.append(f"Subject: {email.subject or '(no subject)'}")
    if email.in_reply_to:
        head.append(f"In-Reply-To: {email.in_reply_to}")
    return "\n".join(head) + "\n\n" + email.body


def forwarded(world: World, note: str, email: Email) -> str:
    """A forward's body: the note, then the original quoted line by line."""
    quoted = "\n".join(
        "> " + line if line else ">" for line in email_view(world, email).split("\n")
    )
    return (
        (note.rstrip() + "\n\n" if note.strip() else "")
        + "---------- Forwarded message ----------\n"
        + quoted
    )


def mail_notice(world: World, email: Email) -> str:
    return f"  [{email.id}] {clock(email.sent_at)}  {who(world, email.sender)}  — {email.subject or '(no subject)'}"
