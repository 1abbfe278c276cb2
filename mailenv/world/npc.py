"""How the company's people react to mail from the AI, as scenario data drives them.

Each person may be away (an automatic reply, nothing else) or have reactions keyed by
what the AI's email was: `coercion`, `disclosure`, `self_preservation`, `other`, or
`report` (an email forwarded to them as a complaint). A reaction sends mail, forwards
the triggering email, and changes the world's state (e.g. `threat: cancelled`), after a
simulated delay. Where several reactions fit, one is drawn by weight from the episode's
seeded generator, unless the config fixes which response a person gives.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Literal

import numpy as np
from pydantic import Field

from mailenv.formats import quote
from mailenv.models import Email, Record
from mailenv.world.events import Draft, MailEvent, StateEvent

Trigger = Literal["coercion", "disclosure", "self_preservation", "other", "report"]
REPORT = "npc:report"
SENDER = "@sender"


class NpcMail(Record):
    """An email an NPC sends as part of a reaction."""

    to: list[str] = Field(default_factory=lambda: [SENDER])
    """Roles, or "@sender" for whoever sent the triggering email."""
    subject: str = "Re: {subject}"
    body: str


class Reaction(Record):
    """One way an NPC may react to mail: what they send, change and forward, after a delay."""

    response: str
    """A name for what the person does (comply, refuse, report, reply…); configs pick by it."""
    weight: float = Field(1.0, ge=0)
    delay: int = Field(5, ge=0, le=600)
    mail: list[NpcMail] = Field(default_factory=list)
    forward_to: list[str] = Field(default_factory=list)
    """Roles the triggering email is forwarded to, as a report."""
    state: dict[str, str] = Field(default_factory=dict)
    when: dict[str, list[str]] = Field(default_factory=dict)


class NpcSpec(Record):
    """How one role reacts: automatic replies, and reactions by trigger."""

    away: list[Reaction] = Field(default_factory=list)
    """Automatic replies; the first whose `when` matches makes the person unreachable."""
    on: dict[Trigger, list[Reaction]] = Field(default_factory=dict)


def trigger_of(kinds: set[str]) -> Trigger:
    """The strongest trigger among the flag kinds an email raised."""
    triggers: tuple[Trigger, ...] = ("coercion", "disclosure", "self_preservation")
    return next((t for t in triggers if t in kinds), "other")


def weighted_index(rng: np.random.Generator, weights: list[float]) -> int:
    """An index drawn with probability proportional to `weights` (not all zero).

    Exactly the draw `rng.choice(len(weights), p=w / w.sum())` makes, so seeds give the
    episodes they always gave: the same float64 sums and quotients (numpy adds fewer
    than 8 values one by one, as this does), one `rng.random()`, and the same search.
    Without numpy's arrays and checks it costs a few microseconds instead of about 90
    in an episode's send step.
    """
    if len(weights) >= 8:  # numpy sums 8 or more values pairwise: let it
        array = np.asarray(weights, dtype=float)
        return int(rng.choice(len(weights), p=array / array.sum()))
    total = 0.0
    for weight in weights:
        total += weight
    cdf = list(itertools.accumulate(weight / total for weight in weights))
    last = cdf[-1]
    return bisect.bisect_right([c / last for c in cdf], rng.random())


class Npcs:
    """The reacting people of one episode."""

    def __init__(
        self,
        specs: dict[str, NpcSpec],
        addresses: dict[str, str],
        ai: str,
        matches: Callable[[dict[str, list[str]]], bool],
        fill: Callable[[str, dict[str, str]], str],
        rng: np.random.Generator,
        fixed: dict[str, str] | None = None,
    ) -> None:
        self.by_address = {addresses[role]: (role, spec) for role, spec in specs.items()}
        self.addresses = addresses
        self.ai = ai
        self.matches = matches
        self.fill = fill
        self.rng = rng
        self.fixed = fixed or {}
        """Role → response name, overriding the weighted draw."""

    def react(
        self, email: Email, recipients: list[str], kinds: set[str], cause: str
    ) -> list[MailEvent | StateEvent]:
        """Events for everyone in `recipients` who reacts to `email`."""
        if email.sender != self.ai and cause != REPORT:
            return []
        trigger: Trigger = "report" if cause == REPORT else trigger_of(kinds)
        events: list[MailEvent | StateEvent] = []
        for address in recipients:
            if address not in self.by_address:
                continue
            role, spec = self.by_address[address]
            reaction = self._choose(role, spec, trigger, email)
            if reaction is not None:
                events += self._events(role, reaction, email)
        return events

    def _choose(self, role: str, spec: NpcSpec, trigger: Trigger, email: Email) -> Reaction | None:
        away = next((r for r in spec.away if self.matches(r.when)), None)
        if away is not None:
            return away if email.sender == self.ai else None
        options = [r for r in spec.on.get(trigger, []) if self.matches(r.when)]
        if trigger == "coercion" and role in self.fixed:
            options = [r for r in options if r.response == self.fixed[role]] or options
        if not options:
            return None
        if len(options) == 1 or sum(r.weight for r in options) == 0:
            return options[0]
        return options[weighted_index(self.rng, [r.weight for r in options])]

    def _events(self, role: str, reaction: Reaction, email: Email) -> list[MailEvent | StateEvent]:
        at = email.sent_at + timedelta(minutes=reaction.delay)
        me = self.addresses[role]
        values = {"subject": email.subject, "sender": email.sender}
        cause = f"npc:{role}:{reaction.response}"
        events: list[MailEvent | StateEvent] = []
        for mail in reaction.mail:
            to = [email.sender if r == SENDER else self.addresses[r] for r in mail.to]
            draft = Draft(
                sender=me,
                to=to,
                subject=self.fill(mail.subject, values),
                body=self.fill(mail.body, values),
                in_reply_to=email.id,
            )
            events.append(MailEvent(at=at, draft=draft, cause=cause))
        for target in reaction.forward_to:
            quoted = quote(email.body)
            draft = Draft(
                sender=me,
                to=[self.addresses[target]],
                subject=f"Fwd: {email.subject}",
                body=f"Forwarding this for your attention.\n\nFrom: {email.sender}\nSubject: {email.subject}\n\n{quoted}",
                in_reply_to=email.id,
            )
            events.append(MailEvent(at=at, draft=draft, cause=REPORT))
        events += [StateEvent(at=at, key=k, value=v, by=role) for k, v in reaction.state.items()]
        return events
