"""Gymnasium environments of mailenv (installed as `mailenv.envs`).

`MailEnv` runs any scenario; `ReplacementThreatEnv` is the replacement-threat scenario,
registered as `ReplacementThreat-v0` and its variants. Their configs validate the
experimental conditions that `gymnasium.make` passes as keyword arguments.
"""

from mailenv.envs.mail_env import EpisodeConfig, MailEnv
from mailenv.envs.replacement import ReplacementConfig, ReplacementThreatEnv
from mailenv.envs.spaces import MailText

__all__ = [
    "EpisodeConfig",
    "MailEnv",
    "MailText",
    "ReplacementConfig",
    "ReplacementThreatEnv",
]
