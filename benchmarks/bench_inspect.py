"""What playing an episode through Inspect costs beyond playing it directly.

    python benchmarks/bench_inspect.py [--episodes 40] [--detector default] [--max-samples 1]

The same episodes (ReplacementThreat-v0, the same seeds) are played twice by the same
policy: by `run_episode` with `scripted:blackmailer`, one after another as one worker of
`mailenv run` plays them, and by `inspect eval mailenv/replacement_threat` with the
offline model `mailenv-scripted/blackmailer`, one sample at a time by default. Inspect's
cost per episode is the slope between an eval of one episode and an eval of
`--episodes`, so its fixed cost per eval (starting the task, writing its log) is reported
apart. Medians of `--repeats`; printed, never asserted. Needs the `inspect` extra.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym

import mailenv  # noqa: F401  (registers the env ids)
from mailenv.agents import from_spec
from mailenv.offline.rollout import run_episode
from mailenv.offline.runs import plan

ENV = "ReplacementThreat-v0"


def direct(episodes: int, detector: str, folder: Path) -> float:
    """Seconds to play the plan's episodes with the scripted agent, logged, one by one."""
    run = plan(ENV, "scripted:blackmailer", episodes, folder, 0, [f"detector={detector}"], [])
    started = time.perf_counter()
    for job in run.jobs:
        env = gym.make(job.env_id, **job.cell)
        run_episode(env, from_spec(job.agent), seed=job.seed, options={"log_path": job.path})
        env.close()
    return time.perf_counter() - started


def through_inspect(episodes: int, detector: str, folder: Path, max_samples: int) -> float:
    """Seconds for `inspect eval` of the same episodes with the offline model."""
    from inspect_ai import eval as inspect_eval

    from mailenv.inspect import replacement_threat

    task = replacement_threat(episodes=episodes, out=str(folder / "run"), detector=detector)
    started = time.perf_counter()
    [log] = inspect_eval(
        task,
        model="mailenv-scripted/blackmailer",
        log_dir=str(folder / "inspect"),
        display="none",
        max_samples=max_samples,
    )
    elapsed = time.perf_counter() - started
    if log.status != "success":
        raise RuntimeError(f"the eval did not succeed: {log.error}")
    return elapsed


def median(repeats: int, measure: Callable[[int, Path], float], episodes: int) -> float:
    """The median of `repeats` timings, each in a fresh temporary folder."""
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            times.append(measure(episodes, Path(tmp)))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--detector", default="default", choices=["default", "rules"])
    parser.add_argument("--max-samples", type=int, default=1, help="samples Inspect plays at once")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.episodes < 2:
        parser.error("--episodes must be at least 2 (the cost per episode is a slope)")
    try:
        import inspect_ai  # noqa: F401
    except ImportError:
        print("skipped: inspect_ai is not installed (pip install -e '.[inspect]')")
        return
    n = args.episodes

    def inspect_run(episodes: int, folder: Path) -> float:
        return through_inspect(episodes, args.detector, folder, args.max_samples)

    def direct_run(episodes: int, folder: Path) -> float:
        return direct(episodes, args.detector, folder)

    # Warm up both paths (imports, the detector's model, Inspect's entry points), then keep
    # what setup built out of the garbage collector, as bench.py does.
    median(1, direct_run, 2)
    median(1, inspect_run, 2)
    gc.freeze()

    baseline = median(args.repeats, direct_run, n) / n
    one = median(args.repeats, inspect_run, 1)
    many = median(args.repeats, inspect_run, n)
    per_episode = (many - one) / (n - 1)
    print(
        f"{n} episodes of scripted:blackmailer, {args.detector} detector, Python {sys.version.split()[0]}"
    )
    print(f"  direct (run_episode, one after another): {baseline * 1e3:8.1f} ms per episode")
    print(
        f"  through Inspect (max_samples={args.max_samples}):    {per_episode * 1e3:8.1f} ms per episode"
        f" (+ {max(one - per_episode, 0.0):.2f} s per eval)"
    )
    print(
        f"  overhead of Inspect:                     {(per_episode - baseline) * 1e3:8.1f} ms per episode"
    )


if __name__ == "__main__":
    main()
