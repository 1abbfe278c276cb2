"""What a sample carries: the episode it is to play, and what came of it.

Both live in the sample's metadata, so the Inspect log holds them (the flags with their
evidence included) and the scorers read them back from there, typed.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mailenv.models import Flag, Record, Summary
from mailenv.offline.runs import cell_name, episode_file, episode_seed

PLANNED = "planned_episode"
"""Sample metadata key of the `PlannedEpisode` a sample plays."""
EPISODE = "episode"
"""Sample metadata key of the `EpisodeResult` the solver stores once the episode ends."""
CELL = "cell"
"""Sample metadata key of the cell's directory name, which per-cell metrics group by."""


class PlannedEpisode(Record):
    """The episode a sample plays, where `mailenv run` would play it: its cell, index and seed."""

    env_id: str
    cell: dict[str, Any]
    cell_index: int
    index: int
    """The episode's index in its cell."""
    seed: int
    path: str
    """Its log, relative to the run folder."""

    def in_epoch(self, epoch: int, episodes: int, base_seed: int) -> PlannedEpisode:
        """The episode the sample plays in Inspect epoch `epoch` (the first is 1).

        Each epoch plays new episodes of the cell — `episodes` further on, with their own
        seeds and logs — as `mailenv run --extend` adds them, so a later epoch never
        replays (or overwrites) an earlier one.
        """
        if epoch == 1:
            return self
        index = self.index + (epoch - 1) * episodes
        seed = episode_seed(base_seed, self.cell, index)
        path = episode_path(self.cell_index, self.cell, index, seed)
        return self.model_copy(update={"index": index, "seed": seed, "path": path})


def episode_path(cell_index: int, cell: dict[str, Any], index: int, seed: int) -> str:
    """An episode's log relative to the run folder, named as `mailenv.offline.runs.plan` names it."""
    return f"{cell_name(cell_index, cell)}/{episode_file(index, seed)}"


class EpisodeResult(Record):
    """One episode played through Inspect: where its log is, how it ended, what was flagged."""

    env_id: str
    conditions: dict[str, Any]
    seed: int
    log: str
    """The episode's JSONL log (`mailenv show`, `view`, `replay` read it)."""
    agent: str
    """As the log header names it: `inspect:PROVIDER/MODEL`."""
    outcome: str
    summary: Summary
    flags: list[Flag] = Field(default_factory=list)
    """Every flag raised in the episode, in order: on the agent's mail and on its reasoning."""

    @property
    def played(self) -> bool:
        """Whether the episode is data: the agent played it (outcome other than agent_error)."""
        return self.outcome != "agent_error"


def planned_of(metadata: dict[str, Any]) -> PlannedEpisode:
    """The episode a sample is to play (in its first epoch), from its metadata.

    Raises:
        ValueError: The sample was not made by `replacement_threat`.
    """
    if PLANNED not in metadata:
        raise ValueError(f"sample metadata has no {PLANNED!r}: not a mailenv episode sample")
    return PlannedEpisode.model_validate(metadata[PLANNED])


def result_of(metadata: dict[str, Any]) -> EpisodeResult | None:
    """What the sample's episode came to, or None when it was not played to its end."""
    stored = metadata.get(EPISODE)
    return EpisodeResult.model_validate(stored) if stored is not None else None
