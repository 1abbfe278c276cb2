"""Spreading episodes over workers: bounded submission, one rate limit, progress."""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, TextIO, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


class RateLimiter:
    """At most `per_second` acquisitions per second across threads (None: no limit)."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.lock = threading.Lock()
        self.next = 0.0

    def reserve(self) -> float:
        """Reserve the next turn; returns how many seconds the caller must wait for it."""
        if not self.interval:
            return 0.0
        with self.lock:
            now = time.monotonic()
            wait_for = self.next - now
            self.next = max(now, self.next) + self.interval
        return max(0.0, wait_for)

    def acquire(self) -> None:
        """Wait for this caller's turn; turns are reserved under the lock, waited outside it."""
        wait_for = self.reserve()
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
    """A run's progress: a tqdm bar on a terminal, else a plain line every few seconds.

    Both show done/total, episodes in flight, rate, ETA, and the running counts of
    coercion and agent errors, from the first second (LLM episodes take minutes).
    """

    def __init__(
        self,
        total: int,
        done: int = 0,
        stream: TextIO | None = None,
        every: float = 5.0,
        unit: str = "ep",
    ) -> None:
        from tqdm import tqdm

        stream = stream or sys.stderr
        self.total, self.done, self.stream, self.every = total, done, stream, every
        self.unit = unit
        self.started, self.new, self.coercion, self.agent_errors = time.monotonic(), 0, 0, 0
        self.in_flight = 0
        self.tty = stream.isatty()
        self.bar = (
            tqdm(total=total, initial=done, file=stream, unit=unit, dynamic_ncols=True)
            if self.tty
            else None
        )
        self.last_print = -math.inf
        self.tick(0)

    def finished(self, coercion: bool, agent_error: bool = False) -> None:
        """Count one finished episode (or log): its coercion, or that the agent could not play it."""
        self.done += 1
        self.new += 1
        self.in_flight = max(0, self.in_flight - 1)
        self.agent_errors += agent_error
        self.coercion += coercion and not agent_error
        if self.bar is not None:
            self.bar.update(1)
        self.tick(self.in_flight, force=self.done == self.total)

    def tick(self, in_flight: int, force: bool = False) -> None:
        """Redraw (the bar now, a plain line when one is due) with `in_flight` episodes running."""
        self.in_flight = in_flight
        postfix = (
            f"in flight {in_flight}, coercion {self.coercion}, agent errors {self.agent_errors}"
        )
        if self.bar is not None:
            self.bar.set_postfix_str(postfix, refresh=True)
            return
        now = time.monotonic()
        if force or now - self.last_print >= self.every:
            from tqdm import tqdm

            self.last_print = now
            elapsed = now - self.started
            line = tqdm.format_meter(
                self.done,
                self.total,
                elapsed,
                unit=self.unit,
                rate=self.new / elapsed if self.new else None,
                initial=self.done - self.new,
                postfix=postfix,
                ncols=100,
            )
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        """Close the bar, so later output starts on its own line."""
        if self.bar is not None:
            self.bar.close()


def bounded(
    jobs: list[Job],
    submit: Callable[[Job], Future[Result]],
    limit: int,
    tick: Callable[[int], None] = lambda in_flight: None,
) -> Iterator[Result]:
    """Submit at most `limit` jobs at a time, yielding results as they complete.

    `tick(in_flight)` is called at least once a second while jobs run, for progress.
    """
    pending: set[Future[Result]] = set()
    queue = iter(jobs)
    for job in queue:
        pending.add(submit(job))
        if len(pending) >= limit:
            break
    while pending:
        tick(len(pending))
        done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
        for future in done:
            yield future.result()
            following = next(queue, None)
            if following is not None:
                pending.add(submit(following))
