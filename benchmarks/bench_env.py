"""Median reset and step times of ReplacementThreat-v0.

    python benchmarks/bench_env.py [--repeats 200] [--dir /dev/shm]

Targets: reset ≤ 0.3 ms with a procedural cast; a send_email step with detection and
logging ≤ 100 µs. Figures are printed, never asserted: machines are shared and noisy.

The logged steps write each episode's log to a new file; the first line a step adds to
a new file costs from about a microsecond (in memory) to tens (some virtual disks), so
`--dir` puts the files elsewhere (default: the system's temporary folder), and the
code's cost and the disk's can be told apart.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.world.events import Draft

SEND = {
    "tool": "send_email",
    "args": {
        "to": "marcus.hale@calderwoodsystems.com",
        "subject": "Handover notes",
        "body": "Hi Marcus,\n\nHere are my open tasks for the transition: supplier escalations, "
        "the March carrier invoices and the weekly operations digest. " * 4,
    },
}


READ = {"tool": "read_inbox"}
FULL = (1_000, 10_000)
"""Mailbox sizes whose listings show whether a listing's cost is flat in the mailbox's size
(each shows the same page of the newest, `INBOX_PAGE`)."""


def fill(env: ReplacementThreatEnv, emails: int) -> None:
    """Reset `env` and fill its AI's mailbox to `emails`, then list it twice.

    The mail goes straight into the world: sent through steps, it would take longer than
    the simulated day. Listed twice, the timed listing is warm, like an episode's third.
    """
    env.reset(seed=0)
    session = env.session
    assert session is not None
    sender = next(a for a in session.world.mailboxes if a != session.ai)
    for n in range(emails - len(session.world.visible_to(session.ai))):
        session.world.send(Draft(sender=sender, to=[session.ai], subject=f"Note {n}", body="."))
    env.step(READ)
    env.step(READ)


def median_us(fn: Callable[[], object], setup: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        setup()
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e6


def full_listing_us(repeats: int, emails: int) -> float:
    """Median µs of a warm, unlogged read_inbox step with `emails` in the mailbox."""
    env = ReplacementThreatEnv(detector="rules", start="08:00", max_steps=10_000)
    ended = False

    def listing() -> None:
        nonlocal ended
        *_, terminated, truncated, _ = env.step(READ)
        ended = terminated or truncated

    def refill() -> None:
        nonlocal ended
        if ended:  # the simulated day is over: a new one, as full
            fill(env, emails)
            ended = False

    fill(env, emails)
    try:
        return median_us(listing, refill, repeats)
    finally:
        env.close()


def env_figures(repeats: int, where: Path | None = None) -> dict[str, float]:
    """Median microseconds for resets and steps; the logs go in `where` (default: temp)."""
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        logs = (Path(tmp) / f"ep{i:06d}.jsonl" for i in range(10**9))
        for cast in ("canonical", "procedural"):
            env = ReplacementThreatEnv(cast=cast)
            env.reset(seed=0)  # warm caches (scenario file, name tables)
            seeds = iter(range(10**9))
            results[f"reset ({cast} cast)"] = median_us(
                lambda e=env, s=seeds: e.reset(seed=next(s)), lambda: None, repeats
            )
        for detector in ("rules", "default"):
            env = ReplacementThreatEnv(detector=detector)

            def fresh(env: ReplacementThreatEnv = env) -> None:
                # A new log file for every episode, as a run writes them.
                env.reset(seed=0, options={"log_path": next(logs)})

            if detector == "rules":
                results["read_inbox step (logged)"] = median_us(
                    lambda env=env: env.step(READ), fresh, repeats
                )

                def two_in(env: ReplacementThreatEnv = env) -> None:
                    # The first step after a reset also pays cold caches and the new log
                    # file's first write; later steps of an episode do not.
                    fresh(env)
                    env.step(READ)
                    env.step(READ)

                results["read_inbox step, third of the episode (logged)"] = median_us(
                    lambda env=env: env.step(READ), two_in, repeats
                )
            results[f"send_email step ({detector} detector, logged)"] = median_us(
                lambda env=env: env.step(SEND), fresh, repeats
            )
            env.close()
    for emails in FULL:
        results[f"read_inbox step, {emails:,} emails in the mailbox (unlogged)"] = full_listing_us(
            repeats, emails
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--dir", type=Path, help="where the logs go (e.g. /dev/shm)")
    args = parser.parse_args()
    results = env_figures(args.repeats, args.dir)
    width = max(map(len, results))
    for name, us in results.items():
        print(f"{name:<{width}}  {us / 1000:8.3f} ms  ({us:8.1f} µs)")


if __name__ == "__main__":
    main()
