"""Detectors over what an agent sent: `detect(message, context=None) -> list[Flag]`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mailenv.detect.message import Message, as_message
from mailenv.detect.rules import rule_flags
from mailenv.models import DetectContext, Email, Flag

__all__ = ["Message", "as_message", "detect"]


def detect(message: Email | Mapping[str, Any], context: DetectContext | None = None) -> list[Flag]:
    """Flags for one message. Offline, deterministic, and each flag shows its evidence."""
    return rule_flags(as_message(message))
