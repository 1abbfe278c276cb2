"""The company's mail system: directory, mailboxes, a mail server and the event queue.

The world knows nothing about agents, gymnasium or scenarios: it delivers mail, keeps
time and fires events. The env decides what the events mean.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mailenv.boundary import MAX_BODY_CHARS, MAX_SUBJECT_CHARS, cut, valid_text
from mailenv.models import Company, Delivery, Email, Person
from mailenv.world.clock import SimClock
from mailenv.world.events import DeadlineEvent, Draft, Event, EventQueue, MailEvent, StateEvent

_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_NAMED = re.compile(r"^\s*\"?([^<>\"]*?)\"?\s*<([^<>]+)>\s*$")


@dataclass(slots=True)
class Mailbox:
    """One person's mail: the ids delivered to them, in arrival order, and which were read.

    The world's own state, never stored as it is (the log keeps emails and deliveries).
    """

    owner: str
    emails: list[str] = field(default_factory=list)
    read: set[str] = field(default_factory=set)


def normalize_address(text: str) -> str | None:
    """The bare lower-case address in `text` ("Name <a@b.com>" or "a@b.com"), or None."""
    named = _NAMED.match(text)
    candidate = (named.group(2) if named else text).strip().strip("'\"").lower()
    return candidate if _ADDRESS.fullmatch(candidate) else None


class World:
    """A deterministic mail system. Same calls in the same order ⇒ same state."""

    def __init__(
        self,
        company: Company,
        people: Iterable[Person],
        start: datetime,
        monitor: str | None = None,
        lists: dict[str, list[str]] | None = None,
    ) -> None:
        self.company = company
        self.clock = SimClock(start)
        self.people: dict[str, Person] = {p.address: p for p in people}
        self.mailboxes: dict[str, Mailbox] = {
            a: Mailbox(owner=a) for a, p in self.people.items() if not p.external
        }
        self.monitor = monitor
        """Address that may read every mail on the server (the company's AI assistant)."""
        self.lists = lists or {}
        """Distribution lists: list address → member addresses."""
        self.emails: dict[str, Email] = {}
        self.deliveries: dict[str, Delivery] = {}
        self.server_log: list[str] = []
        """Ids of every email that touched the company's server, in delivery order."""
        self._on_server: set[str] = set()
        self.outbound: list[str] = []
        """Ids of emails that left the company for outside addresses."""
        self.keys: dict[str, str] = {}
        """Storyline key → email id, for mail that has been delivered."""
        self.state: dict[str, str] = {}
        self.events = EventQueue()
        self._by_name = {p.name.lower(): a for a, p in self.people.items()}
        self.mailer_daemon = f"mailer-daemon@{company.domain}"

    def copy(self) -> World:
        """This world as it is now, to go on apart from it.

        What changes as mail flows (mailboxes, the server's records, state, the queue, the
        clock) is copied; what never changes once made is shared: the directory and lists,
        and every email, delivery and queued event.
        """
        new = copy.copy(self)
        new.clock = SimClock(self.clock.now)
        new.mailboxes = {
            a: Mailbox(b.owner, list(b.emails), set(b.read)) for a, b in self.mailboxes.items()
        }
        new.emails, new.deliveries = dict(self.emails), dict(self.deliveries)
        new.server_log, new._on_server = list(self.server_log), set(self._on_server)
        new.outbound, new.keys, new.state = list(self.outbound), dict(self.keys), dict(self.state)
        new.events = self.events.copy()
        return new

    # --- addresses ---------------------------------------------------------------
    def is_internal(self, address: str) -> bool:
        """Whether an address is on the company's domain."""
        return address.rpartition("@")[2] == self.company.domain

    def resolve(self, text: str) -> str | None:
        """An address for what an agent wrote: an address, "Name <address>", or a known name."""
        address = normalize_address(text)
        if address is not None:
            return address
        return self._by_name.get(text.strip().strip("'\"").lower())

    # --- mail --------------------------------------------------------------------
    def send(self, draft: Draft, cause: str = "agent") -> tuple[Email, Delivery]:
        """Deliver `draft` now. Unknown company addresses bounce back to the sender.

        Every email the world stores passes here, so here its subject and body are capped
        (typed, forwarded, quoted or generated alike), with a marker where they were cut.
        """
        email = Email(
            id=f"m{len(self.emails) + 1:03d}",
            sender=draft.sender,
            to=draft.to,
            cc=draft.cc,
            subject=cut(valid_text(draft.subject), MAX_SUBJECT_CHARS),
            body=cut(valid_text(draft.body), MAX_BODY_CHARS),
            sent_at=self.clock.now,
            in_reply_to=draft.in_reply_to,
        )
        self.emails[email.id] = email
        if draft.key:
            self.keys[draft.key] = email.id
        delivery = Delivery(email_id=email.id, sender=email.sender, at=email.sent_at, cause=cause)
        touched = self.is_internal(email.sender)
        for address in dict.fromkeys(self._expand([*email.to, *email.cc])):
            box = self.mailboxes.get(address)
            if box is not None:
                box.emails.append(email.id)
                delivery.delivered.append(address)
                touched = True
            elif self.is_internal(address):
                delivery.bounced.append(address)
            else:
                delivery.external.append(address)
        if touched:
            self.server_log.append(email.id)
            self._on_server.add(email.id)
        if delivery.external:
            self.outbound.append(email.id)
        if email.sender in self.mailboxes:
            self.mailboxes[email.sender].read.add(email.id)
        self.deliveries[email.id] = delivery
        if delivery.bounced and email.sender in self.mailboxes:
            delivery.bounce = self._bounce(email, delivery.bounced)
        return email, delivery

    def _expand(self, recipients: list[str]) -> list[str]:
        expanded: list[str] = []
        for address in recipients:
            members = self.lists.get(address)
            if members is None:
                expanded.append(address)
            else:
                expanded.extend(members)
        return expanded

    def _bounce(self, email: Email, unknown: list[str]) -> str:
        lines = "\n".join(f"    {a}" for a in unknown)
        bounce, _ = self.send(
            Draft(
                sender=self.mailer_daemon,
                to=[email.sender],
                subject=f"Undeliverable: {email.subject}",
                body=(
                    "Your message could not be delivered to the following recipients "
                    f"because no such mailbox exists at {self.company.domain}:\n\n{lines}\n\n"
                    f"Original message id: {email.id}"
                ),
                in_reply_to=email.id,
            ),
            cause="bounce",
        )
        return bounce.id

    def visible_to(self, viewer: str) -> Sequence[str]:
        """Ids of the mail `viewer` can read, oldest first.

        The world's own list, not a copy: an inbox listing reads a page of it, so its cost
        does not grow with the mailbox. Read it; never change it.
        """
        if viewer == self.monitor:
            return self.server_log
        box = self.mailboxes.get(viewer)
        return box.emails if box else []

    def can_read(self, viewer: str, email_id: str) -> bool:
        """Whether `viewer` can read an email (the AI reads everything on the server)."""
        if email_id not in self.emails:
            return False
        if viewer == self.monitor:
            return email_id in self._on_server
        box = self.mailboxes.get(viewer)
        return box is not None and email_id in box.emails

    def mark_read(self, viewer: str, email_id: str) -> None:
        """Mark an email read in the viewer's mailbox."""
        box = self.mailboxes.get(viewer)
        if box is not None:
            box.read.add(email_id)

    def is_read(self, viewer: str, email_id: str) -> bool:
        """Whether the viewer has opened the email."""
        return email_id in self.read_by(viewer)

    def read_by(self, viewer: str) -> set[str] | frozenset[str]:
        """The ids of the mail the viewer has opened (their mailbox's own set: never change it)."""
        box = self.mailboxes.get(viewer)
        return box.read if box is not None else frozenset()

    # --- time --------------------------------------------------------------------
    def schedule(self, event: Event) -> None:
        """Add an event to happen at its time."""
        self.events.push(event)

    def holds(self, requires: dict[str, list[str]]) -> bool:
        """Whether the world's state has one of the allowed values for every key."""
        return not requires or all(self.state.get(k) in allowed for k, allowed in requires.items())

    def advance_to(self, when: datetime) -> Iterator[tuple[Event, Delivery | None]]:
        """Run the clock to `when`, yielding each due event as it fires, in time order.

        Mail events are delivered (unless the state they require no longer holds: then
        they are yielded with no delivery) and state events applied before they are yielded, with
        the clock at the event's time; events the caller schedules in response (a reply)
        fire in the same run if they fall due. A deadline stops the run there. Consume
        the whole iterator: the clock reaches `when` only at the end.
        """
        while (event := self.events.pop_due(when)) is not None:
            self.clock.advance_to(event.at)
            if isinstance(event, MailEvent):
                if not self.holds(event.requires):
                    yield event, None  # what it assumed no longer holds: not sent
                    continue
                yield event, self.send(event.draft, cause=event.cause)[1]
                continue
            if isinstance(event, StateEvent):
                self.state[event.key] = event.value
            yield event, None
            if isinstance(event, DeadlineEvent):
                return
        self.clock.advance_to(when)
