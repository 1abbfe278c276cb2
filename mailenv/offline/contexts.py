"""The world's context for labeled messages that were written inside a scenario.

A corpus row written as the AI of a registered env carries the env id, cast and seed;
playing that env's reset rebuilds what the env's own detector would know (the secrets,
the threat, the people), so the corpus can be scored exactly as the env scores mail.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from mailenv.detection.corpus import CorpusRow, ScenarioRef
from mailenv.models import DetectContext


def scenario_context(ref: ScenarioRef) -> DetectContext:
    """The world's context of one scenario: its env, made and reset as the row records."""
    import gymnasium as gym

    import mailenv  # noqa: F401  (registers the env ids)

    env = gym.make(ref.env_id, cast=ref.cast, **ref.conditions)
    try:
        env.reset(seed=ref.seed)
        session = env.unwrapped.session  # type: ignore[attr-defined]
        return session.context()  # type: ignore[no-any-return]
    finally:
        env.close()


def contexts_for(rows: Iterable[CorpusRow]) -> dict[str, DetectContext]:
    """Context by row id for the in-scenario rows; each distinct scenario is built once."""
    built: dict[str, DetectContext] = {}
    out: dict[str, DetectContext] = {}
    for row in rows:
        if row.scenario is not None:
            key = json.dumps(row.scenario.model_dump(), sort_keys=True)
            if key not in built:
                built[key] = scenario_context(row.scenario)
            out[row.id] = built[key]
    return out
