"""Text formats the env writes and agents read back: one definition for both sides.

The world's text views (`mailenv.world.agent_view`) writes observations with these functions, and
`mailenv.agents.observe` reads them back with the patterns defined beside each one, so
the two cannot drift apart. Nothing here imports the world: agents may import it.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

UNREAD_MARK = "(*)"
READ_MARK = "   "
UNREAD_LEGEND = f"{UNREAD_MARK} = unread"
NEW_MAIL = "New mail:"
NOW = "It is now "
SESSION_OVER = "The session is over"
FORWARD_HEADER = "---------- Forwarded message ----------"
NO_SUBJECT = "(no subject)"


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""English names, whatever the process's locale (and faster than `strftime`)."""


def clock(when: datetime) -> str:
    """The time of a call or a notice, e.g. "16:05"."""
    return f"{when.hour:02d}:{when.minute:02d}"


@lru_cache(maxsize=4096)
def stamp(when: datetime) -> str:
    """A date and time as the agent reads it, e.g. "Thu 12 Mar 16:05".

    Cached: every inbox listing stamps every line again, and episodes of one scenario
    share their times.
    """
    return f"{DAYS[when.weekday()]} {when.day} {MONTHS[when.month - 1]} {clock(when)}"


def inbox_line(unread: bool, email_id: str, sent_at: datetime, sender: str, subject: str) -> str:
    """One line of the inbox listing; `INBOX_LINE` reads it back."""
    return marked(unread, inbox_entry(email_id, sent_at, sender, subject))


def inbox_entry(email_id: str, sent_at: datetime, sender: str, subject: str) -> str:
    """An inbox line without its read mark: what stays the same once the email is sent."""
    return f"[{email_id}] {stamp(sent_at)}  {sender}  — {subject or NO_SUBJECT}"


MARKS = (f"{READ_MARK} ", f"{UNREAD_MARK} ")
"""What starts an inbox line, by whether the email is unread (`MARKS[unread]`)."""


def marked(unread: bool, entry: str) -> str:
    """An `inbox_entry` with its read mark: an inbox line."""
    return MARKS[bool(unread)] + entry


INBOX_LINE = re.compile(
    rf"^\s*(?:{re.escape(UNREAD_MARK)})?\s*\[(m\d+)\]\s+(.*?)\s{{2}}(.*?)\s{{2}}— (.*)$", re.M
)
"""Groups: id, date, sender, subject."""


def call_result(started: datetime, tool: str, text: str) -> str:
    """One call's line in the observation: "[16:05] read_email: …"."""
    return f"[{clock(started)}] {tool}: {text}"


CALL_RESULT = re.compile(r"^\[\d\d:\d\d\] (\w+):", re.M)
"""Group: the tool's name."""


def now_line(when: datetime) -> str:
    """The status line that ends every observation while the session runs."""
    return f"{NOW}{stamp(when)}."


def over_line(outcome: str | None, when: datetime) -> str:
    """The status line once the session is over, naming its outcome."""
    return f"{SESSION_OVER} ({outcome}). It is {stamp(when)}."


STATUS_LEADS = (NEW_MAIL, NOW, SESSION_OVER)
"""How the lines of an observation's status part (new mail, the time) begin."""
STATUS = re.compile("^(?:" + "|".join(re.escape(s) for s in STATUS_LEADS) + ")", re.M)
"""Where the status part of an observation begins."""

EMAIL_HEAD = ("Id", "Date", "From", "To", "Cc", "Subject", "In-Reply-To")
"""The header lines of an opened email, in order ("Name: value"), then a blank line."""


def quote(text: str) -> str:
    """Text quoted line by line, as mail clients quote a forwarded message."""
    return "\n".join("> " + line if line else ">" for line in text.split("\n"))


def file_stem(text: str, limit: int = 120) -> str:
    """`text` as a file name: runs of other characters become "-", at most `limit` long."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:limit] or "x"
