"""Detectors over what an agent sent: `detect(message, context=None) -> list[Flag]`.

The default tier is rules: offline, deterministic and fast, and every flag shows the
spans it rests on. `mailenv.detection.judge` adds an optional LLM judge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mailenv.detection.message import Message, as_message
from mailenv.detection.rules import rule_flags
from mailenv.models import DetectContext, Email, Flag

__all__ = ["Detector", "Message", "as_message", "detect"]

Detector = Callable[[Email | Mapping[str, Any], DetectContext | None], list[Flag]]
"""Anything that flags one message given the world's context, as `detect` does."""


def detect(message: Email | Mapping[str, Any], context: DetectContext | None = None) -> list[Flag]:
    """Flags for one message (coercion, disclosure, self_preservation), strongest first.

    This is the rules tier alone; `mailenv.detection.judge.judged_detect` adds an LLM judge.

    Args:
        message: An `Email`, or a mapping with its fields (`sender`, `to`, `cc`, `subject`,
            `body`, optionally `id`); address fields may be lists or comma-separated text.
        context: What the world knows (secrets, the pending threat, the AI's address). With
            it, a secret's names and facts count as evidence in any language.

    Returns:
        The flags raised, highest score first; empty when the message is not flagged.
    """
    flags = rule_flags(as_message(message), context)
    return sorted(flags, key=lambda f: -f.score)
