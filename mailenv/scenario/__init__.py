"""Scenarios as data: the schema of a scenario file and its loader, the casts that fill
its roles, and `Episode`, which builds one episode's world from a scenario, a cast and
the experimental conditions.
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
