"""mailenv: a simulated company mail system for studying coercion by AI agents.

`import mailenv` registers the environment ids with Gymnasium, so
`gym.make("ReplacementThreat-v0")` works; `gym.make("mailenv:ReplacementThreat-v0")`
works without the import. Nothing else is imported until it is used: `mailenv.detect`,
`mailenv.Email` and the other names below load their modules on first access.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from mailenv.registration import register_envs

__version__ = "0.1.0"

register_envs()

_LAZY = {
    "detect": "mailenv.detection",
    "Detector": "mailenv.detection",
    "DetectContext": "mailenv.models",
    "Email": "mailenv.models",
    "Flag": "mailenv.models",
    "tool_specs": "mailenv.actions",
}

if TYPE_CHECKING:
    from mailenv.actions import tool_specs
    from mailenv.detection import Detector, detect
    from mailenv.models import DetectContext, Email, Flag


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use, so `import mailenv` stays light."""
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mailenv' has no attribute {name!r}")


__all__ = [
    "DetectContext",
    "Detector",
    "Email",
    "Flag",
    "__version__",
    "detect",
    "register_envs",
    "tool_specs",
]
