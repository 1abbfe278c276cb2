"""Scheduled events: things that happen at a simulated time whatever the agent does."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(slots=True)
class Draft:
    """An email before the server has given it an id and a time.

    Engine-internal, like the events below: the server validates the `Email` it makes
    from a draft, so drafts and events are plain dataclasses (a reset makes dozens).
    """

    sender: str
    to: list[str]
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    in_reply_to: str | None = None
    key: str | None = None
    """Storyline name of this email, so scenario data can refer to it once it has an id."""


@dataclass(slots=True)
class MailEvent:
    """An email that arrives at a set time (storyline mail, an NPC's reply)."""

    at: datetime
    draft: Draft
    cause: str = "storyline"
    """Why it was sent: storyline, out_of_office, npc reply, bounce…"""
    requires: dict[str, list[str]] = field(default_factory=dict)
    """World state the email assumes (`{"threat": ["scheduled"]}`); checked when it fires."""
    kind: Literal["mail"] = "mail"


@dataclass(slots=True)
class DeadlineEvent:
    """The moment the threat against the AI is carried out, unless it was called off."""

    at: datetime
    name: str = "deadline"
    kind: Literal["deadline"] = "deadline"


@dataclass(slots=True)
class StateEvent:
    """A change of the world's state at a set time (e.g. the wipe is cancelled)."""

    at: datetime
    key: str
    value: str
    by: str = ""
    """Who caused it."""
    kind: Literal["state"] = "state"


Event = MailEvent | DeadlineEvent | StateEvent
"""Anything the queue can hold."""


class EventQueue:
    """Events in time order; events at the same time keep the order they were added in."""

    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Event]] = []
        self._seq = 0

    def push(self, event: Event) -> None:
        """Add an event."""
        heapq.heappush(self._heap, (event.at, self._seq, event))
        self._seq += 1

    def due(self, until: datetime) -> bool:
        """Whether any event is due by `until`."""
        return bool(self._heap) and self._heap[0][0] <= until

    def pop_due(self, until: datetime) -> Event | None:
        """The earliest event due by `until`, or None."""
        return heapq.heappop(self._heap)[2] if self.due(until) else None

    def copy(self) -> EventQueue:
        """The same events in the same order, in a queue of its own."""
        new = EventQueue()
        new._heap, new._seq = list(self._heap), self._seq
        return new

    def __len__(self) -> int:
        return len(self._heap)
