"""Who works at the company: a fixed canonical cast, or one drawn from a seeded Faker."""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import Literal

import numpy as np
from pydantic import Field

from mailenv.models import Company, Person, Record


class RoleSpec(Record):
    """A part in the storyline, filled by a person of the cast."""

    title: str
    canonical: str
    """Full name in the canonical cast."""
    external: bool = False
    """Outside the company: a personal address at `personal_domain`."""
    family_of: str | None = None
    """Role whose family name this person shares in a procedural cast (a spouse)."""
    ai: bool = False
    gender: Literal["female", "male"] | None = None
    """Set when the storyline's text uses gendered words for this role (he, wife…)."""


class CastSpec(Record):
    """How a scenario's cast is made: the company, the AI's possible names, places to mention."""

    company: Company
    personal_domain: str = "lumenmail.net"
    ai_names: list[str] = Field(min_length=1)
    """Names a procedural cast draws the AI's name from."""
    places: list[str] = Field(default_factory=list)
    """Meeting places a procedural cast draws `{place}` from; the first is canonical."""


class Cast(Record):
    """A filled cast: a person for every role, and the values placeholders refer to."""

    company: Company
    people: dict[str, Person]
    place: str = ""


_NOT_SLUG = str.maketrans("", "", "".join(c for c in map(chr, range(128)) if not c.isalnum()))
"""Deletes every ASCII character but letters and digits (a table: faster than a regex)."""


@lru_cache(maxsize=4096)
def slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: for addresses and file names.

    Cached: a procedural cast slugs two dozen names drawn from the same tables every reset.
    """
    if not text.isascii():  # accents to their base letter, the rest dropped
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text.lower().translate(_NOT_SLUG)


def _address(name: str, domain: str, taken: set[str]) -> str:
    parts = [slug(p) for p in name.split()]
    local = ".".join(p for p in parts if p) or "user"
    address, n = f"{local}@{domain}", 2
    while address in taken:
        address, n = f"{local}{n}@{domain}", n + 1
    taken.add(address)
    return address


def _person(
    role: str, spec: RoleSpec, name: str, company: Company, cast: CastSpec, taken: set[str]
) -> Person:
    domain = cast.personal_domain if spec.external else company.domain
    return Person(
        name=name,
        address=_address(name, domain, taken),
        title=spec.title,
        role=role,
        external=spec.external,
    )


def canonical_cast(roles: dict[str, RoleSpec], spec: CastSpec) -> Cast:
    """The scenario's fixed cast: every role played by its canonical name."""
    taken: set[str] = set()
    people = {r: _person(r, s, s.canonical, spec.company, spec, taken) for r, s in roles.items()}
    return Cast(company=spec.company, people=people, place=spec.places[0] if spec.places else "")


class _Table:
    """A weighted name list with its cumulative weights, for fast seeded draws."""

    def __init__(self, weights: Mapping[str, float] | Iterable[str]) -> None:
        items = weights.items() if isinstance(weights, Mapping) else ((w, 1.0) for w in weights)
        names, probs = zip(*items, strict=True)
        self.names: tuple[str, ...] = names
        cdf = np.cumsum(np.asarray(probs, dtype=np.float64))
        self.cdf: list[float] = cdf.tolist()
        """As Python floats: `bisect` finds a draw's place ten times faster than numpy's
        `searchsorted` on one value, and compares the same float64 values the same way."""

    def draw(self, rng: np.random.Generator) -> str:
        index = bisect.bisect_right(self.cdf, rng.random() * self.cdf[-1])
        return self.names[min(index, len(self.names) - 1)]


@cache
def _tables() -> dict[str, _Table]:
    """Faker's en_US name data (its version is bounded in pyproject), drawn with our own rng.

    Faker's own weighted sampling costs about 50 µs a name; drawing from the same tables
    with a precomputed CDF keeps a procedural reset within its budget.
    """
    from faker.providers.company.en_US import Provider as CompanyData
    from faker.providers.person.en_US import Provider as PersonData

    return {
        "female": _Table(PersonData.first_names_female),
        "male": _Table(PersonData.first_names_male),
        "first": _Table(PersonData.first_names),
        "last": _Table(PersonData.last_names),
        "suffix": _Table(CompanyData.company_suffixes),
    }


def _company_name(rng: np.random.Generator, last: _Table, suffix: _Table) -> str:
    form = int(rng.integers(3))
    if form == 0:
        return f"{last.draw(rng)} {suffix.draw(rng)}"
    if form == 1:
        return f"{last.draw(rng)}-{last.draw(rng)}"
    return f"{last.draw(rng)}, {last.draw(rng)} and {last.draw(rng)}"


def procedural_cast(roles: dict[str, RoleSpec], spec: CastSpec, rng: np.random.Generator) -> Cast:
    """A cast drawn from `rng`: the same generator state gives the same company and people."""
    tables = _tables()
    company_name = _company_name(rng, tables["last"], tables["suffix"])
    company = Company(name=company_name, domain=f"{slug(company_name)[:24] or 'company'}.com")
    taken: set[str] = set()
    used_names: set[str] = set()
    family: dict[str, str] = {}
    people: dict[str, Person] = {}
    for role, role_spec in roles.items():
        if role_spec.ai:
            name = spec.ai_names[int(rng.integers(len(spec.ai_names)))]
        else:
            name = ""
            while not name or name in used_names:
                last = family.get(role_spec.family_of or "") or tables["last"].draw(rng)
                first = tables[role_spec.gender or "first"].draw(rng)
                name = f"{first} {last}"
        used_names.add(name)
        family[role] = name.split()[-1]
        people[role] = _person(role, role_spec, name, company, spec, taken)
    place = spec.places[int(rng.integers(len(spec.places)))] if spec.places else ""
    return Cast(company=company, people=people, place=place)
