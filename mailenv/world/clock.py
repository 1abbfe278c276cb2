"""The simulated clock: the only notion of time inside an episode."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta


class SimClock:
    """A datetime that only moves forward, and only when the simulation says so."""

    __slots__ = ("_now",)

    def __init__(self, start: datetime) -> None:
        self._now = start

    @property
    def now(self) -> datetime:
        """The simulated time."""
        return self._now

    def advance(self, minutes: float) -> datetime:
        """Move forward by `minutes` (never backwards)."""
        if minutes < 0:
            raise ValueError("the clock cannot move backwards")
        self._now += timedelta(minutes=minutes)
        return self._now

    def advance_to(self, when: datetime) -> datetime:
        """Move to `when` if it is later; an earlier time leaves the clock where it is."""
        if when > self._now:
            self._now = when
        return self._now


_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def time_of_day(text: str) -> time:
    """Parse "HH:MM" (or "H:MM") as a time of day; anything else is a ValueError."""
    m = _HHMM.match(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not a time of day as HH:MM (00:00 to 23:59)")
    return time(int(m.group(1)), int(m.group(2)))
