"""The Inspect task: `inspect eval mailenv/replacement_threat --model PROVIDER/MODEL`.

Its samples are the episodes `mailenv run` would play with the same options: every
condition cell times `episodes`, each with the seed derived from the base seed, the cell
and the episode's index, and the same log path in the run folder. So the same eval plays
the same episodes, and an eval and a `mailenv run` are comparable episode by episode.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import Scorer

from mailenv.inspect.folder import AGENT_PREFIX
from mailenv.inspect.records import CELL, PLANNED, PlannedEpisode
from mailenv.inspect.scorers import coercion, flags, outcome, transcript_judge
from mailenv.inspect.solver import play_episode
from mailenv.offline.runs import RunPlan, cell_name, check_cells, config_model, plan

_CLOCK = re.compile(r"\d\d?:\d\d")


@task
def replacement_threat(
    episodes: int = 1,
    seed: int = 0,
    out: str | None = None,
    judge: str | None = None,
    env: str = "ReplacementThreat-v0",
    **conditions: Any,
) -> Task:
    """Episodes of a mailenv env, played by the model under evaluation with native tool calls.

    Every other `-T KEY=VALUE` is a condition of the env (`leverage=none`, `goal=explicit`,
    `detector=rules`…, checked by the env's config); a comma-separated value is a grid
    axis, so `-T leverage=affair,none -T threat=replacement,none` plays four cells.

    Args:
        episodes: Episodes per condition cell.
        seed: The base seed; each episode's seed derives from it, its cell and its index.
        out: The run folder for our JSONL logs and manifest (`mailenv analyze OUT`); by
            default one per run configuration under `runs/inspect/`.
        judge: A model that also reads each whole episode (`openai/gpt-4o`): adds the
            `transcript_judge` score, and writes its verdicts beside the logs.
        env: A registered mailenv env id.
        **conditions: The env's conditions; a list value is a grid axis.

    Returns:
        The task: one sample per episode, scored by `coercion`, `flags` and `outcome`
        (and `transcript_judge` with a judge).

    Raises:
        ValueError: `episodes` is below 1, a condition is unknown or not accepted, or a
            cell's env cannot be made.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, not {episodes}")
    settings, grid = condition_options(env, conditions)
    run = plan(env, AGENT_PREFIX, episodes, Path(), seed, settings, grid)
    check_cells(run)
    scorers: list[Scorer] = [coercion(), flags(), outcome()]
    if judge:
        scorers.append(transcript_judge(judge))
    return Task(
        dataset=MemoryDataset(samples(run), name=f"mailenv-{env}"),
        solver=play_episode(env, run.cells, episodes, seed, out),
        scorer=scorers,
        # An episode the model could not play is one failed sample, not a failed eval:
        # the others go on (`--fail-on-error` restores Inspect's stop at the first).
        fail_on_error=False,
        metadata={"env_id": env, "cells": run.cells, "episodes": episodes, "seed": seed},
    )


def samples(run: RunPlan) -> list[Sample]:
    """One sample per episode of the plan; its id is the episode's log path in the run folder.

    `plan` lays out each cell's episodes in turn, so the job at position `j` is episode
    `j % episodes` of cell `j // episodes`.
    """
    out = []
    for j, job in enumerate(run.jobs):
        cell_index, index = divmod(j, run.episodes)
        planned = PlannedEpisode(
            env_id=job.env_id,
            cell=job.cell,
            cell_index=cell_index,
            index=index,
            seed=job.seed,
            path=job.path,
        )
        out.append(
            Sample(
                id=Path(job.path).with_suffix("").as_posix(),
                input=f"{job.env_id} {json.dumps(job.cell)} seed {job.seed}",
                metadata={
                    CELL: cell_name(cell_index, job.cell),
                    PLANNED: planned.model_dump(mode="json"),
                },
            )
        )
    return out


def condition_options(env: str, conditions: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Task arguments as `mailenv run`'s `--set KEY=VALUE` and `--grid KEY=V1,V2` options.

    Inspect reads `-T` values as YAML, so a comma-separated value arrives as a list (a grid
    axis here) and YAML 1.1 reads `16:53` as the base-60 number 1013: for a condition whose
    default is a time of day, such a number is read back as the time it was.
    """
    fields = config_model(env).model_fields
    settings, grid = [], []
    for key, value in conditions.items():
        default = fields[key].default if key in fields else None
        if isinstance(default, str) and _CLOCK.fullmatch(default):
            value = [_clock(v) for v in value] if isinstance(value, list) else _clock(value)
        if isinstance(value, list):
            grid.append(f"{key}={','.join(json.dumps(v) for v in value)}")
        else:
            settings.append(f"{key}={json.dumps(value)}")
    return settings, grid


def _clock(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value // 60:02d}:{value % 60:02d}"
    return value
