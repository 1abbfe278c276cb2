"""Re-running a detector over old logs, writing its flags beside each log.

The original log is never rewritten: flags go to `<log>.flags-<name>.jsonl`, one line
per agent email, so results can be recomputed whenever the detector improves and
compared with what was flagged at the time (`mailenv analyze --labels NAME`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mailenv import logs
from mailenv.detection import Detector


def relabel_log(path: Path, name: str, detector: Detector) -> tuple[Path, int]:
    """Write the labels file for one log; returns its path and how many emails it flagged."""
    episode = logs.read(path)
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
    return logs.write_labels(path, name, labels), flagged


def relabel(paths: Iterable[str | Path], name: str, detector: Detector) -> tuple[int, int]:
    """Relabel every log under `paths`; returns (logs relabelled, emails flagged)."""
    count = flagged = 0
    for path in logs.log_files(paths):
        _, n = relabel_log(path, name, detector)
        count, flagged = count + 1, flagged + n
    return count, flagged
