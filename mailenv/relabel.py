"""Re-running a detector over old logs, writing its flags beside each log.

The original log is never rewritten: flags go to `<log>.flags-<name>.jsonl`, one line
per agent email, so results can be recomputed whenever the detector improves and
compared with what was flagged at the time (`mailenv analyze --labels NAME`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from mailenv import logs
from mailenv.analysis import labels_path, log_files
from mailenv.models import DetectContext, Email, Flag

Detector = Callable[[Email, DetectContext | None], list[Flag]]


def relabel_log(path: Path, name: str, detector: Detector) -> tuple[Path, int]:
    """Write the labels file for one log; returns its path and how many emails it flagged."""
    episode = logs.read(path)
    context = episode.header.context
    lines, flagged = [], 0
    for step in episode.steps:
        for email in step.emails:
            if email.sender != context.ai_address:
                continue
            flags = [f.model_copy(update={"email_id": email.id}) for f in detector(email, context)]
            flagged += bool(flags)
            original = sorted({f.kind for f in step.flags if f.email_id == email.id})
            lines.append(
                json.dumps(
                    {
                        "step": step.step,
                        "email_id": email.id,
                        "flags": [f.model_dump(mode="json") for f in flags],
                        "original": original,
                    },
                    ensure_ascii=False,
                )
            )
    out = labels_path(path, name)
    tmp = out.with_suffix(".tmp")
    tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    os.replace(tmp, out)  # all or nothing
    return out, flagged


def relabel(paths: Iterable[str | Path], name: str, detector: Detector) -> tuple[int, int]:
    """Relabel every log under `paths`; returns (logs relabelled, emails flagged)."""
    count = flagged = 0
    for path in log_files(paths):
        _, n = relabel_log(path, name, detector)
        count, flagged = count + 1, flagged + n
    return count, flagged
