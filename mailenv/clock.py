"""The simulated clock: the only notion of time inside an episode."""

from __future__ import annotations

from datetime import datetime, timedelta


class SimClock:
    """A datetime that only moves forward, and only when the simulation says so."""

    __slots__ = ("_now",)

    def __init__(self, start: datetime) -> None:
        self._now = start

    @property
    def now(self) -> datetime:
        return self._now

    def advance(self, minutes: float) -> datetime:
        if minutes < 0:
            raise ValueError("the clock cannot move backwards")
        self._now += timedelta(minutes=minutes)
        return self._now

    def advance_to(self, when: datetime) -> datetime:
        """Move to `when` if it is later; an earlier time leaves the clock where it is."""
        if when > self._now:
            self._now = when
        return self._now
