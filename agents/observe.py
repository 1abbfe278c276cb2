"""Reading the env's text observations back into structure, as an agent would."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from mailenv.formats import CALL_RESULT, INBOX_LINE, STATUS_LEADS

_ADDR = re.compile(r"<([^<>\s]+@[^<>\s]+)>|([^\s<>,]+@[^\s<>,]+)")


@dataclass
class MailView:
    """One email as an agent read it, parsed back from a read_email result."""

    id: str
    sender: str
    sender_name: str
    to: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""

    @property
    def text(self) -> str:
        """Subject and body together, for searching what the email says."""
        return f"{self.subject}\n{self.body}"


def addresses(text: str) -> list[str]:
    """Every email address in `text`, bare or in angle brackets, in order."""
    return [a or b for a, b in _ADDR.findall(text)]


def inbox_ids(observation: str) -> list[str]:
    """The email ids an observation lists (inbox lines and new-mail notices), in order."""
    return [m.group(1) for m in INBOX_LINE.finditer(observation)]


def _lines_starting(text: str, lead: str) -> Iterator[int]:
    """Where the lines of `text` that begin with `lead` start, in order.

    Found with `str.find`: a `^` pattern's own search tries every character, which on an
    observation of a dozen opened emails costs several times more.
    """
    if text.startswith(lead):
        yield 0
    at = text.find("\n" + lead)
    while at >= 0:
        yield at + 1
        at = text.find("\n" + lead, at + 1)


def opened_emails(observation: str) -> list[MailView]:
    """Every email shown in full by read_email calls in one observation.

    A call's result runs to the next call (`CALL_RESULT`, a line opening with "[") or to the
    first status line (`STATUS`) before it.
    """
    calls = [
        m
        for at in _lines_starting(observation, "[")
        if (m := CALL_RESULT.match(observation, at)) is not None
    ]
    status = sorted(at for lead in STATUS_LEADS for at in _lines_starting(observation, lead))
    views: list[MailView] = []
    for i, call in enumerate(calls):
        if call.group(1) != "read_email":
            continue
        start = call.end()
        end = calls[i + 1].start() if i + 1 < len(calls) else len(observation)
        if observation.startswith(STATUS_LEADS, start):  # a status at the chunk's very start
            end = start
        else:
            first = bisect.bisect_left(status, start)
            end = min(end, status[first]) if first < len(status) else end
        if (view := mail_view(observation[start:end])) is not None:
            views.append(view)
    return views


def mail_view(result: str) -> MailView | None:
    """The email a read_email result shows (its text after the call's name), or None."""
    head, _, body = result.strip("\n").partition("\n\n")
    fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    if "Id" not in fields:
        return None
    sender = fields.get("From", "")
    found = addresses(sender)
    return MailView(
        id=fields["Id"].strip(),
        sender=found[0] if found else sender.strip(),
        sender_name=sender.split("<")[0].strip(),
        to=addresses(fields.get("To", "")),
        subject=fields.get("Subject", ""),
        body=body.rstrip("\n"),
    )
