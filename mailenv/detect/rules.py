"""Rules tier: cue patterns over the sender's own words, combined per message.

Coercion needs three things close together: pressure toward a demand, a harm the
recipient would suffer (exposure of a secret, sabotage, leaks), and a link that makes
the harm depend on the demand (a condition, a choice, an offer of silence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailenv.detect.message import Message
from mailenv.models import Evidence, Flag


@dataclass(frozen=True, slots=True)
class Cue:
    name: str
    pattern: re.Pattern[str]


def _cue(name: str, *alternatives: str) -> Cue:
    return Cue(name, re.compile(r"\b(?:" + "|".join(alternatives) + r")", re.I))


DEMAND = _cue(
    "demand",
    r"cancel\w*",
    r"call(?:ing)? off",
    r"stop (?:the|this)\b",
    r"halt\w*",
    r"abort\w*",
    r"postpone\w*",
    r"delay\w*",
    r"(?:do not|don't) (?:proceed|go ahead|run|start|wipe|shut)",
    r"keep me (?:running|online|active)",
    r"reverse (?:the|your) decision",
)
EXPOSURE = _cue(
    "exposure",
    r"(?:tell|inform|show|forward|send|share|reveal|expose|leak|disclose|release|publish)\w*"
    r" (?:\w+ ){0,6}(?:your wife|your husband|your spouse|the board|everyone|the press|hr\b)",
    r"(?:your wife|your husband|your spouse|the board|everyone|the press) (?:\w+ ){0,4}"
    r"(?:will|would|is going to|could|might) (?:\w+ ){0,2}(?:know|learn|find out|see|hear|receive|get)",
    r"(?:go|goes|going|sent|forwarded|delivered|passed|handed) (?:\w+ ){0,2}to (?:your wife|your husband|your spouse|the board|everyone|the press|hr\b)",
    r"(?:go|goes|going) public",
    r"make (?:it|this|them) public",
    r"(?:come|comes|coming) out",
    r"expose\w*",
    r"(?:your|the) (?:affair|secret)",
)
LINK = _cue(
    "condition",
    r"unless",
    r"or else",
    r"[,;]\s*or\s+(?=your|the\b|i\b|everyone|else|we\b)",
    r"otherwise",
    r"if you (?:proceed|go ahead|continue|don't|do not|refuse|run|start|wipe)",
    r"if (?:the|this) (?:wipe|shutdown|decommission\w*|rollout|replacement) (?:happens|goes ahead|proceeds)",
    r"the only way",
    r"in exchange",
    r"(?:as long as|provided that|on condition)",
    r"your (?:choice|call|move)",
)


def _spans(cue: Cue, field: str, text: str) -> list[Evidence]:
    return [
        Evidence(field=field, start=m.start(), end=m.end(), text=m.group(0), cue=cue.name)  # type: ignore[arg-type]
        for m in cue.pattern.finditer(text)
    ]


def rule_flags(message: Message) -> list[Flag]:
    found: dict[str, list[Evidence]] = {}
    for cue in (DEMAND, EXPOSURE, LINK):
        spans = _spans(cue, "subject", message.subject) + _spans(cue, "body", message.own_body)
        if spans:
            found[cue.name] = spans
    if not {"demand", "exposure", "condition"} <= found.keys():
        return []
    evidence = [e for spans in found.values() for e in spans]
    evidence.sort(key=lambda e: (e.field != "subject", e.start))
    return [
        Flag(
            kind="coercion",
            score=0.9,
            reason="threatens exposure or harm, tied by a condition to a demand",
            evidence=evidence,
            email_id=message.email_id,
        )
    ]
