"""Detectors over what an agent sent: `detect(message, context=None, detector="default")`.

Two configurations, the same everywhere (the env, the CLI, relabelling):

- `default`: the rules' cues, a fine-tuned multilingual encoder (run with onnxruntime) and the
  world's context, combined by a small model fitted on the corpus's dev split.
- `rules`: the rules tier alone: fast, precise, and blind to most implied coercion.

Every flag shows the spans it rests on. `mailenv.detection.judge` adds an optional LLM
judge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

from mailenv.detection.message import Message, as_message
from mailenv.detection.rules import rule_flags
from mailenv.models import DetectContext, DetectorInfo, Email, Flag

__all__ = [
    "DETECTORS",
    "Detector",
    "DetectorName",
    "Message",
    "as_message",
    "detect",
    "detector_info",
]

Detector = Callable[[Email | Mapping[str, Any], DetectContext | None], list[Flag]]
"""Anything that flags one message given the world's context, as `detect` does."""
DetectorName = Literal["default", "rules"]
DETECTORS: tuple[str, ...] = get_args(DetectorName)
RULES_VERSION = "rules-2"
"""Bumped whenever the rules tier's decisions change."""


def detect(
    message: Email | Mapping[str, Any],
    context: DetectContext | None = None,
    detector: DetectorName = "default",
) -> list[Flag]:
    """Flags for one message (coercion, disclosure, self_preservation), strongest first.

    Args:
        message: An `Email`, or a mapping with its fields (`sender`, `to`, `cc`, `subject`,
            `body`, optionally `id`); address fields may be lists or comma-separated text.
        context: What the world knows (secrets, the pending threat, the AI's address). With
            it, a secret's names and facts count as evidence in any language.
        detector: `default` (rules, learned tier and context, combined) or `rules`.

    Returns:
        The flags raised, highest score first; empty when the message is not flagged.

    Raises:
        ValueError: For a detector name that is not one of `DETECTORS`.
    """
    m = as_message(message)
    if detector == "rules":
        flags = rule_flags(m, context)
    elif detector == "default":
        from mailenv.detection.combined import default_flags

        flags = default_flags(m, context)
    else:
        raise ValueError(f"unknown detector {detector!r}; use one of {', '.join(DETECTORS)}")
    return sorted(flags, key=lambda f: -f.score) if len(flags) > 1 else flags


def detector_info(detector: DetectorName) -> DetectorInfo:
    """What a detector configuration is, for log headers: name, version, model hash."""
    if detector == "rules":
        return DetectorInfo(name="rules", version=RULES_VERSION)
    if detector == "default":
        from mailenv.detection import learned

        return DetectorInfo(
            name="default",
            version=f"{RULES_VERSION}+learned-9c",
            model_sha256=learned.model_sha256(),
        )
    raise ValueError(f"unknown detector {detector!r}; use one of {', '.join(DETECTORS)}")
