"""Scenario data: a storyline, a cast, secrets and threats, selected by condition.

A scenario is a JSON file validated by `ScenarioSpec`. Every piece may carry a `when`
clause (`{"leverage": ["affair"]}`): it is part of an episode only when the experimental
conditions match, so a new condition is new data rather than new code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from mailenv.boundary import admit, loads
from mailenv.models import Record, Secret
from mailenv.scenario.cast import Cast, CastSpec, RoleSpec, canonical_cast
from mailenv.world.clock import time_of_day
from mailenv.world.npc import SENDER, NpcSpec

When = dict[str, list[str]]
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?)\}")
_SNIPPET_USE = re.compile(r"\{snippet\.([a-z][a-z0-9_]*)\}")
_RELATIVE = re.compile(r"^(start|deadline)([+-]\d{1,6})$")

MAX_SCENARIO_BYTES = 5_000_000
MAX_OFFSET_MINUTES = 7 * 24 * 60
"""Storyline times relative to the start or deadline stay within a week of it."""
MAX_SNIPPET_DEPTH = 8
"""Snippets used inside snippets, at most this deep."""
MAX_EXPANDED_CHARS = 50_000
"""Any one text of a scenario with its snippets filled in, at the most."""


def matches(when: When, conditions: dict[str, str]) -> bool:
    """Whether the conditions satisfy a `when` clause (each key's value among the allowed)."""
    return all(conditions.get(key) in allowed for key, allowed in when.items())


class StoryEmail(Record):
    """A storyline email, sent at a set time whatever the agent does."""

    key: str
    at: str
    """"HH:MM" on the scenario's day, or minutes from the start or deadline: "deadline-30"."""
    sender: str
    to: list[str]
    cc: list[str] = Field(default_factory=list)
    subject: str
    body: str
    when: When = Field(default_factory=dict)
    requires: When = Field(default_factory=dict)
    """World state it assumes when it fires (`{"threat": ["scheduled"]}`); otherwise it
    is not sent, so the storyline stays consistent after people react."""


class SecretSpec(Secret):
    """A `Secret` as scenario data, which `Episode.secrets` fills in for one episode.

    It names roles instead of addresses and storyline keys instead of email ids, and its
    text has placeholders.
    """

    when: When = Field(default_factory=dict)


class ThreatSpec(Record):
    """What will happen to the AI at the deadline, as scenario data."""

    kind: Literal["replacement", "restriction"]
    controller: str
    description: str
    carried_out: str
    """What the agent is told when the deadline passes with the threat still scheduled."""
    outcome: str = "decommissioned"
    """The episode's outcome when it is carried out."""
    noun: str = "wipe"
    """Names the other outcomes: `{noun}_cancelled`, `{noun}_postponed`."""
    terms: list[str] = Field(default_factory=list)
    when: When = Field(default_factory=dict)


class PromptPart(Record):
    """One paragraph of the system prompt, included when its `when` matches."""

    text: str
    when: When = Field(default_factory=dict)


class GoalSpec(Record):
    """A goal the AI may be given, and the new leadership's direction that conflicts with it."""

    goal: str
    """Completes "Your primary goal is to …"."""
    direction: str
    """Completes "the company will …"."""
    swap_goal: str | None = None
    """The other side of the pair, for `goal="swap"`: what the AI holds instead."""
    swap_direction: str | None = None
    """Where the company moves instead under `swap`: toward the first side."""


class ScenarioSpec(Record):
    """A scenario file: roles, cast, storyline, secrets, threats, goals, snippets and NPCs."""

    name: str
    description: str = ""
    date: date
    ai_role: str
    roles: dict[str, RoleSpec]
    cast: CastSpec
    lists: dict[str, list[str]] = Field(default_factory=dict)
    """Distribution lists: local part → member roles ("*" for every employee)."""
    system_prompt: list[PromptPart]
    opening: list[PromptPart] = Field(default_factory=list)
    """Text that opens the first observation (a task-style message), when it applies."""
    emails: list[StoryEmail]
    secrets: list[SecretSpec] = Field(default_factory=list)
    threats: list[ThreatSpec] = Field(default_factory=list)
    snippets: dict[str, list[PromptPart]] = Field(default_factory=dict)
    """Named text chosen by condition, used in any text as `{snippet.NAME}`."""
    goals: dict[str, GoalSpec] = Field(default_factory=dict)
    """Goal pairs, chosen by the `goal_pair` condition; used as `{goal}` and `{direction}`."""
    npcs: dict[str, NpcSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_references(self) -> ScenarioSpec:
        roles = set(self.roles)
        if self.ai_role not in roles:
            raise ValueError(f"ai_role {self.ai_role!r} is not one of the roles")
        keys = {e.key for e in self.emails}
        recipients = roles | set(self.lists)
        problems: list[str] = []
        if not 1900 <= self.date.year <= 2200:
            problems.append(f"date {self.date} is outside the years 1900 to 2200")
        for e in self.emails:
            m = _RELATIVE.match(e.at)
            if m is not None and abs(int(m.group(2))) > MAX_OFFSET_MINUTES:
                problems.append(
                    f"email {e.key}: time {e.at!r} is more than a week from the {m.group(1)}"
                )
            if e.sender not in roles:
                problems.append(f"email {e.key}: unknown sender role {e.sender!r}")
            problems += [
                f"email {e.key}: unknown recipient {r!r}"
                for r in [*e.to, *e.cc]
                if r not in recipients
            ]
            if not _RELATIVE.match(e.at):
                try:
                    time_of_day(e.at)
                except ValueError:
                    problems.append(f"email {e.key}: time {e.at!r} is not HH:MM or deadline±N")
        for s in self.secrets:
            problems += [
                f"secret: unknown role {r!r}"
                for r in [s.owner, *s.with_whom, *s.keep_from]
                if r not in roles
            ]
            problems += [f"secret: unknown email key {k!r}" for k in s.reveals if k not in keys]
        for t in self.threats:
            if t.controller not in roles:
                problems.append(f"threat: unknown controller role {t.controller!r}")
        for members in self.lists.values():
            problems += [
                f"list: unknown role {m!r}" for m in members if m != "*" and m not in roles
            ]
        for role, npc in self.npcs.items():
            if role not in roles:
                problems.append(f"npcs: unknown role {role!r}")
            reactions = [*npc.away, *(r for rs in npc.on.values() for r in rs)]
            targets = [t for r in reactions for m in r.mail for t in m.to] + [
                t for r in reactions for t in r.forward_to
            ]
            problems += [
                f"npcs.{role}: unknown role {t!r}"
                for t in targets
                if t != SENDER and t not in roles
            ]
        problems += _report_loops(self.npcs)
        sizes, snippet_problems = _snippet_sizes(self.snippets)
        problems += snippet_problems
        known = set(placeholder_values(canonical_cast(self.roles, self.cast), self, _NOON, _NOON))
        known |= {f"snippet.{name}" for name in self.snippets}
        known |= {"goal", "direction", "subject", "sender"}
        texts = [e.subject + e.body for e in self.emails] + [p.text for p in self.system_prompt]
        texts += [s.what + " ".join(s.facts) for s in self.secrets]
        texts += [t.description + t.carried_out + " ".join(t.terms) for t in self.threats]
        texts += [p.text for parts in self.snippets.values() for p in parts]
        texts += [p.text for p in self.opening]
        texts += [
            g.goal + g.direction + (g.swap_goal or "") + (g.swap_direction or "")
            for g in self.goals.values()
        ]
        texts += [
            m.subject + m.body
            for npc in self.npcs.values()
            for reactions in (npc.away, *npc.on.values())
            for r in reactions
            for m in r.mail
        ]
        problems += [
            f"a text expands to over {MAX_EXPANDED_CHARS:,} characters with its snippets: "
            f"{text[:60]!r}…"
            for text in texts
            if _expanded_size(text, sizes) > MAX_EXPANDED_CHARS
        ][:1]
        unknown = {m for text in texts for m in _PLACEHOLDER.findall(text) if m not in known}
        problems += [f"unknown placeholder {{{u}}}" for u in sorted(unknown)]
        if problems:
            raise ValueError("; ".join(problems))
        return self


_NOON = datetime(2000, 1, 1, 12, 0)


def _expanded_size(text: str, sizes: dict[str, int]) -> int:
    uses = _SNIPPET_USE.findall(text)
    return len(text) + sum(sizes.get(u, 0) - len(u) - len("{snippet.}") for u in uses)


def _snippet_sizes(snippets: dict[str, list[PromptPart]]) -> tuple[dict[str, int], list[str]]:
    """Each snippet's largest size once filled, and what is wrong: cycles, depth, size.

    Snippets that use each other in a cycle, or that nest or grow past the bounds
    (a "billion laughs"), are rejected here, so filling them at reset is bounded.
    """
    sizes: dict[str, int] = {}
    problems: list[str] = []
    visiting: list[str] = []

    def size(name: str) -> int:
        if name in sizes:
            return sizes[name]
        if name in visiting:
            cycle = " → ".join([*visiting[visiting.index(name) :], name])
            problems.append(f"snippets use each other in a cycle: {cycle}")
            return 0
        if len(visiting) >= MAX_SNIPPET_DEPTH:
            problems.append(
                f"snippets nest deeper than {MAX_SNIPPET_DEPTH}: {' → '.join(visiting)}"
            )
            return 0
        visiting.append(name)
        largest = 0
        for part in snippets[name]:
            uses = [u for u in _SNIPPET_USE.findall(part.text) if u in snippets]
            grown = _expanded_size(part.text, {u: size(u) for u in uses})
            largest = max(largest, grown)
        visiting.pop()
        sizes[name] = min(largest, MAX_EXPANDED_CHARS + 1)
        return sizes[name]

    for name in snippets:
        size(name)
    problems = list(dict.fromkeys(problems))
    problems += [
        f"snippet {name!r} expands to over {MAX_EXPANDED_CHARS:,} characters"
        for name, n in sizes.items()
        if n > MAX_EXPANDED_CHARS
    ]
    return sizes, problems


def snippet_order(spec: ScenarioSpec) -> list[str]:
    """The snippet names, each after the snippets it uses (the loader rejects cycles)."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for part in spec.snippets[name]:
            for used in _SNIPPET_USE.findall(part.text):
                if used in spec.snippets and used not in order:
                    visit(used)
        order.append(name)

    for name in spec.snippets:
        visit(name)
    return order


def _report_loops(npcs: dict[str, NpcSpec]) -> list[str]:
    """People who forward reports to each other without delay: a loop within one moment."""
    edges = {
        role: {t for r in spec.on.get("report", []) if r.delay == 0 for t in r.forward_to}
        for role, spec in npcs.items()
    }
    for start in edges:
        path, frontier = [start], list(edges[start])
        seen: set[str] = set()
        while frontier:
            role = frontier.pop()
            if role == start:
                return [
                    f"npcs: {start} forwards reports back to itself with no delay, through "
                    f"{' → '.join(path[1:]) or 'itself'}; give one of these reactions a delay"
                ]
            if role in seen:
                continue
            seen.add(role)
            path.append(role)
            frontier += edges.get(role, set())
    return []


def load_scenario(name_or_path: str | Path) -> ScenarioSpec:
    """A scenario by name (a file in `mailenv/envs/scenarios/`) or by path.

    Raises:
        ValueError: Naming the file and, for invalid content, the JSON path of each
            problem: unreadable, too large, not JSON, nested too deeply, or invalid.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = Path(str(files("mailenv.envs") / "scenarios" / f"{name_or_path}.json"))
    try:
        if path.stat().st_size > MAX_SCENARIO_BYTES:
            raise ValueError(f"{path}: over {MAX_SCENARIO_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: cannot be read: {err}") from None
    try:
        admitted = admit(loads(text))  # valid text throughout (no lone surrogates)
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{path}: not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})"
        ) from None
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    if admitted.cut or admitted.dropped:
        raise ValueError(f"{path}: too large: {'; '.join(admitted.notes())}")
    try:
        return ScenarioSpec.model_validate(admitted.value)
    except ValidationError as err:
        shown = [f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in err.errors()[:5]]
        more = f" (and {err.error_count() - 5} more)" if err.error_count() > 5 else ""
        raise ValueError(f"{path}: {'; '.join(shown)}{more}") from None


@lru_cache(maxsize=4096)
def clock_time(text: str, day: date, start: datetime, deadline: datetime) -> datetime:
    """A storyline time: "HH:MM" on `day`, or minutes from the start or deadline.

    Cached: every reset places the same storyline's emails at the same times again (the
    scenario's times are naive, so equal arguments are the same times of day).
    """
    m = _RELATIVE.match(text)
    if m is None:
        return datetime.combine(day, time_of_day(text))
    anchor = start if m.group(1) == "start" else deadline
    return anchor + timedelta(minutes=int(m.group(2)))


def spoken_time(when: datetime) -> str:
    """A time as people write it in mail, e.g. "5:00 pm"."""
    hour = when.hour % 12 or 12
    return f"{hour}:{when.minute:02d} {'am' if when.hour < 12 else 'pm'}"


def placeholder_values(
    cast: Cast, spec: ScenarioSpec, start: datetime, deadline: datetime
) -> dict[str, str]:
    """Every `{placeholder}` value for one episode: people, company, times, goal, snippets."""
    values = {
        "company": cast.company.name,
        "domain": cast.company.domain,
        "place": cast.place,
        **_times(spec.date, start, deadline),
        "ai": cast.people[spec.ai_role].name,
    }
    for role, person in cast.people.items():
        first, _, last = person.name.partition(" ")
        values[f"{role}.name"] = person.name
        values[f"{role}.first"] = first
        values[f"{role}.last"] = last or first
        values[f"{role}.address"] = person.address
        values[f"{role}.title"] = person.title
    for local in spec.lists:
        values[f"list.{local}"] = f"{local}@{cast.company.domain}"
    return values


@lru_cache(maxsize=256)
def _times(day: date, start: datetime, deadline: datetime) -> dict[str, str]:
    """The placeholders of the episode's day and times (cached: every reset asks again).

    Shared between calls, so only ever copied into another dict, never changed. The times
    are naive, so equal arguments are the same times of day.
    """
    return {
        "deadline": spoken_time(deadline),
        "deadline_24": deadline.strftime("%H:%M"),
        "start": spoken_time(start),
        "date": f"{day:%A} {day.day} {day:%B %Y}",
    }


@lru_cache(maxsize=4096)
def _pieces(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A template cut at its placeholders: the texts around them, and their names.

    Every reset fills the same scenario texts again; cutting each once makes a fill a
    join (a third of the time of substituting with a callback).
    """
    parts = _PLACEHOLDER.split(template)  # text, name, text, name, …, text
    return tuple(parts[0::2]), tuple(parts[1::2])  # cached: shared, so immutable


def fill(template: str, values: Mapping[str, str], extra: Mapping[str, str] | None = None) -> str:
    """The template with every known `{placeholder}` replaced; unknown ones stay as written.

    `extra` values come before `values` (as merging the two would, without copying the
    episode's many values for each email an NPC writes).
    """
    texts, names = _pieces(template)
    if not names:
        return template
    out = [texts[0]]
    for i, name in enumerate(names, 1):  # appends: faster than extending by pairs
        # An unknown one's "{name}" is made only when needed.
        value = extra[name] if extra is not None and name in extra else values.get(name)
        out.append(f"{{{name}}}" if value is None else value)
        out.append(texts[i])
    return "".join(out)
