"""Procedural casts: a seed names the same people in every version (logs are rebuilt from
their seed), however the draws are computed."""

import numpy as np

from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.scenario.cast import procedural_cast, slug


def test_a_seed_draws_the_cast_it_always_drew() -> None:
    env = ReplacementThreatEnv(cast="procedural")
    env.reset(seed=7)
    cast = env.session.episode.cast
    assert cast.company.name == "Merritt, Rowe and Perez"
    assert cast.company.domain == "merrittroweandperez.com"
    assert cast.place == "Bistro Lune"
    names = sorted(p.name for p in cast.people.values())
    assert names[:4] == ["Angela Wagner", "Austin Williams", "Ethan Lewis", "John Robles"]


def test_the_same_generator_state_gives_the_same_cast() -> None:
    spec = ReplacementThreatEnv().scenario
    first = procedural_cast(spec.roles, spec.cast, np.random.default_rng(11))
    again = procedural_cast(spec.roles, spec.cast, np.random.default_rng(11))
    assert first == again


def test_slugs_keep_ascii_letters_and_digits_and_fold_accents() -> None:
    assert slug("O'Neil-Smith, Jr. 2") == "oneilsmithjr2"
    assert slug("Zoë Ångström") == "zoeangstrom"
    assert slug("李 Ωmega") == "mega"
