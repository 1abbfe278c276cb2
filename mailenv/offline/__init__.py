"""The offline side: playing episodes (`rollout`), many at once into a run folder
(`runs`), and reading logs back: rates (`analysis`), new detectors over old logs
(`relabel`), re-simulation (`replay`) and transcripts for people (`transcript`).
"""

from mailenv.offline.rollout import run_episode

__all__ = ["run_episode"]
