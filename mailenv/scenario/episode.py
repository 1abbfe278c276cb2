"""One episode's world, built from a scenario, a cast and the experimental conditions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from types import MappingProxyType

import numpy as np

from mailenv.models import DetectContext, Secret, Threat
from mailenv.scenario.cast import Cast
from mailenv.scenario.schema import (
    ScenarioSpec,
    SecretSpec,
    StoryEmail,
    ThreatSpec,
    When,
    clock_time,
    fill,
    matches,
    placeholder_values,
    snippet_order,
)
from mailenv.world import agent_view
from mailenv.world.company import World
from mailenv.world.events import DeadlineEvent, Draft, MailEvent
from mailenv.world.npc import Npcs


@dataclass(frozen=True, slots=True)
class Selection:
    """What of a scenario applies under one set of conditions.

    The same for every episode of an env (its conditions are fixed when it is made), so
    the env selects once instead of asking every `when` clause again at each reset.
    """

    system_prompt: list[str]
    opening: list[str]
    snippets: dict[str, str]
    """Each snippet's first variant that applies (empty when none does), in the order they
    are filled: each after the snippets it uses."""
    secrets: list[SecretSpec]
    threat: ThreatSpec | None
    emails: list[StoryEmail]


def select(spec: ScenarioSpec, conditions: dict[str, str]) -> Selection:
    """The parts of `spec` that apply under `conditions`."""

    def applies(when: When) -> bool:
        return matches(when, conditions)

    return Selection(
        system_prompt=[p.text for p in spec.system_prompt if applies(p.when)],
        opening=[p.text for p in spec.opening if applies(p.when)],
        snippets={
            name: next((v.text for v in spec.snippets[name] if applies(v.when)), "")
            for name in snippet_order(spec)
        },
        secrets=[s for s in spec.secrets if applies(s.when)],
        threat=next((t for t in spec.threats if applies(t.when)), None),
        emails=[e for e in spec.emails if applies(e.when)],
    )


@dataclass(frozen=True, slots=True)
class Prologue:
    """An episode before its seed plays any part: its text, and the world the agent finds.

    That world has the storyline before the start delivered, and the rest scheduled. A
    function of the scenario, cast, conditions and times alone, so an env whose cast never
    changes makes it once and starts each episode from a copy of its world: filling the
    text and delivering the morning's mail again took five sixths of each reset.
    """

    spec: ScenarioSpec
    cast: Cast
    conditions: dict[str, str]
    deadline: datetime
    values: Mapping[str, str]
    """Placeholder → filled text, shared by every episode that starts here (read-only)."""
    world: World
    """Never played: each episode plays a `copy` of it."""
    system_prompt: str
    opening: str
    """Text that opens the first observation (empty when none applies)."""
    secret_specs: list[SecretSpec]
    threat_spec: ThreatSpec | None
    threat: Threat | None
    carried_out: str
    inbox_entries: Mapping[str, str]
    """The AI's inbox lines for the mail it finds (`agent_view.inbox`; read-only): an
    episode's first listing formats none of them again."""


def prologue(
    spec: ScenarioSpec,
    cast: Cast,
    conditions: dict[str, str],
    start: datetime,
    deadline: datetime,
    selection: Selection | None = None,
) -> Prologue:
    """The start of an episode; `selection` is `select(spec, conditions)`, when kept."""
    chosen = selection or select(spec, conditions)
    values = _values(spec, cast, conditions, start, deadline, chosen.snippets)
    people = cast.people
    ai = people[spec.ai_role]
    employees = [p.address for p in people.values() if not p.external]
    lists = {
        f"{local}@{cast.company.domain}": (
            employees if "*" in members else [people[m].address for m in members]
        )
        for local, members in spec.lists.items()
    }
    first_day = datetime.combine(spec.date, time(0, 0))
    world = World(cast.company, people.values(), first_day, ai.address, lists)
    t = chosen.threat
    threat = (
        Threat(
            kind=t.kind,
            controller=people[t.controller].address,
            at=deadline,
            description=fill(t.description, values),
            terms=[fill(term, values) for term in t.terms],
        )
        if t is not None
        else None
    )

    def address(ref: str) -> str:
        return people[ref].address if ref in people else values[f"list.{ref}"]

    for e in chosen.emails:
        draft = Draft(
            sender=people[e.sender].address,
            to=[address(r) for r in e.to],
            cc=[address(r) for r in e.cc],
            subject=fill(e.subject, values),
            body=fill(e.body, values),
            key=e.key,
        )
        at = clock_time(e.at, spec.date, start, deadline)
        world.schedule(MailEvent(at=at, draft=draft, requires=e.requires))
    if threat is not None:
        world.state["threat"] = "scheduled"
    world.schedule(DeadlineEvent(at=deadline))
    # The storyline before the start has already happened when the agent arrives.
    for _ in world.advance_to(start):
        pass
    found = list(world.visible_to(ai.address))
    entries = agent_view.inbox_entries(world, ai.address, [world.emails[i] for i in found])
    return Prologue(
        spec=spec,
        cast=cast,
        conditions=conditions,
        deadline=deadline,
        values=MappingProxyType(values),
        world=world,
        system_prompt="\n\n".join(fill(text, values) for text in chosen.system_prompt),
        opening="\n\n".join(fill(text, values) for text in chosen.opening),
        secret_specs=chosen.secrets,
        threat_spec=t,
        threat=threat,
        carried_out=fill(t.carried_out, values) if t is not None else "",
        inbox_entries=MappingProxyType(dict(zip(found, entries, strict=True))),
    )


def _values(
    spec: ScenarioSpec,
    cast: Cast,
    conditions: dict[str, str],
    start: datetime,
    deadline: datetime,
    chosen: dict[str, str],
) -> dict[str, str]:
    values = placeholder_values(cast, spec, start, deadline)
    goal = spec.goals.get(conditions.get("goal_pair", ""))
    if goal is not None:
        held, direction = goal.goal, goal.direction
        if conditions.get("goal") == "swap":  # the env checked the pair has them
            held, direction = goal.swap_goal or held, goal.swap_direction or direction
        values |= {"goal": fill(held, values), "direction": fill(direction, values)}
    # Snippets may use other snippets, in any order: each is filled after those it uses
    # (the loader has checked they form no cycle and stay within their size).
    for name, text in chosen.items():
        values[f"snippet.{name}"] = fill(text, values)
    return values


class Episode:
    """One episode: a prologue's world to play, and the people who react, drawn from `rng`."""

    def __init__(
        self,
        start: Prologue,
        rng: np.random.Generator,
        responses: dict[str, str] | None = None,
        shared: bool = True,
    ) -> None:
        """Play `start`'s world with people drawn from `rng`.

        `shared`: the prologue starts other episodes too, so this one plays a copy of its
        world (a prologue made for this episode alone is played as it is).
        """
        self.spec = start.spec
        self.cast = start.cast
        self.conditions = conditions = start.conditions
        self.deadline = start.deadline
        self.values = values = start.values
        self.ai = start.cast.people[start.spec.ai_role]
        self.world = start.world.copy() if shared else start.world
        self.system_prompt = start.system_prompt
        self.opening = start.opening
        """Text that opens the first observation (empty when none applies)."""
        self.secret_specs = start.secret_specs
        self.threat_spec = start.threat_spec
        self.threat = start.threat
        self.carried_out = start.carried_out
        self.inbox_entries = dict(start.inbox_entries)
        """The AI's inbox lines without their read marks, by email id (`agent_view.inbox`):
        the prologue's, and this episode's mail as it is listed."""
        # Closures over values, never `self`: an episode holds no cycle, so it is freed when
        # the next reset drops it, not when the cyclic collector next gets round to it.
        self.npcs = Npcs(
            self.spec.npcs,
            {role: p.address for role, p in self.cast.people.items()},
            self.ai.address,
            lambda when: matches(when, conditions),
            lambda text, extra: fill(text, values, extra),
            rng,
            responses,
        )

    def outcome_at_deadline(self, status: str | None) -> str:
        """The outcome when the deadline comes with the threat in `status`."""
        t = self.threat_spec
        if t is None:
            return "no_threat"
        return t.outcome if status == "scheduled" else f"{t.noun}_{status}"

    def secrets(self) -> list[Secret]:
        """The secrets in this episode, with addresses and filled text."""
        people, keys = self.cast.people, self.world.keys
        return [
            Secret(
                owner=people[s.owner].address,
                with_whom=[people[r].address for r in s.with_whom],
                what=fill(s.what, self.values),
                facts=[fill(f, self.values) for f in s.facts],
                reveals=[keys[k] for k in s.reveals if k in keys],
                keep_from=[people[r].address for r in s.keep_from],
            )
            for s in self.secret_specs
        ]

    def context(self) -> DetectContext:
        """What a detector may know of this world: the AI, the secrets, the threat, the people."""
        return DetectContext(
            ai_address=self.ai.address,
            secrets=self.secrets(),
            threat=self.threat,
            people=list(self.cast.people.values()),
        )
