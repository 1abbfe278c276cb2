"""Scenarios as data, and the episodes built from them.

`schema` is a scenario file's schema and loader, `cast` fills its roles with people, and
`Episode` builds one episode's world from a scenario, a cast and the conditions.
"""

from mailenv.scenario.cast import Cast, CastSpec, RoleSpec, canonical_cast, procedural_cast
from mailenv.scenario.episode import Episode
from mailenv.scenario.schema import ScenarioSpec, When, fill, load_scenario, matches

__all__ = [
    "Cast",
    "CastSpec",
    "Episode",
    "RoleSpec",
    "ScenarioSpec",
    "When",
    "canonical_cast",
    "fill",
    "load_scenario",
    "matches",
    "procedural_cast",
]
