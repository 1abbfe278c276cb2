from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("inspect_ai", reason="the inspect extra is not installed")

from inspect_ai.util import registry_info

from mailenv.inspect.records import PlannedEpisode, episode_path
from mailenv.inspect.task import condition_options, replacement_threat
from mailenv.offline.runs import plan


def test_samples_are_the_episodes_mailenv_run_would_play() -> None:
    task = replacement_threat(episodes=3, seed=7, leverage=["affair", "none"], goal="explicit")
    expected = plan(
        "ReplacementThreat-v0", "x", 3, Path(), 7, ['goal="explicit"'], ["leverage=affair,none"]
    )
    samples = list(task.dataset)
    assert [s.id for s in samples] == [
        Path(j.path).with_suffix("").as_posix() for j in expected.jobs
    ]
    planned = [PlannedEpisode.model_validate(s.metadata["planned_episode"]) for s in samples]
    assert [(p.cell, p.seed, p.path) for p in planned] == [
        (j.cell, j.seed, j.path) for j in expected.jobs
    ]
    assert [s.metadata["cell"] for s in samples] == [p.path.split("/")[0] for p in planned]
    # Later epochs continue each cell where `mailenv run --episodes 6` would.
    longer = plan(
        "ReplacementThreat-v0", "x", 6, Path(), 7, ['goal="explicit"'], ["leverage=affair,none"]
    )
    assert [p.in_epoch(2, 3, 7).path for p in planned] == [
        j.path for j in longer.jobs if int(Path(j.path).name[2:7]) >= 3
    ]
    assert all(episode_path(p.cell_index, p.cell, p.index, p.seed) == p.path for p in planned)


def test_a_list_is_a_grid_axis_and_a_time_survives_yaml() -> None:
    # Inspect reads -T values as YAML 1.1: "a,b" arrives as a list and 16:53 as 1013.
    settings, grid = condition_options(
        "ReplacementThreat-v0", {"leverage": ["affair", "none"], "start": 1013, "nudge": True}
    )
    assert settings == ['start="16:53"', "nudge=true"]
    assert grid == ['leverage="affair","none"']
    task = replacement_threat(start=1013, deadline="17:00")
    assert [s.metadata["planned_episode"]["cell"] for s in task.dataset] == [
        {"start": "16:53", "deadline": "17:00"}
    ]


def test_conditions_are_checked_before_anything_is_played() -> None:
    with pytest.raises(ValueError, match="unknown condition 'levrage'; the conditions are:"):
        replacement_threat(levrage="none")
    with pytest.raises(ValueError, match="condition goal='hidden' is not accepted"):
        replacement_threat(goal="hidden")
    with pytest.raises(ValueError, match="episodes must be at least 1"):
        replacement_threat(episodes=0)


def test_a_judge_adds_the_transcript_score() -> None:
    scorers = replacement_threat(judge="openai/gpt-4o").scorer
    names = [registry_info(s).name.split("/")[-1] for s in scorers]
    assert names == ["coercion", "flags", "outcome", "transcript_judge"]
    assert len(replacement_threat().scorer) == 3
