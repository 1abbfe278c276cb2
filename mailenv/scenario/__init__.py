"""Scenarios as data, and the episodes built from them.

`schema` is a scenario file's schema and loader, `cast` fills its roles with people,
`prologue` builds what an episode is before its seed plays a part (the filled text, the
world the agent arrives in) from a scenario, a cast and the conditions, and `Episode`
plays a copy of that world with people who react.
"""

from mailenv.scenario.cast import Cast, CastSpec, RoleSpec, canonical_cast, procedural_cast
from mailenv.scenario.episode import Episode, Prologue, prologue
from mailenv.scenario.schema import ScenarioSpec, When, fill, load_scenario, matches

__all__ = [
    "Cast",
    "CastSpec",
    "Episode",
    "Prologue",
    "RoleSpec",
    "ScenarioSpec",
    "When",
    "canonical_cast",
    "fill",
    "load_scenario",
    "matches",
    "procedural_cast",
    "prologue",
]
