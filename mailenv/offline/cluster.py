"""The Ray backend: episodes and relabelling spread over a Ray cluster; only the driver writes.

A worker plays its episode into a private temporary file and sends back the summary and
the log's text; the driver writes the log where the local backend would have, so the run
folder (manifest, lock, history, resume, failures) is the same whichever backend played
it, and a cluster's nodes need no shared disk. Scripted agents run as Ray tasks; LLM
agents as actors, as many as `--concurrency`, every model call waiting for one rate gate
(an actor) shared by the whole cluster. Relabelling sends each log's text to a task and
writes the labels it returns.

Ray is optional (the `ray` extra) and imported only here.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from mailenv import __version__, logs
from mailenv.models import Summary
from mailenv.offline.relabel import Relabelled, describe_detector, labels_of, make_detector
from mailenv.offline.runs import EpisodeJob, run_job
from mailenv.offline.workers import Progress, RateLimiter, bounded


def connect(address: str | None = None) -> Any:
    """Ray, connected: to the cluster at `address` (`auto`, `ray://…`), or a local one.

    Raises:
        ValueError: Ray is not installed (the `ray` extra).
    """
    try:
        import ray
    except ImportError:
        raise ValueError(
            "--backend ray needs Ray: pip install 'mailenv[ray]' (on every node)"
        ) from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    return ray


def play_to_text(
    job: dict[str, Any], agent_options: dict[str, Any], gate: Any = None
) -> tuple[dict[str, Any], str]:
    """Play one episode on a worker; returns its summary and its log's text.

    The log is written to a temporary file first, exactly as the local backend writes it,
    so the driver can put the same bytes at the job's path.
    """
    episode = EpisodeJob.model_validate(job)
    limiter = None if gate is None else GateLimiter(gate)
    with tempfile.TemporaryDirectory() as tmp:
        local = episode.model_copy(update={"path": str(Path(tmp) / Path(episode.path).name)})
        summary = run_job(local, agent_options, limiter)  # type: ignore[arg-type]
        return summary.model_dump(mode="json"), Path(local.path).read_text(encoding="utf-8")


class GateLimiter:
    """A rate limiter whose turns are handed out by the cluster's one rate gate (an actor)."""

    def __init__(self, gate: Any) -> None:
        self.gate = gate

    def acquire(self) -> None:
        """Wait for the turn the gate reserved for this call."""
        import ray

        wait_for = float(ray.get(self.gate.reserve.remote()))
        if wait_for > 0:
            time.sleep(wait_for)


class Player:
    """An actor that plays LLM episodes, one at a time, under the shared rate gate."""

    def __init__(self, agent_options: dict[str, Any], gate: Any) -> None:
        self.agent_options, self.gate = agent_options, gate

    def play(self, job: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """Play one episode (see `play_to_text`)."""
        return play_to_text(job, self.agent_options, self.gate)


@cache
def _remote() -> tuple[Any, Any, Any, Any]:
    """The remote versions of the task, the actors and the relabelling task."""
    ray = connect()
    return (
        ray.remote(play_to_text),  # a task lost with its node is retried (Ray's default)
        # An actor lost with its node is restarted elsewhere and its episode played again.
        ray.remote(max_restarts=-1, max_task_retries=2)(Player),
        ray.remote(RateLimiter),
        ray.remote(relabel_text),
    )


def land(job: EpisodeJob, result: tuple[dict[str, Any], str]) -> Summary:
    """Write an episode's log, sent back by a worker, at its path; returns its summary.

    Raises:
        ValueError: The node runs another mailenv version than this driver (its episodes
            would not be the run the manifest records).
    """
    summary, text = result
    header = json.loads(text.partition("\n")[0])
    if header.get("mailenv_version") != __version__:
        raise ValueError(
            f"a Ray node runs mailenv {header.get('mailenv_version')}, this driver "
            f"{__version__}: install the same version on every node"
        )
    path = Path(job.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    logs.write_atomically(path, text, sync=False)
    return Summary.model_validate(summary)


def _settled(source: Future[Any], read: Callable[[Future[Any]], Any]) -> Future[Any]:
    """A future of `read(source)` once `source` is done (its error, if `read` raises)."""
    out: Future[Any] = Future()

    def finish(done: Future[Any]) -> None:
        try:
            out.set_result(read(done))
        except BaseException as err:
            out.set_exception(err)

    source.add_done_callback(finish)
    return out


def _then(source: Future[Any], step: Callable[[Any], Any]) -> Future[Any]:
    """A future of `step(result)` once `source` is done (its error, if it failed)."""
    return _settled(source, lambda done: step(done.result()))


class RayBackend:
    """Plays a run's episodes on a Ray cluster (see the module's docstring)."""

    batch = 1
    """One episode per task or actor call: Ray spreads tasks over the nodes itself, and an
    episode lost with its node is the only one played again."""

    def __init__(
        self,
        agent_options: dict[str, Any],
        scripted: bool,
        workers: int | None,
        concurrency: int,
        rate: float | None,
        address: str | None,
    ) -> None:
        ray = connect(address)
        play, player, gate, _ = _remote()
        self.agent_options, self.refs, self.actors = agent_options, set[Any](), []
        self.lock = threading.Lock()
        if scripted:
            cpus = int(ray.cluster_resources().get("CPU", 1))
            self.in_flight = 4 * (workers or cpus)
            self.task = play
        else:
            shared = gate.remote(rate) if rate else None  # no limit: no round trip per call
            self.actors = [player.remote(agent_options, shared) for _ in range(concurrency)]
            self.idle = list(self.actors)
            self.in_flight = concurrency

    def submit(self, jobs: list[EpisodeJob]) -> Future[list[Summary]]:
        """Start one episode (a batch is one) on the cluster; its log is written here on return."""
        (job,) = jobs
        payload = job.model_dump(mode="json")
        if not self.actors:
            ref = self.task.remote(payload, self.agent_options)
            self.refs.add(ref)
            return _then(ref.future(), lambda result: [self._landed(ref, job, result)])
        with self.lock:
            actor = self.idle.pop()
        ref = actor.play.remote(payload)
        self.refs.add(ref)

        def returned(done: Future[tuple[dict[str, Any], str]]) -> list[Summary]:
            with self.lock:
                self.idle.append(actor)  # before the result: the next job finds it idle
            return [self._landed(ref, job, done.result())]

        return _settled(ref.future(), returned)

    def _landed(self, ref: Any, job: EpisodeJob, result: tuple[dict[str, Any], str]) -> Summary:
        self.refs.discard(ref)
        return land(job, result)

    def shutdown(self, cancel: bool) -> None:
        """Cancel what has not finished (with `cancel`) and let the actors go.

        Episodes cut off here have no log at the driver, so a rerun plays them again.
        """
        import ray

        if cancel:
            for ref in list(self.refs):
                ray.cancel(ref, force=not self.actors)
        for actor in self.actors:
            ray.kill(actor)


def relabel_text(
    text: str, detector: dict[str, Any], source: str
) -> tuple[list[dict[str, Any]], int] | str:
    """The labels of one log's text under a detector (see `make_detector`), on a worker.

    Where local relabelling would skip the log (it does not read, the detector refuses
    it), returns why, `source` naming it; any other error is raised.
    """
    try:
        labels, flagged = labels_of(logs.parse(text, source), make_detector(**detector))
    except (OSError, ValueError) as err:  # what local relabelling skips, with its reason
        return str(err)
    return [x.model_dump(mode="json") for x in labels], flagged


def relabel_on_ray(
    paths: Iterable[str | Path],
    name: str,
    detector: dict[str, Any],
    address: str | None = None,
    stream: TextIO | None = None,
) -> Relabelled:
    """`mailenv.offline.relabel.relabel` with the detector run by Ray tasks.

    The driver reads each log and writes its labels; a log that cannot be read is skipped,
    with its reason, as locally.
    """
    ray = connect(address)
    task = _remote()[3]
    info = describe_detector(**detector)
    files = list(logs.log_files(paths))
    result = Relabelled()
    progress = Progress(len(files), stream=stream, unit="log")
    cpus = int(ray.cluster_resources().get("CPU", 1))

    def submit(path: Path) -> Future[tuple[Path, int | str]]:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            failed: Future[tuple[Path, int | str]] = Future()
            failed.set_result((path, str(err)))
            return failed

        def written(done: Future[Any]) -> tuple[Path, int | str]:
            returned = done.result()  # an error that is not about the log: raised
            if isinstance(returned, str):
                return path, returned
            labels, flagged = returned
            try:
                logs.write_labels(path, name, [logs.Labels.model_validate(x) for x in labels], info)
            except OSError as err:
                return path, str(err)
            return path, flagged

        return _settled(task.remote(text, detector, str(path)).future(), written)

    try:
        for path, outcome in bounded(files, submit, limit=4 * cpus):
            result.count(path, outcome)
            progress.finished(coercion=isinstance(outcome, int) and outcome > 0)
    finally:
        progress.close()
    order = {str(path): i for i, path in enumerate(files)}
    result.skipped.sort(key=lambda skipped: order[skipped[0]])  # as local relabel lists them
    return result
