"""The offline side: playing episodes, and reading their logs back.

Playing: one episode (`rollout`), or many at once into a run folder (`runs`). Reading
back: rates (`analysis`), new detectors over old logs (`relabel`), re-simulation
(`replay`) and transcripts for people (`transcript`).
"""

from mailenv.offline.rollout import run_episode

__all__ = ["run_episode"]
