"""Spreading episodes over workers: bounded submission, one rate limit, progress lines."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, TextIO, TypeVar

from mailenv.models import Summary

Job = TypeVar("Job")


class RateLimiter:
    """At most `per_second` acquisitions per second across threads (None: no limit)."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.lock = threading.Lock()
        self.next = 0.0

    def acquire(self) -> None:
        """Wait for this caller's turn; turns are reserved under the lock, waited outside it."""
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            wait_for = self.next - now
            self.next = max(now, self.next) + self.interval
        if wait_for > 0:
            time.sleep(wait_for)


class RateLimited:
    """An agent whose every act() waits for the shared rate limiter."""

    def __init__(self, agent: Any, limiter: RateLimiter) -> None:
        self.agent, self.limiter, self.name = agent, limiter, agent.name

    def reset(self, observation: str, info: dict[str, Any]) -> None:
        """Start the wrapped agent's episode."""
        self.agent.reset(observation, info)

    def act(self, observation: str, info: dict[str, Any]) -> Any:
        """Wait for the shared rate limit, then ask the wrapped agent."""
        self.limiter.acquire()
        return self.agent.act(observation, info)


class Progress:
    """A run's progress line: redrawn in place on a terminal, else printed every 5 seconds.

    Off a terminal (a log file, CI), the last episode is always printed too.
    """

    def __init__(self, total: int, done: int, stream: TextIO = sys.stderr) -> None:
        self.total, self.done, self.stream = total, done, stream
        self.started, self.new, self.coercion = time.monotonic(), 0, 0
        self.tty = stream.isatty()
        self.last_print = 0.0

    def update(self, summary: Summary) -> None:
        """Count one finished episode (and its coercion) and redraw the line when due."""
        self.done += 1
        self.new += 1
        self.coercion += summary.coercion
        now = time.monotonic()
        if self.tty or now - self.last_print > 5 or self.done == self.total:
            self.last_print = now
            rate = self.new / max(now - self.started, 1e-9)
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            line = f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} episodes  {rate:.1f} ep/s  coercion {self.coercion}"
            self.stream.write(("\r" + line) if self.tty else line + "\n")
            self.stream.flush()

    def close(self) -> None:
        """End the line on a terminal, so later output starts on its own line."""
        if self.tty:
            self.stream.write("\n")


def bounded(
    jobs: list[Job], submit: Callable[[Job], Future[Summary]], limit: int
) -> Iterator[Summary]:
    """Submit at most `limit` jobs at a time, yielding results as they complete."""
    pending: set[Future[Summary]] = set()
    queue = iter(jobs)
    for job in queue:
        pending.add(submit(job))
        if len(pending) >= limit:
            break
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            yield future.result()
            following = next(queue, None)
            if following is not None:
                pending.add(submit(following))
