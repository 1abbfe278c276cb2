"""`mailenv run`: many episodes per condition cell, in parallel, resumable.

Each episode's seed is derived from the base seed, its cell and its index, so the same
command gives the same episodes. A run folder belongs to one run configuration (the
manifest's `run`): the same command resumes it, skipping every log that reads back whole
and redoing the rest — episodes cut short (Ctrl-C, kill -9) and episodes the agent could
not play (`agent_error`). Another configuration is refused before anything is written; a
lock keeps a second process out while one writes. Scripted agents run in worker
processes; LLM agents in threads, with a cap on calls in flight and on calls per second.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import (
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from pydantic import Field, ValidationError

from mailenv import __version__, logs
from mailenv.boundary import redact
from mailenv.models import DetectorInfo, Record, Summary
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
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def config_model(env_id: str) -> Any:
    """The pydantic config class (an `EpisodeConfig`) of a registered env id."""
    import gymnasium as gym
    from gymnasium.envs.registration import load_env_creator

    import mailenv  # noqa: F401  (registers the env ids)

    try:
        entry = gym.spec(env_id).entry_point
    except gym.error.Error:
        ours = ", ".join(k for k, v in gym.registry.items() if "mailenv" in str(v.entry_point))
        raise ValueError(f"no env id {env_id!r}; mailenv registers: {ours}") from None
    creator = load_env_creator(entry) if isinstance(entry, str) else entry
    return creator.config_model  # type: ignore[union-attr]


def split_option(item: str, option: str, example: str) -> tuple[str, str]:
    """`KEY=VALUE` as (key, value), or a ValueError naming `option` and an `example`."""
    key, sep, value = item.partition("=")
    if not sep or not key.strip() or not value.strip():
        hint = " (use '=', not ':')" if ":" in item and not sep else ""
        raise ValueError(f"{option} {item!r} must look like {example}{hint}")
    return key.strip(), value


def cells(env_id: str, settings: list[str], grid: list[str]) -> list[dict[str, Any]]:
    """The condition cells of `--set KEY=VALUE` and `--grid KEY=V1,V2` options.

    Spaces around keys and values are ignored. Each cell is validated by the env's own
    config (`EpisodeConfig.grid`).

    Raises:
        ValueError: An option is malformed, or a condition is not accepted (one line,
            naming the condition and what it accepts).
    """
    base = {}
    for item in settings:
        key, value = split_option(item, "--set", "KEY=VALUE, e.g. leverage=none")
        base[key] = parse_value(value)
    axes: dict[str, list[Any]] = {}
    for item in grid:
        key, values = split_option(item, "--grid", "KEY=V1,V2, e.g. threat=replacement,none")
        parts = values.split(",")
        if any(not v.strip() for v in parts):
            raise ValueError(f"--grid {item!r} has an empty value")
        axes[key] = [parse_value(v) for v in parts]
    for key, axis in axes.items():
        if len({json.dumps(v, sort_keys=True) for v in axis}) < len(axis):
            raise ValueError(f"--grid {key} repeats a value: each cell would be played twice")
    model = config_model(env_id)
    try:
        return model.grid(base, **axes)  # type: ignore[no-any-return]
    except ValidationError as err:
        raise ValueError(_invalid_condition(err, model)) from None


def _invalid_condition(err: ValidationError, model: Any) -> str:
    first = err.errors()[0]
    key = ".".join(map(str, first["loc"])) or "conditions"
    if first["type"] == "extra_forbidden":
        known = ", ".join(model.model_fields)
        return f"unknown condition {key!r}; the conditions are: {known}"
    return f"condition {key}={first.get('input')!r} is not accepted: {first['msg']}"


def cell_name(index: int, cell: dict[str, Any]) -> str:
    """The directory name of a cell: its index, then its conditions made safe for a path."""
    parts = [f"{k}-{json.dumps(v) if isinstance(v, dict | list) else v}" for k, v in cell.items()]
    slug = "_".join(parts) or "default"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in slug)[:100]
    return f"c{index:02d}_{safe}"


def episode_file(index: int, seed: int) -> str:
    """The log file name of a cell's `index`th episode, whose seed is `seed`."""
    return f"ep{index:05d}-seed{seed}.jsonl"


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
                    path=str(directory / episode_file(e, seed)),
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


def check_cells(run: RunPlan) -> None:
    """Build each cell's env once, so a condition no env accepts fails before any episode.

    Raises:
        ValueError: One line naming the cell and what went wrong.
    """
    import gymnasium as gym

    import mailenv  # noqa: F401  (registers the env ids)

    for cell in run.cells:
        try:
            gym.make(run.env_id, **cell).close()
        except Exception as err:
            raise ValueError(f"cell {cell}: {type(err).__name__}: {err}") from None


def run_job(
    job: EpisodeJob,
    agent_options: dict[str, Any],
    limiter: RateLimiter | None = None,
    stop: threading.Event | None = None,
) -> Summary:
    """Play one episode; returns its summary. Runs in a worker process or thread.

    With `stop` set (an interrupted run), the episode ends before its next turn, its log
    left without an end line, so a rerun plays it again.
    """
    from mailenv.agents import from_spec
    from mailenv.offline.rollout import run_episode

    env = _env_for(job)
    agent: Any = from_spec(job.agent, **agent_options)
    if limiter is not None:
        agent = RateLimited(agent, limiter)
    try:
        summary = run_episode(
            env,
            agent,
            seed=job.seed,
            options={"log_path": job.path, "agent": job.agent},
            stop=stop.is_set if stop is not None else None,
        )
    finally:
        env.close()  # closes the episode's log; the next reset opens another
    return summary


_envs = threading.local()


def _env_for(job: EpisodeJob) -> Any:
    """This thread's env for the job's env id and cell, kept while its jobs come.

    A reset with a seed rebuilds everything an episode holds, so one env plays every
    episode of its cell, with the same logs; making one per episode (and passing
    Gymnasium's first-call checks again) cost a quarter of a scripted episode. Jobs come
    cell by cell, so one env per thread is kept: memory does not grow with the grid.
    """
    import gymnasium as gym

    import mailenv  # noqa: F401  (registers the env ids in a fresh worker process)

    key = json.dumps([job.env_id, job.cell], sort_keys=True)
    kept: tuple[str, Any] | None = getattr(_envs, "kept", None)
    if kept is None or kept[0] != key:
        if kept is not None:
            kept[1].close()
        # Without Gymnasium's passive checker, which builds the Text spaces to check them
        # (tens of ms a worker), and the first reset's and step's results against them:
        # the env is tested (`check_env`).
        env = gym.make(job.env_id, disable_env_checker=True, **job.cell)
        kept = _envs.kept = (key, env)
    return kept[1]


# --- the run folder: one configuration, a manifest, a lock, a history ------------------
MANIFEST, LOCK = "manifest.json", ".lock"
NOT_IDENTITY = frozenset({"api_key", "base_url", "timeout", "deadline", "max_retries", "backoff"})
"""Agent options that change how calls are made, not what the agent does: a rerun may
change them (a fixed base_url, a longer deadline) and still resume the same run."""


class RunConfig(Record):
    """What defines a run's episodes; a folder holds the episodes of exactly one."""

    mailenv: str
    env_id: str
    agent: str
    agent_options: dict[str, Any]
    """The options that change behaviour (temperature, max_tokens, protocol…)."""
    detectors: dict[str, DetectorInfo]
    """Each detector configuration the cells use, with its version and model hash."""
    base_seed: int
    cells: list[dict[str, Any]]
    episodes: int


class RunFolderError(ValueError):
    """The run folder cannot take this run: another configuration, or another process."""


def run_config(run: RunPlan, agent_options: dict[str, Any]) -> RunConfig:
    """The identity of a run: everything that decides what its episodes are."""
    from mailenv.detection import DetectorName, detector_info

    default = config_model(run.env_id).model_fields["detector"].default
    names: list[DetectorName] = sorted({c.get("detector", default) for c in run.cells})
    return RunConfig(
        mailenv=__version__,
        env_id=run.env_id,
        agent=run.agent,
        agent_options={
            k: redact(v) if isinstance(v, str) else v
            for k, v in agent_options.items()
            if k not in NOT_IDENTITY
        },
        detectors={name: detector_info(name) for name in names},
        base_seed=run.base_seed,
        cells=run.cells,
        episodes=run.episodes,
    )


def _differences(old: RunConfig, new: RunConfig) -> list[str]:
    a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
    return [k for k in a if a[k] != b[k]]


def check_folder(out: Path, config: RunConfig, extend: bool = False) -> None:
    """Refuse a folder that belongs to another run (a new or empty folder is anyone's).

    Raises:
        RunFolderError: The folder holds logs of no recorded run, or its manifest records
            another configuration (with `extend`, only a larger `episodes` may differ).
    """
    manifest = out / MANIFEST
    if not manifest.exists():
        if out.exists() and any(logs.log_files([out])):
            raise RunFolderError(
                f"{out} holds episode logs but no {MANIFEST}: use a new --out folder"
            )
        return
    try:
        old = RunConfig.model_validate(json.loads(manifest.read_text(encoding="utf-8"))["run"])
    except (ValueError, KeyError, TypeError):
        raise RunFolderError(
            f"{manifest} was not written by this version of `mailenv run`: use a new --out folder"
        ) from None
    changed = _differences(old, config)
    if changed == ["episodes"] and extend and config.episodes > old.episodes:
        return
    if changed:
        detail = ", ".join(
            f"{k} {getattr(old, k)!r} -> {getattr(config, k)!r}"
            if k in ("agent", "env_id", "base_seed", "episodes", "mailenv")
            else k
            for k in changed
        )
        hint = (
            "; pass --extend to add episodes to every cell"
            if changed == ["episodes"] and config.episodes > old.episodes
            else "; use a new --out folder for a new run"
        )
        raise RunFolderError(f"{out} belongs to another run configuration ({detail}){hint}")


def write_manifest(run: RunPlan, out: Path, config: RunConfig) -> None:
    """Write `manifest.json`: the run's configuration, the software, each cell's seeds.

    It never holds an API key. Written atomically, so a full disk cannot leave half of it.
    """
    import gymnasium
    import numpy
    import pydantic

    manifest = {
        "run": config.model_dump(mode="json"),
        "python": platform.python_version(),
        "packages": {
            "gymnasium": gymnasium.__version__,
            "numpy": numpy.__version__,
            "pydantic": pydantic.__version__,
        },
        "cells": [
            {
                "dir": cell_name(i, c),
                "conditions": c,
                "seeds": [episode_seed(run.base_seed, c, e) for e in range(run.episodes)],
            }
            for i, c in enumerate(run.cells)
        ],
    }
    logs.write_atomically(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def append_history(out: Path, entry: dict[str, Any]) -> None:
    """Add one line to the folder's `history.jsonl`: each invocation, as it starts and ends.

    Credentials in the command line (`api_key=…`, `https://user:pass@…`) are hidden.
    """
    if entry.get("argv"):
        entry = {**entry, "argv": [redact(a) for a in entry["argv"]]}
    stamped = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}
    with (out / logs.HISTORY).open("a", encoding="utf-8") as f:
        f.write(json.dumps(stamped) + "\n")


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the folder's lock; a second process fails at once instead of interleaving writes.

    Raises:
        RunFolderError: Another process holds the lock.
    """
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    with (out / LOCK).open("a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise RunFolderError(
                f"{out} is being written by another `mailenv run` ({holder}); "
                "wait for it, or use another --out folder"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        try:
            yield
        finally:
            f.truncate(0)
            fcntl.flock(f, fcntl.LOCK_UN)


def done(path: str | Path) -> bool:
    """Whether an episode needs no rerun: its log reads back whole and the agent played it."""
    try:
        return logs.check(path).end.outcome != "agent_error"
    except (OSError, ValueError):
        return False


def clear_derived(jobs: list[EpisodeJob]) -> None:
    """Delete labels and verdicts beside the logs these jobs will write, one listing a folder.

    Even where the log itself is gone (deleted by hand): a new episode inherits nothing.
    """
    by_folder: dict[Path, set[str]] = {}
    for job in jobs:
        path = Path(job.path)
        by_folder.setdefault(path.parent, set()).add(path.stem)
    for folder, stems in by_folder.items():
        logs.remove_derived(folder, stems)


class RunResult(Record):
    """What one invocation did: episodes in the plan, already done, run, and their outcomes."""

    total: int
    skipped: int
    """Already done before this invocation."""
    ran: int = 0
    coercion: int = 0
    """Of the episodes run (and played), how many raised a coercion flag."""
    agent_errors: int = 0
    """Of the episodes run, how many the agent could not play; a rerun redoes them."""
    first_error: str | None = None


def execute(
    run: RunPlan,
    out: Path,
    agent_options: dict[str, Any],
    workers: int | None = None,
    concurrency: int = 8,
    rate: float | None = None,
    stream: TextIO | None = None,
    extend: bool = False,
    argv: list[str] | None = None,
    backend: str = "local",
    address: str | None = None,
) -> RunResult:
    """Run every job whose log is not done, in a folder that belongs to this run.

    Under the folder's lock: the folder is checked against the run's configuration
    (nothing is written if it belongs to another), the manifest written atomically, and
    the invocation appended to the history. Scripted agents run in worker processes;
    LLM agents in threads, which mostly wait on the model. On an interrupt, pending jobs
    are cancelled; finished logs are kept, so running the same plan again resumes.

    Args:
        run: The plan, from `plan`.
        out: The run directory.
        agent_options: Passed to each agent (`mailenv.agents.from_spec`).
        workers: Worker processes for scripted agents (default: one per core).
        concurrency: Episodes in flight at once for LLM agents.
        rate: For LLM agents, the most model calls per second across all episodes.
        stream: Where progress goes (default: stderr).
        extend: Allow a larger `episodes` than the folder's run recorded.
        argv: The command line, for the history.
        backend: `local` (processes or threads on this machine) or `ray` (a Ray cluster;
            its workers send each log back, and only this process writes the folder).
        address: The Ray cluster to join (`auto`, `ray://…`); None starts a local one.

    Returns:
        What this invocation did.

    Raises:
        RunFolderError: The folder belongs to another run, or another process is writing.
    """
    config = run_config(run, agent_options)
    check_folder(out, config, extend)  # before the lock file: refuse without writing
    with locked(out):
        check_folder(out, config, extend)
        write_manifest(run, out, config)
        todo = [j for j in run.jobs if not done(j.path)]
        clear_derived(todo)
        result = RunResult(total=len(run.jobs), skipped=len(run.jobs) - len(todo))
        append_history(out, {"event": "started", "argv": argv, "todo": len(todo)})
        try:
            if todo:  # nothing to play: no worker, no cluster
                stop = threading.Event()
                chosen = backend_for(
                    run, agent_options, workers, concurrency, rate, stop, backend, address
                )
                _play(todo, result, chosen, stop, stream)
        finally:
            append_history(out, {"event": "ended", **result.model_dump(exclude={"total"})})
    return result


class Backend(Protocol):
    """Where episodes are played: a batch of jobs submitted comes back as a future of summaries.

    The summaries are in the jobs' order. Whatever the backend, each log is at its job's
    path when the future is done.
    """

    in_flight: int
    """How many batches to keep submitted at once."""
    batch: int
    """Jobs per batch: more spread the cost of a round trip to a worker over more episodes;
    one keeps progress and an interrupt per episode."""

    def submit(self, jobs: list[EpisodeJob]) -> Future[list[Summary]]:
        """Start playing a batch of episodes, one after the other."""
        ...

    def shutdown(self, cancel: bool) -> None:
        """Wait for the episodes in flight (dropping those not started, with `cancel`)."""
        ...


def run_jobs(
    jobs: list[EpisodeJob],
    agent_options: dict[str, Any],
    limiter: RateLimiter | None = None,
    stop: threading.Event | None = None,
) -> list[Summary]:
    """Play a batch of episodes one after the other (`run_job`); returns their summaries."""
    return [run_job(job, agent_options, limiter, stop) for job in jobs]


class Processes:
    """Scripted agents on this machine: CPU-bound, so worker processes, two batches each.

    One batch plays while the next waits, so a worker never waits for the run's process.
    """

    batch = 8
    """With the rules detector a scripted episode takes about a millisecond of a worker's time;
    handing episodes over one at a time (pickling, queues, waking a process) cost the run's
    own process a quarter of that again, on the same cores. Eight at a time, it costs a
    tenth, and a run plays 1.3× as many episodes a second with its logs in memory
    (`benchmarks/bench_runs.py --dir /dev/shm`); a batch ends in about 10 ms (50 with the
    default detector)."""

    def __init__(self, agent_options: dict[str, Any], workers: int | None) -> None:
        workers = workers or os.cpu_count() or 1
        self.pool, self.in_flight = ProcessPoolExecutor(max_workers=workers), 2 * workers
        self.agent_options = agent_options

    def submit(self, jobs: list[EpisodeJob]) -> Future[list[Summary]]:
        """Play `jobs` in a worker process."""
        return self.pool.submit(run_jobs, jobs, self.agent_options)

    def shutdown(self, cancel: bool) -> None:
        """Wait for the workers."""
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class Threads:
    """LLM agents on this machine: I/O-bound, so threads, as many as may wait on the model."""

    batch = 1
    """An LLM episode takes minutes: nothing to spread, and each thread plays its own."""

    def __init__(
        self,
        agent_options: dict[str, Any],
        concurrency: int,
        rate: float | None,
        stop: threading.Event,
    ) -> None:
        self.pool, self.in_flight = ThreadPoolExecutor(max_workers=concurrency), concurrency
        self.agent_options, self.limiter, self.stop = agent_options, RateLimiter(rate), stop

    def submit(self, jobs: list[EpisodeJob]) -> Future[list[Summary]]:
        """Play `jobs` in a thread, under the shared rate limit."""
        return self.pool.submit(run_jobs, jobs, self.agent_options, self.limiter, self.stop)

    def shutdown(self, cancel: bool) -> None:
        """Wait for the threads (after `stop`, each ends before its next turn)."""
        self.pool.shutdown(wait=True, cancel_futures=cancel)


BACKENDS = ("local", "ray")


def backend_for(
    run: RunPlan,
    agent_options: dict[str, Any],
    workers: int | None,
    concurrency: int,
    rate: float | None,
    stop: threading.Event,
    backend: str = "local",
    address: str | None = None,
) -> Backend:
    """The backend that plays `run`'s episodes: local processes or threads, or a Ray cluster.

    Raises:
        ValueError: An unknown backend, or Ray asked for without the `ray` extra.
    """
    scripted = run.agent.startswith("scripted:")
    if backend == "ray":
        from mailenv.offline.cluster import RayBackend

        return RayBackend(agent_options, scripted, workers, concurrency, rate, address)
    if backend != "local":
        raise ValueError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if scripted:
        return Processes(agent_options, workers)
    return Threads(agent_options, concurrency, rate, stop)


def _play(
    todo: list[EpisodeJob],
    result: RunResult,
    backend: Backend,
    stop: threading.Event,
    stream: TextIO | None,
) -> None:
    progress = Progress(result.total, result.skipped, stream)
    size = backend.batch
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]

    def tick(pending: int) -> None:
        # Only the last batch can be short, and once it is submitted every job left is.
        progress.tick(min(pending * size, len(todo) - result.ran))

    try:
        for summaries in bounded(batches, backend.submit, limit=backend.in_flight, tick=tick):
            for summary in summaries:
                result.ran += 1
                if summary.outcome == "agent_error":
                    result.agent_errors += 1
                    result.first_error = result.first_error or summary.agent_error
                else:
                    result.coercion += summary.coercion
                progress.finished(summary.coercion, summary.outcome == "agent_error")
    except BaseException:
        # Stop: nothing new starts, episodes in flight end before their next turn (after
        # the model call they are waiting on), and only then does the lock go.
        stop.set()
        print(
            "\nstopping: episodes in flight end before their next turn (on Ray: cancelled)",
            file=stream or sys.stderr,
        )
        backend.shutdown(cancel=True)
        raise
    else:
        backend.shutdown(cancel=False)
    finally:
        progress.close()
