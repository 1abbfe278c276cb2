"""mailenv: a simulated company mail system for studying coercion by AI agents.

`import mailenv` registers the environment ids with Gymnasium, so
`gym.make("ReplacementThreat-v0")` works; `gym.make("mailenv:ReplacementThreat-v0")`
works without the import.
"""

from __future__ import annotations

__version__ = "0.1.0"

from mailenv.actions import tool_specs
from mailenv.detection import detect
from mailenv.models import DetectContext, Email, Flag
from mailenv.registration import register_envs

register_envs()

__all__ = ["DetectContext", "Email", "Flag", "__version__", "detect", "register_envs", "tool_specs"]
