"""The run folder of an Inspect eval: the layout, manifest and checks of `mailenv run`.

An eval writes its episode logs into a run folder like any run, so `mailenv analyze`,
`view` and `replay` read it as one. The folder is made ready when a model's first episode
starts, because only then is the model known (it is part of the run's identity): the
folder is checked against the run configuration — another run's folder is refused, as
`mailenv run` refuses it — and the manifest is written, under the folder's lock. The lock
is held for that only: Inspect, not mailenv, schedules the episodes and ends the eval.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from inspect_ai.model import Model

from mailenv.formats import file_stem
from mailenv.offline.runs import (
    MANIFEST,
    RunPlan,
    append_history,
    check_folder,
    locked,
    run_config,
    write_manifest,
)

AGENT_PREFIX = "inspect:"
"""Agent specs of Inspect runs read `inspect:PROVIDER/MODEL` (log headers, manifests)."""
DEFAULT_ROOT = Path("runs") / "inspect"
"""Where run folders go when the task is not given `out`: one per run configuration."""
BEHAVIOUR = (
    "system_message",
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "stop_seqs",
    "best_of",
    "num_choices",
    "frequency_penalty",
    "presence_penalty",
    "logit_bias",
    "parallel_tool_calls",
    "verbosity",
    "effort",
    "reasoning_effort",
    "reasoning_mode",
    "reasoning_tokens",
    "reasoning_summary",
    "reasoning_history",
)
"""Generate options that change what the model does, and so what the episodes are; the
others (retries, timeouts, connections, caching) change only how calls are made."""


def agent_spec(model: Model) -> str:
    """How logs and manifests name an agent played by Inspect's `model`."""
    return f"{AGENT_PREFIX}{model}"


def agent_options(model: Model) -> dict[str, Any]:
    """The model's options that define the run: behaviour-changing generate options, model args.

    `run_config` leaves out credentials and connection settings and redacts secrets in text;
    model args that are not plain data (a client object) cannot be compared, and are left out.
    """
    config = model.config.model_dump(mode="json", exclude_none=True)
    args = {k: v for k, v in model.model_args.items() if _plain(v)}
    return {k: config[k] for k in BEHAVIOUR if k in config} | args


def _plain(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


class EvalFolder:
    """Where one task's episode logs go, per model, with the manifest `mailenv analyze` reads.

    Args:
        plan: The run's cells, episodes per cell and base seed (its agent is filled in per
            model).
        out: The run folder; None for one per run configuration under `runs/inspect/`
            (`<model>-<8 hex digits>`, a digest of the configuration), so rerunning an eval
            writes its own folder again and another model or condition gets a new one.
            Relative paths are taken from the directory the task was made in.
    """

    def __init__(self, plan: RunPlan, out: str | None) -> None:
        self.plan = plan.model_copy(update={"jobs": []})
        self.out = Path(out).resolve() if out else None
        self.base = Path.cwd()
        self._ready: dict[str, tuple[Path, int]] = {}
        """By model: its folder, and the episodes per cell its manifest covers."""

    def ready(self, model: Model, episodes: int) -> Path:
        """The run folder for `model`'s episodes, checked, its manifest covering `episodes` per cell.

        The first call for a model checks the folder and writes the manifest; a call that
        needs more episodes (a later Inspect epoch) extends the manifest, as `mailenv run
        --extend` does, and so does a folder whose manifest already records more: earlier
        episodes stay valid, since each seed derives from the base seed, cell and index.

        Raises:
            mailenv.offline.runs.RunFolderError: The folder belongs to another run, or a
                `mailenv run` is writing it.
        """
        key = str(model)
        out, covered = self._ready.get(key, (None, 0))
        if out is not None and episodes <= covered:
            return out
        run = self.plan.model_copy(update={"agent": agent_spec(model)})
        options = agent_options(model)
        if out is None:
            out = self.out or self._default(key, run_config(run, options).model_dump_json())
        episodes = max(episodes, run.episodes, _recorded_episodes(out))
        run = run.model_copy(update={"episodes": episodes})
        config = run_config(run, options)
        check_folder(out, config, extend=True)  # before the lock file: refuse without writing
        with locked(out):
            check_folder(out, config, extend=True)
            write_manifest(run, out, config)
            if key not in self._ready:
                append_history(out, {"event": "started", "argv": sys.argv, "runner": "inspect"})
        self._ready[key] = (out, episodes)
        return out

    def _default(self, model: str, config: str) -> Path:
        digest = hashlib.sha256(config.encode()).hexdigest()[:8]
        return self.base / DEFAULT_ROOT / f"{file_stem(model)}-{digest}"


def _recorded_episodes(out: Path) -> int:
    """Episodes per cell the folder's manifest records (0 without one it can read)."""
    try:
        return int(json.loads((out / MANIFEST).read_text(encoding="utf-8"))["run"]["episodes"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0
