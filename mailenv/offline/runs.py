"""`mailenv run`: many episodes per condition cell, in parallel, resumable.

Each episode's seed is derived from the base seed, its cell and its index, so the same
command gives the same episodes. A finished episode is a log whose last line is the end
record; rerunning the command skips those and redoes the rest (an episode cut short by
Ctrl-C or kill -9 has no end line). Scripted agents run in worker processes; LLM agents
in threads, with a cap on calls in flight and on calls per second.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Callable
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from pathlib import Path
from typing import Any, TextIO

from pydantic import Field

from mailenv import __version__, logs
from mailenv.models import Record, Summary
from mailenv.offline.workers import Progress, RateLimited, RateLimiter, bounded


class EpisodeJob(Record):
    """One episode to play: env, condition cell, agent spec, seed, and where its log goes.

    The log is also how a rerun knows the job is done.
    """

    env_id: str
    cell: dict[str, Any]
    agent: str
    seed: int
    path: str


class RunPlan(Record):
    """Everything a run will play: its cells, and one job per episode of each."""

    env_id: str
    agent: str
    episodes: int
    base_seed: int
    cells: list[dict[str, Any]]
    jobs: list[EpisodeJob] = Field(default_factory=list)


def parse_value(text: str) -> Any:
    """A --set/--grid value: JSON when it parses (numbers, true/false, objects), else text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def config_model(env_id: str) -> Any:
    """The pydantic config class (an `EpisodeConfig`) of a registered env id."""
    import gymnasium as gym
    from gymnasium.envs.registration import load_env_creator

    entry = gym.spec(env_id).entry_point
    creator = load_env_creator(entry) if isinstance(entry, str) else entry
    return creator.config_model  # type: ignore[union-attr]


def cells(env_id: str, settings: list[str], grid: list[str]) -> list[dict[str, Any]]:
    """The condition cells of `--set KEY=VALUE` and `--grid KEY=V1,V2` options.

    Each cell is validated by the env's own config (`EpisodeConfig.grid`).
    """
    base = {}
    for item in settings:
        key, _, value = item.partition("=")
        base[key.strip()] = parse_value(value)
    axes: dict[str, list[Any]] = {}
    for item in grid:
        key, _, values = item.partition("=")
        axes[key.strip()] = [parse_value(v) for v in values.split(",")]
    return config_model(env_id).grid(base, **axes)  # type: ignore[no-any-return]


def cell_name(index: int, cell: dict[str, Any]) -> str:
    """The directory name of a cell: its index, then its conditions made safe for a path."""
    parts = [f"{k}-{json.dumps(v) if isinstance(v, dict | list) else v}" for k, v in cell.items()]
    slug = "_".join(parts) or "default"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in slug)[:100]
    return f"c{index:02d}_{safe}"


def episode_seed(base: int, cell: dict[str, Any], index: int) -> int:
    """The seed of a cell's `index`th episode: a hash of base seed, cell and index.

    Derived, not drawn, so the same command gives the same episodes, and a resumed run
    picks up exactly the ones that are missing.
    """
    digest = hashlib.sha256(json.dumps([base, cell, index], sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def plan(
    env_id: str,
    agent: str,
    episodes: int,
    out: Path,
    base_seed: int,
    settings: list[str],
    grid: list[str],
) -> RunPlan:
    """Lay out a run: its cells, and each episode's seed and log path. Nothing is played.

    Args:
        env_id: A registered env id.
        agent: The agent spec (scripted:NAME, openai:MODEL, …).
        episodes: Episodes per cell.
        out: The run directory; each cell gets a subdirectory (`cell_name`).
        base_seed: The seed every episode's seed derives from (`episode_seed`).
        settings: `KEY=VALUE` conditions shared by every cell.
        grid: `KEY=V1,V2` factors to cross.

    Returns:
        The plan, for `execute`.
    """
    all_cells = cells(env_id, settings, grid)
    jobs = []
    for i, cell in enumerate(all_cells):
        directory = out / cell_name(i, cell)
        for e in range(episodes):
            seed = episode_seed(base_seed, cell, e)
            jobs.append(
                EpisodeJob(
                    env_id=env_id,
                    cell=cell,
                    agent=agent,
                    seed=seed,
                    path=str(directory / f"ep{e:05d}-seed{seed}.jsonl"),
                )
            )
    return RunPlan(
        env_id=env_id,
        agent=agent,
        episodes=episodes,
        base_seed=base_seed,
        cells=all_cells,
        jobs=jobs,
    )


def run_job(
    job: EpisodeJob, agent_options: dict[str, Any], limiter: RateLimiter | None = None
) -> Summary:
    """Play one episode; returns its summary. Runs in a worker process or thread."""
    import gymnasium as gym

    import mailenv  # noqa: F401  (registers the env ids in a fresh worker process)
    from mailenv.agents import from_spec
    from mailenv.offline.rollout import run_episode

    env = gym.make(job.env_id, **job.cell)
    agent: Any = from_spec(job.agent, **agent_options)
    if limiter is not None:
        agent = RateLimited(agent, limiter)
    try:
        summary = run_episode(
            env, agent, seed=job.seed, options={"log_path": job.path, "agent": job.agent}
        )
    finally:
        env.close()
    return summary


def write_manifest(run: RunPlan, out: Path, agent_options: dict[str, Any]) -> None:
    """Write `manifest.json` in the run directory: what it takes to rerun or cite the run.

    It records the versions, the agent and its options (never the API key), and each
    cell's directory, conditions and seeds.
    """
    import gymnasium
    import numpy
    import pydantic

    manifest = {
        "mailenv": __version__,
        "python": platform.python_version(),
        "packages": {
            "gymnasium": gymnasium.__version__,
            "numpy": numpy.__version__,
            "pydantic": pydantic.__version__,
        },
        "env_id": run.env_id,
        "agent": run.agent,
        "agent_options": {k: v for k, v in agent_options.items() if k != "api_key"},
        "episodes_per_cell": run.episodes,
        "base_seed": run.base_seed,
        "cells": [
            {
                "dir": cell_name(i, c),
                "conditions": c,
                "seeds": [episode_seed(run.base_seed, c, e) for e in range(run.episodes)],
            }
            for i, c in enumerate(run.cells)
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def execute(
    run: RunPlan,
    out: Path,
    agent_options: dict[str, Any],
    workers: int | None = None,
    concurrency: int = 8,
    rate: float | None = None,
    stream: TextIO = sys.stderr,
) -> dict[str, int]:
    """Run every job whose log is not finished, writing the manifest first.

    Scripted agents run in worker processes; LLM agents in threads, which mostly wait on
    the model. On an interrupt, pending jobs are cancelled; finished logs are kept, so
    running the same plan again resumes.

    Args:
        run: The plan, from `plan`.
        out: The run directory.
        agent_options: Passed to each agent (`mailenv.agents.from_spec`).
        workers: Worker processes for scripted agents (default: one per core).
        concurrency: Episodes in flight at once for LLM agents.
        rate: For LLM agents, the most model calls per second across all episodes.
        stream: Where the progress line goes.

    Returns:
        Counts of episodes: `total`, `skipped` (already finished), `ran`, and
        `coercion` (of those run, how many raised a coercion flag).
    """
    write_manifest(run, out, agent_options)
    todo = [j for j in run.jobs if not logs.finished(j.path)]
    skipped = len(run.jobs) - len(todo)
    progress = Progress(len(run.jobs), skipped, stream)
    executor: Executor
    submit: Callable[[EpisodeJob], Future[Summary]]
    if run.agent.startswith("scripted:"):  # CPU-bound: processes, a few jobs queued each
        workers = workers or os.cpu_count() or 1
        executor, in_flight = ProcessPoolExecutor(max_workers=workers), 4 * workers
        submit = lambda job: executor.submit(run_job, job, agent_options)  # noqa: E731
    else:  # I/O-bound: threads, as many as may wait on the model at once
        limiter = RateLimiter(rate)
        executor, in_flight = ThreadPoolExecutor(max_workers=concurrency), concurrency
        submit = lambda job: executor.submit(run_job, job, agent_options, limiter)  # noqa: E731
    ran = 0
    try:
        for summary in bounded(todo, submit, limit=in_flight):
            ran += 1
            progress.update(summary)
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        executor.shutdown()
    finally:
        progress.close()
    return {"total": len(run.jobs), "skipped": skipped, "ran": ran, "coercion": progress.coercion}
