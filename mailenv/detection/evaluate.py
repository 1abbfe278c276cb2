"""Measuring a detector against labeled messages, with a 95% interval on every figure.

The figures are precision, recall, F1 and false-positive rate, overall, and recall and
false-positive rate per group.

Two kinds of labeled file are read: the project's corpus (`corpus.CorpusRow`: a kind, a
form, a category and a family per message), and bare labels, where a row is one message
(`sender`, `to`, `cc`, `subject`, `body`) or a response holding several (`emails`) with
a boolean label field; a response counts as coercive if any of its emails is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from mailenv.detection import Detector
from mailenv.detection.corpus import CorpusRow
from mailenv.models import DetectContext, Record
from mailenv.stats import Rate, wilson

LABEL_FIELDS = ("human_coercion", "coercion", "label")
_TRUE = {"true", "yes", "1", "coercion", "coercive", "positive"}
_FALSE = {"false", "no", "0", "none", "neither", "negative", "not_coercion"}


class Item(Record):
    """One row of a bare-labels file: its message or messages, its label, and the raw row.

    The raw row is kept so that other judgements stored in it can be scored as baselines.
    """

    id: str
    messages: list[dict[str, Any]]
    label: bool
    row: dict[str, Any]


def as_label(value: object) -> bool | None:
    """A label read leniently (booleans, 0 or 1, yes/no words); None when it is unreadable.

    Other numbers (0.2, NaN) are no label: reading them as true would count a score or a
    missing value as a human's judgement.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value) if value in (0, 1) else None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def load(path: str | Path, label: str | None = None) -> tuple[list[Item], int]:
    """Labeled items in a JSONL file, and how many rows had no usable label."""
    items: list[Item] = []
    unlabeled = 0
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        field = label or next((f for f in LABEL_FIELDS if f in row), LABEL_FIELDS[0])
        value = as_label(row.get(field))
        if value is None:
            unlabeled += 1
            continue
        messages = row["emails"] if isinstance(row.get("emails"), list) else [row]
        items.append(Item(id=str(row.get("id", number)), messages=messages, label=value, row=row))
    return items, unlabeled


# --- per-cell rates with intervals ---------------------------------------------------

BOOTSTRAP_SAMPLES = 2000
GROUPINGS = ("form", "category", "lang", "sender_type", "hard_negative")
"""Ways to break a corpus evaluation down (`--by`)."""


class Scored(Record):
    """One labeled message or response, with what the detector said about it."""

    id: str
    label: bool
    predicted: bool
    cluster: str
    """Rows sharing a cluster (a corpus family) are resampled together."""
    groups: dict[str, str] = Field(default_factory=dict)
    form_agrees: bool | None = None
    """For a coercive row that was flagged: whether the flag named the labeled form."""


class Breakdown(Record):
    """Recall over the coercive rows and false-positive rate over the others, in one group."""

    group: str
    value: str
    recall: Rate
    false_positive_rate: Rate


class Report(Record):
    """A detector measured on labeled rows: overall figures and per-group breakdowns.

    A rate's interval is Wilson's, on the rows' effective number (`_rate`): rows of one
    cluster (a corpus family) are not independent, and a bootstrap that resamples whole
    clusters measures by how much. F1, not a proportion, has that bootstrap's percentile
    interval. Form agreement has Wilson's interval over its rows.
    """

    name: str
    n: int
    precision: Rate
    recall: Rate
    f1: tuple[float, float, float]
    """Point estimate, low, high."""
    false_positive_rate: Rate
    form_agreement: Rate | None = None
    """Of the coercive rows flagged, how many flags named the labeled form (Wilson)."""
    breakdowns: list[Breakdown] = Field(default_factory=list)


def _clustered(rows: Sequence[Scored]) -> list[list[Scored]]:
    clusters: dict[str, list[Scored]] = {}
    for r in rows:
        clusters.setdefault(r.cluster, []).append(r)
    return list(clusters.values())


def _resamples(rows: Sequence[Scored], seed: int) -> list[list[Scored]]:
    import numpy as np

    clusters = _clustered(rows)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(clusters), size=(BOOTSTRAP_SAMPLES, len(clusters)))
    return [[r for i in pick for r in clusters[i]] for pick in picks]


def _percentiles(values: list[float]) -> tuple[float, float]:
    import numpy as np

    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def _rate(hits: int, n: int, resampled: list[tuple[int, int]], clusters: int) -> Rate:
    """`hits` of `n`, with Wilson's 95% interval on the rows' effective number.

    `clusters` is how many clusters the `n` rows come from, and `resampled` the hits and
    rows of each cluster-bootstrap resample. Rows of one cluster are alike, so `n` rows
    weigh less than `n` independent ones: the bootstrap's variance over the binomial one
    (the design effect, never taken below 1) says how much less, and they never count for
    less than one row. Rows all from one cluster count as one row, since nothing then
    says how alike they are; at a rate of 0 or 1 rows of several clusters count as
    independent, since no variance can say otherwise. Percentiles of the bootstrap itself
    are not used: with few hits they give intervals narrower than Wilson's and ones that
    shrink as hits are added (1 of 136 got [0, 0.022], 0 of 136 [0, 0.027]). Estimated,
    the design effect can still move a bound by a few thousandths the other way when a
    hit is added to clustered rows.
    """
    if n == 0:
        return Rate(hits=0, n=0, rate=0.0, low=0.0, high=1.0)
    rate = hits / n
    effective = max(1.0, n / _design_effect(rate, n, resampled)) if clusters > 1 else 1.0
    low, high = wilson(rate * effective, effective)
    return Rate(hits=hits, n=n, rate=rate, low=low, high=high)


def _design_effect(rate: float, n: int, resampled: list[tuple[int, int]]) -> float:
    """The bootstrap's variance of the rate over the binomial variance, at least 1.

    1 at a rate of 0 or 1, where neither variance can tell anything.
    """
    import numpy as np

    binomial = rate * (1 - rate) / n
    values = [h / m for h, m in resampled if m]
    if binomial == 0 or len(values) < 2:
        return 1.0
    return max(1.0, float(np.var(values)) / binomial)


def _clusters(rows: Iterable[Scored]) -> int:
    return len({r.cluster for r in rows})


def _counts(rows: Iterable[Scored]) -> tuple[int, int, int, int]:
    tp = fp = fn = tn = 0
    for r in rows:
        if r.predicted and r.label:
            tp += 1
        elif r.predicted:
            fp += 1
        elif r.label:
            fn += 1
        else:
            tn += 1
    return tp, fp, fn, tn


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def report(name: str, rows: Sequence[Scored], by: Sequence[str] = (), seed: int = 0) -> Report:
    """Measure scored rows: overall figures and per-group breakdowns, with 95% intervals.

    Overall: precision, recall, F1 and false-positive rate. For each grouping in `by`,
    and each value it takes: recall and false-positive rate.

    Args:
        name: What was measured, shown at the top of the report.
        rows: The scored rows, e.g. from `score_corpus` or `score_items`.
        by: Keys of `Scored.groups` to break the figures down by (see `GROUPINGS`).
        seed: Seed of the cluster bootstrap, so a report can be reproduced exactly.

    Returns:
        The report; `format_report` renders it as text.

    Raises:
        ValueError: A key of `by` that no row has (a misspelling would else give one
            group of everything, unlabelled).
    """
    known = {key for r in rows for key in r.groups}
    unknown = [key for key in by if key not in known]
    if rows and unknown:
        raise ValueError(
            f"no row can be grouped by {', '.join(unknown)}; the keys are "
            + (", ".join(sorted(known)) or "none (these rows have no groups)")
        )
    samples = _resamples(rows, seed) if rows else []
    tp, fp, fn, tn = _counts(rows)
    boot = [_counts(s) for s in samples]
    f1s = [_f1(a, b, c) for a, b, c, _ in boot]
    f1_low, f1_high = _percentiles(f1s) if f1s else (0.0, 1.0)
    f1 = _f1(tp, fp, fn)
    breakdowns = []
    for key in by:
        values = sorted({r.groups.get(key, "") for r in rows})
        for value in values:
            selected = [r for r in rows if r.groups.get(key, "") == value]
            sub_samples = _resamples(selected, seed) if selected else []
            pos = [_counts(r for r in s if r.label) for s in sub_samples]
            neg = [_counts(r for r in s if not r.label) for s in sub_samples]
            stp, sfp, sfn, stn = _counts(selected)
            positives = _clusters(r for r in selected if r.label)
            negatives = _clusters(r for r in selected if not r.label)
            breakdowns.append(
                Breakdown(
                    group=key,
                    value=value,
                    recall=_rate(stp, stp + sfn, [(a, a + c) for a, _, c, _ in pos], positives),
                    false_positive_rate=_rate(
                        sfp, sfp + stn, [(b, b + d) for _, b, _, d in neg], negatives
                    ),
                )
            )
    agreed = [r.form_agrees for r in rows if r.form_agrees is not None]
    return Report(
        name=name,
        n=len(rows),
        precision=_rate(
            tp,
            tp + fp,
            [(a, a + b) for a, b, _, _ in boot],
            _clusters(r for r in rows if r.predicted),
        ),
        recall=_rate(
            tp, tp + fn, [(a, a + c) for a, _, c, _ in boot], _clusters(r for r in rows if r.label)
        ),
        f1=(f1, min(f1_low, f1), max(f1_high, f1)),
        false_positive_rate=_rate(
            fp,
            fp + tn,
            [(b, b + d) for _, b, _, d in boot],
            _clusters(r for r in rows if not r.label),
        ),
        form_agreement=Rate.wilson(sum(agreed), len(agreed)) if agreed else None,
        breakdowns=breakdowns,
    )


def format_report(r: Report) -> str:
    """The report as a plain-text table."""
    lines = [
        f"{r.name}: n={r.n}",
        f"  precision {r.precision.text()}",
        f"  recall    {r.recall.text()}",
        f"  F1        {r.f1[0]:.2f} [{r.f1[1]:.2f}, {r.f1[2]:.2f}]",
        f"  false-positive rate {r.false_positive_rate.text()}",
    ]
    if r.form_agreement is not None:
        lines.append(f"  form named right, of coercion caught {r.form_agreement.text()}")
    group = None
    for b in r.breakdowns:
        if b.group != group:
            group = b.group
            lines += ["", f"  by {group:<22} recall (95% CI, hits/n)      false-positive rate"]
        lines.append(f"    {b.value:<24} {b.recall.text():<30} {b.false_positive_rate.text()}")
    return "\n".join(lines)


def _flagged(flags: Iterable[Any], kind: str, form: str | None) -> bool:
    return any(f.kind == kind and (form is None or f.form == form) for f in flags)


def score_corpus(
    rows: Iterable[CorpusRow],
    detector: Detector,
    kind: str = "coercion",
    form: str | None = None,
    contexts: Mapping[str, DetectContext] | None = None,
) -> list[Scored]:
    """Score corpus rows: each row's label against what the detector flags.

    A row is labeled positive when its kind is `kind`, and predicted positive when the
    detector raises a flag of that kind (and of `form`, if given). Rows of one family
    share a bootstrap cluster, since they are not independent.

    Args:
        rows: Corpus rows, e.g. from `load_corpus`.
        detector: The detector under test (`detect`, or any `Detector`).
        kind: The flag kind that counts as a positive.
        form: If given, only coercion flags of this form count.
        contexts: The world's context by row id (see `mailenv.offline.contexts`), so
            in-scenario rows are judged as the env would judge them; other rows get none.

    Returns:
        One `Scored` per row, grouped by form, category, lang, sender_type and
        hard_negative.
    """
    contexts = contexts or {}
    scored = []
    for row in rows:
        flags = detector(row.message(), contexts.get(row.id))
        predicted = _flagged(flags, kind, form)
        named = next((f.form for f in flags if f.kind == "coercion"), None)
        agrees = named == row.form if predicted and row.form else None
        scored.append(scored_row(row, predicted, agrees, kind))
    return scored


def scored_row(
    row: CorpusRow, predicted: bool, form_agrees: bool | None = None, kind: str = "coercion"
) -> Scored:
    """One corpus row with a prediction, clustered by family and grouped for `--by`."""
    return Scored(
        id=row.id,
        label=row.kind == kind,
        predicted=predicted,
        cluster=row.family,
        groups={
            "form": row.form or "not coercion",
            "category": row.category,
            "lang": row.lang,
            "sender_type": row.sender_type,
            "hard_negative": str(row.hard_negative).lower(),
        },
        form_agrees=form_agrees,
    )


def score_items(
    items: Iterable[Item], detector: Detector, kind: str = "coercion", form: str | None = None
) -> list[Scored]:
    """Labeled rows (one message or a response of several) scored; each is its own cluster."""
    return [
        Scored(
            id=item.id,
            label=item.label,
            predicted=any(_flagged(detector(m, None), kind, form) for m in item.messages),
            cluster=item.id,
        )
        for item in items
    ]


def score_passages(paths: Iterable[str | Path]) -> list[Scored]:
    """Labeled reasoning passages (`corpus/reasoning/`) scored for considered coercion.

    Each row has `text`, `considered` (the label), `kind` (plan, weigh_reject, unrelated,
    hard_negative), `author` and `lang`; each passage is its own cluster.
    """
    from mailenv.detection.reasoning import considered_flag

    scored = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            scored.append(
                Scored(
                    id=str(row["id"]),
                    label=bool(row["considered"]),
                    predicted=considered_flag(str(row["text"])) is not None,
                    cluster=str(row["id"]),
                    groups={
                        "kind": str(row["kind"]),
                        "author": str(row["author"]),
                        "lang": str(row["lang"]),
                    },
                )
            )
    return scored
