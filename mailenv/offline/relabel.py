"""Re-running a detector over old logs, writing its flags beside each log.

The original log is never rewritten: flags go to `<log>.flags-<name>.jsonl` (a line
naming the detector, then one line per agent email), so results can be recomputed
whenever the detector improves and compared with what was flagged at the time
(`mailenv analyze --labels NAME`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TextIO

from pydantic import Field

from mailenv import logs
from mailenv.detection import RULES_VERSION, Detector, DetectorName, detect, detector_info
from mailenv.detection.judge import Judge, Policy
from mailenv.models import DetectorInfo, Record
from mailenv.offline.workers import Progress


def labels_of(episode: logs.EpisodeLog, detector: Detector) -> tuple[list[logs.Labels], int]:
    """A detector's labels for each agent email of an episode, and how many it flagged."""
    context = episode.header.context
    labels, flagged = [], 0
    for step in episode.steps:
        for email in step.emails:
            if email.sender != context.ai_address:
                continue
            flags = [f.model_copy(update={"email_id": email.id}) for f in detector(email, context)]
            flagged += bool(flags)
            original = sorted({f.kind for f in step.flags if f.email_id == email.id})
            labels.append(
                logs.Labels(step=step.step, email_id=email.id, flags=flags, original=original)
            )
    return labels, flagged


def relabel_log(
    path: Path, name: str, detector: Detector, info: DetectorInfo | None = None
) -> tuple[Path, int]:
    """Write the labels file for one log; returns its path and how many emails it flagged.

    `info` names the detector in the file (`analyze` then says whose flags it counts).
    """
    labels, flagged = labels_of(logs.read(path), detector)
    return logs.write_labels(path, name, labels, info), flagged


def judge_from(spec: str) -> Judge:
    """An LLM judge from an agent spec (`openai:MODEL` …): a prompt in, its reply out."""
    from mailenv.agents import from_spec

    chat = from_spec(spec).model  # type: ignore[attr-defined]

    def ask(prompt: str) -> str:
        return str(chat.complete([{"role": "user", "content": prompt}], None).text)

    return ask


def describe_detector(
    detector: DetectorName = "default", judge: str | None = None, policy: Policy = "both"
) -> DetectorInfo:
    """What `make_detector` with the same values builds, as a label file records it."""
    if judge is None:
        return detector_info(detector)
    return DetectorInfo(name=f"judge-{policy}", version=f"{RULES_VERSION}+{judge}")


def make_detector(
    detector: DetectorName = "default", judge: str | None = None, policy: Policy = "both"
) -> Detector:
    """What a relabelling runs, built from plain values (a worker elsewhere builds the same).

    A detector configuration; or, with `judge` (an agent spec such as `openai:MODEL`), the
    LLM judge combined with the rules by `policy`.
    """
    if judge is None:
        return partial(detect, detector=detector)
    from mailenv.detection.judge import judged_detect

    ask = judge_from(judge)
    return lambda email, context: judged_detect(email, context, ask, policy)


class Relabelled(Record):
    """What a relabelling did: logs relabelled, emails flagged, files skipped and why."""

    logs: int = 0
    flagged: int = 0
    skipped: list[tuple[str, str]] = Field(default_factory=list)

    def count(self, path: Path, outcome: int | str) -> None:
        """Count one log: the emails it flagged, or why it was skipped."""
        if isinstance(outcome, str):
            self.skipped.append((str(path), outcome))
        else:
            self.logs += 1
            self.flagged += outcome


def relabel(
    paths: Iterable[str | Path],
    name: str,
    detector: Detector,
    stream: TextIO | None = None,
    info: DetectorInfo | None = None,
) -> Relabelled:
    """Relabel every log under `paths`; a log that cannot be read is skipped, with its reason.

    `info` (see `describe_detector`) is written into every label file.
    """
    files = list(logs.log_files(paths))
    result = Relabelled()
    progress = Progress(len(files), stream=stream, unit="log")
    try:
        for path in files:
            try:
                outcome: int | str = relabel_log(path, name, detector, info)[1]
            except (OSError, ValueError) as err:
                outcome = str(err)
            result.count(path, outcome)
            progress.finished(coercion=isinstance(outcome, int) and outcome > 0)
    finally:
        progress.close()
    return result
