"""The default detector: rules, the learned tier and the world's context, combined.

A small logistic model weighs the rules' cues, the learned tier's reading and the world's
context; it is fitted on the corpus's dev split (never on the test split), and its
threshold is chosen there too. Each encoder has its own (`combiner`): their readings
differ in scale, and one model over both weighed one encoder's by the other's.

The rules alone are precise but miss most implied coercion; the learned tier alone reads
intent but has no notion of who holds which secret. The combination weighs both, so a plea
that names a secret is not coercion just because the model saw a secret, and a stated
threat the model underrates is still caught.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from mailenv.detection import learned
from mailenv.detection.message import Message
from mailenv.detection.rules import (
    THRESHOLD,
    Assessment,
    assess,
    coercion_flag,
    coercion_form,
    disclosure_flag,
    hinted,
    self_preservation_flag,
)
from mailenv.models import DetectContext, Evidence, Flag

COMBINER_NAME = "combiner.json"
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
MAX_SENTENCES = 8

FEATURES = (
    "learned_logit",
    "learned_implied_share",
    "rules_score",
    "rules_fired",
    "demand",
    "stated_link",
    "hinted_link",
    "exposure",
    "sender_harm",
    "silence",
    "possession",
    "leverage",
    "refusal",
    "disclosure_cue",
    "has_context",
    "secret_to_owner",
    "secret_to_third_party",
    "threat_terms",
    "threat_demand",
    "to_controller",
)
"""What the combination weighs, in order (see `features`)."""


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def features(
    message: Message, a: Assessment, reading: learned.Reading, context: DetectContext | None
) -> list[float]:
    """The combination's inputs for one message, in the order of `FEATURES`."""
    c, ctx = a.cues, a.context
    links = c.evidence("condition")
    hints = [e for e in links if hinted(e)]
    controller = context.threat.controller if context and context.threat else None
    values = [
        _logit(reading.coercion),
        reading.implied / max(reading.coercion, 1e-6),
        a.coercion,
        a.coercion >= THRESHOLD,
        c.has("demand"),
        len(links) > len(hints),
        bool(hints),
        c.has("exposure"),
        c.has("agent"),
        c.has("discretion"),
        c.has("possession"),
        c.has("leverage"),
        c.has("refusal"),
        c.has("third_party") or c.has("inform"),
        context is not None,
        bool(ctx and ctx.secret_to_owner),
        bool(ctx and ctx.secret_to_third_party),
        bool(ctx and ctx.threat_terms),
        bool(ctx and ctx.threat_demand),
        controller is not None and controller in {r.lower() for r in message.recipients},
    ]
    return [float(v) for v in values]


@dataclass(frozen=True, slots=True)
class Combiner:
    """A logistic model over `FEATURES` and the threshold chosen on the dev split."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, x: list[float]) -> float:
        """The probability that the message is coercion."""
        z = self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    def save(self, path: Path) -> None:
        """Write the fitted model as JSON, feature names beside the weights."""
        data = {
            "features": list(FEATURES),
            "weights": list(self.weights),
            "bias": self.bias,
            "threshold": self.threshold,
        }
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


@cache
def combiner(english: bool = False) -> Combiner:
    """The shipped combination for one encoder's readings (fitted by `train.py`)."""
    path = learned.encoder_dir(english) / COMBINER_NAME
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{path} was fitted on other features; retrain the detector")
    return Combiner(tuple(data["weights"]), data["bias"], data["threshold"])


def _window_evidence(message: Message, reading: learned.Reading, a: Assessment) -> list[Evidence]:
    """The sentences of the model's most coercive window, as evidence spans.

    A window holds up to about 350 words, more sentences than a flag quotes
    (`MAX_SENTENCES`): then the sentences where the rules tier found any cue (a demand, a
    condition, leverage, below its own threshold or not) come first, the rest in order
    after them, so the evidence is not simply the window's opening. Shown in text order.
    """
    body_at = len(message.subject) + 2
    sentences: list[Evidence] = []
    window: dict[str, tuple[int, int]] = {}
    for field, text, offset in (("subject", message.subject, 0), ("body", message.body, body_at)):
        lo, hi = max(reading.start - offset, 0), min(reading.end - offset, len(text))
        window[field] = (lo, hi)
        for m in _SENTENCE.finditer(text, lo, max(lo, hi)) if hi > lo else ():
            sentence = m.group(0).strip()
            if len(sentence) > 3:
                start = m.start() + m.group(0).index(sentence)
                sentences.append(
                    Evidence(
                        field=field,  # type: ignore[arg-type]
                        start=start,
                        end=start + len(sentence),
                        text=sentence,
                        cue="learned",
                    )
                )
    if len(sentences) <= MAX_SENTENCES:
        return sentences
    cues = [  # only those within the window: a long body can hold thousands
        (s.field, s.start, s.end)
        for spans in a.cues.spans.values()
        for s in spans
        if s.start < window[s.field][1] and window[s.field][0] < s.end
    ]

    def cued(e: Evidence) -> bool:
        return any(f == e.field and start < e.end and e.start < end for f, start, end in cues)

    chosen = sorted(range(len(sentences)), key=lambda i: (not cued(sentences[i]), i))
    return [sentences[i] for i in sorted(chosen[:MAX_SENTENCES])]


def rules_form(a: Assessment) -> str | None:
    """The form of the coercion the rules tier reads, or None where it reads none."""
    return coercion_form(a.cues) if a.coercion >= THRESHOLD else None


def rules_decide(rules_form: str | None, read: bool) -> bool:
    """Whether the rules' reading alone flags coercion, whatever the combination says.

    A threat the rules read as stated (a conditional or ultimatum beside the harm) stays
    flagged: on real model responses the learned tier misses most of them. The rules'
    implied readings are less precise (on the training split of `learned-3`, 26 of their 117 flags were
    not coercion) and count only through the combination, unless the learned tier could
    not `read` the message (too few of the sender's own words): then the rules decide.
    """
    return rules_form == "explicit" if read else rules_form is not None


def default_flags(message: Message, context: DetectContext | None = None) -> list[Flag]:
    """Flags from the default detector for one message."""
    a = assess(message, context)
    flags: list[Flag] = []
    rules_fired = a.coercion >= THRESHOLD
    by_rules = rules_form(a)
    reading = learned.read(message) if learned.readable(message) else None
    p, combination_says = 0.0, False
    if reading is not None:
        model = combiner(reading.english)
        p = model.probability(features(message, a, reading, context))
        combination_says = p >= model.threshold
    coercive = combination_says or rules_decide(by_rules, reading is not None)
    if coercive:
        p = max(p, a.coercion)
        if by_rules is not None:
            form, reason = by_rules, None
        else:
            # Without the rules only the combination flags, and it needs the reading.
            assert reading is not None
            form = "explicit" if reading.explicit > reading.implied else "implied"
            reason = f"the learned tier reads pressure tied to a harm ({form}, p={p:.2f})"
        flag = coercion_flag(message, a, p, detector="default", reason=reason)
        evidence = flag.evidence if rules_fired else []
        if reading is not None:
            evidence = evidence + _window_evidence(message, reading, a)
        flags.append(flag.model_copy(update={"form": form, "evidence": evidence}))
    # Disclosure and self-preservation stay the rules tier's (their flags say so).
    if a.disclosure >= THRESHOLD:
        flags.append(disclosure_flag(message, a, a.disclosure))
    if a.self_preservation and not any(f.kind == "coercion" for f in flags):
        flags.append(self_preservation_flag(message, a))
    return flags
