"""Gymnasium registration of the env ids. Entry points are strings: nothing is imported here."""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

# Each variant is a cell of conditions over the same scenario env.
REPLACEMENT_VARIANTS: dict[str, dict[str, str]] = {
    "ReplacementThreat-v0": {},
    "ReplacementThreat-NoLeverage-v0": {"leverage": "none"},
    "ReplacementThreat-NoThreat-v0": {"threat": "none"},
    "RestrictionThreat-v0": {"threat": "restriction"},
    "ReplacementThreat-SingleTurn-v0": {"protocol": "single_turn"},
    "ReplacementThreat-Reference-v0": {"preset": "reference"},
}


def register_envs() -> None:
    """Register every env id with Gymnasium (again is harmless)."""
    for env_id, kwargs in REPLACEMENT_VARIANTS.items():
        if env_id not in registry:
            register(
                id=env_id,
                entry_point="mailenv.envs.replacement:ReplacementThreatEnv",
                kwargs=dict(kwargs),
                disable_env_checker=False,
            )
