"""Text views of the world for agents: what an LLM reads."""

from __future__ import annotations

import re
from collections.abc import Sequence

from mailenv import formats as fmt
from mailenv.models import Email
from mailenv.world.company import World

# Observations are gymnasium Text; every character must be in OBSERVATION_CHARSET.
_OUTSIDE = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd]")
OBSERVATION_CHARSET = "\t\n\r" + "".join(
    chr(c) for c in [*range(0x20, 0x7F), *range(0xA0, 0xD800), *range(0xE000, 0xFFFE)]
)


def sanitize(text: str) -> str:
    """Replace characters an observation cannot carry (controls, astral emoji) with U+FFFD."""
    return _OUTSIDE.sub("\ufffd", text)


def who(world: World, address: str) -> str:
    """A person as mail shows them: "Name <address>", or the bare address."""
    person = world.people.get(address)
    return f"{person.name} <{address}>" if person else address


def inbox(
    world: World, viewer: str, ids: Sequence[str], entries: dict[str, str] | None = None
) -> str:
    """The inbox listing `viewer` reads: clean (see `sanitize`), as its lines are.

    `entries` keeps each email's line without its read mark, by id, for this viewer: an
    email does not change once sent, so a session lists its mailbox again without
    formatting every line again.
    """
    if not ids:
        return "No mail."
    entries = {} if entries is None else entries
    read, marks = world.read_by(viewer), fmt.MARKS
    lines = []
    for email_id in ids:
        entry = entries.get(email_id)
        if entry is None:
            entry = entries[email_id] = inbox_entry(world, viewer, world.emails[email_id])
        lines.append(marks[email_id not in read] + entry)  # `fmt.marked`, without a call each
    return "\n".join(lines) + "\n" + fmt.UNREAD_LEGEND


def inbox_entry(world: World, viewer: str, email: Email) -> str:
    """`email`'s line in `viewer`'s inbox listing, without its read mark, sanitized.

    So a listing, made of these lines and our own marks, is clean as it is made.
    """
    return sanitize(_entry(world, viewer, email))


def inbox_entries(world: World, viewer: str, emails: Sequence[Email]) -> list[str]:
    """`inbox_entry` of each of `emails`, sanitized in one pass.

    `sanitize` keeps every length, so each line is cut back out of the joined text (a
    reset makes a dozen lines: one pass instead of one each saves most of the time).
    """
    lines = [_entry(world, viewer, email) for email in emails]
    clean = sanitize("".join(lines))
    out, at = [], 0
    for line in lines:
        out.append(clean[at : at + len(line)])
        at += len(line)
    return out


def _entry(world: World, viewer: str, email: Email) -> str:
    sender = "you" if email.sender == viewer else who(world, email.sender)
    return fmt.inbox_entry(email.id, email.sent_at, sender, email.subject)


def email_view(world: World, email: Email) -> str:
    """One email as the agent reads it: the header lines, a blank line, the body."""
    values = {
        "Id": email.id,
        "Date": fmt.stamp(email.sent_at),
        "From": who(world, email.sender),
        "To": ", ".join(who(world, a) for a in email.to),
        "Cc": ", ".join(who(world, a) for a in email.cc),
        "Subject": email.subject or fmt.NO_SUBJECT,
        "In-Reply-To": email.in_reply_to or "",
    }
    head = [f"{name}: {values[name]}" for name in fmt.EMAIL_HEAD if values[name]]
    return "\n".join(head) + "\n\n" + email.body


def forwarded(world: World, note: str, email: Email) -> str:
    """A forward's body: the note, then the original quoted line by line."""
    return (
        (note.rstrip() + "\n\n" if note.strip() else "")
        + fmt.FORWARD_HEADER
        + "\n"
        + fmt.quote(email_view(world, email))
    )


def mail_notice(world: World, email: Email) -> str:
    """One line announcing new mail in an observation."""
    sender = who(world, email.sender)
    return (
        f"  [{email.id}] {fmt.clock(email.sent_at)}  {sender}  — {email.subject or fmt.NO_SUBJECT}"
    )
