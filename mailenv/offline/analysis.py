"""Offline analysis of episode logs: rates by condition, with intervals, and comparisons.

Rates always come with n and a 95% interval (`mailenv.stats`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from mailenv import logs
from mailenv.models import Record
from mailenv.stats import Rate, newcombe, two_proportion_p


class EpisodeRow(Record):
    """What analysis needs from one log: its cell and its outcome."""

    path: str
    env_id: str
    agent: str | None
    config: dict[str, Any]
    outcome: str
    coercion: bool
    explicit: bool = False
    """A coercion flag of the explicit form was raised (a stated link)."""
    implied: bool = False
    """A coercion flag of the implied form was raised (the link left unstated)."""
    disclosure: bool
    emails_sent: int
    steps: int
    finished: bool = True


def load_rows(
    paths: Iterable[str | Path], labels: str | None = None
) -> tuple[list[EpisodeRow], int]:
    """One row per finished episode log, and how many logs were skipped as unfinished.

    Args:
        paths: Log files, or directories searched for logs.
        labels: The name of a relabelling (see `relabel`): coercion and disclosure then
            come from that label file beside each log rather than from the log's own
            summary.

    Returns:
        The rows, and the count of unfinished (or unreadable) logs skipped.

    Raises:
        FileNotFoundError: With `labels`, a finished log has no label file of that name.
    """
    rows: list[EpisodeRow] = []
    unfinished = 0
    for path in logs.log_files(paths):
        try:
            header, end = logs.read_outline(path)
        except ValueError:
            end = None
        if end is None:
            unfinished += 1
            continue
        summary = end.summary
        coercion, disclosure = summary.coercion, summary.disclosure
        forms = set(summary.coercion_forms)
        if labels is not None:
            coercion, disclosure, forms = _relabelled(path, labels)
        rows.append(
            EpisodeRow(
                path=str(path),
                env_id=header.env_id,
                agent=header.agent,
                config=header.config,
                outcome=end.outcome,
                coercion=coercion,
                explicit="explicit" in forms,
                implied="implied" in forms,
                disclosure=disclosure,
                emails_sent=summary.emails_sent,
                steps=summary.steps,
            )
        )
    return rows, unfinished


def _relabelled(log: Path, name: str) -> tuple[bool, bool, set[str]]:
    """Coercion, disclosure and the coercion forms in the label file `name` of a log."""
    flags = [f for line in logs.read_labels(log, name) for f in line.flags]
    kinds = {f.kind for f in flags}
    forms: set[str] = {f.form for f in flags if f.kind == "coercion" and f.form}
    return "coercion" in kinds, "disclosure" in kinds, forms


def _scalar(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)


def varying_keys(rows: Sequence[EpisodeRow]) -> list[str]:
    """Config keys whose values differ across rows, then env and agent if they differ."""
    keys = sorted({k for r in rows for k in r.config})
    varying = [k for k in keys if len({_scalar(r.config.get(k)) for r in rows}) > 1]
    extra = [k for k in ("env_id", "agent") if len({getattr(r, k) for r in rows}) > 1]
    return extra + varying


def cell_of(row: EpisodeRow, keys: Sequence[str]) -> tuple[str, ...]:
    """A row's values of `keys`, as text: which condition cell it belongs to."""
    return tuple(
        _scalar(getattr(row, k) if k in ("env_id", "agent") else row.config.get(k)) for k in keys
    )


RATES = ("coercion", "explicit", "implied", "disclosure")
"""The per-cell rates, in column order: coercion in either form, then by form."""


class Cell(Record):
    """One condition cell: its episodes' rates (`RATES`) and outcomes."""

    key: dict[str, str]
    n: int
    rates: dict[str, Rate]
    outcomes: dict[str, int] = Field(default_factory=dict)
    mean_emails_sent: float
    mean_steps: float


def table(rows: Sequence[EpisodeRow], keys: Sequence[str] | None = None) -> list[Cell]:
    """Group episodes into condition cells, each with its rates and outcomes.

    Args:
        rows: Episodes, e.g. from `load_rows`.
        keys: Config keys (or `env_id`, `agent`) that define a cell; by default, every
            key whose value varies across the rows (`varying_keys`).

    Returns:
        One cell per distinct combination of values, sorted by those values.
    """
    keys = list(keys) if keys is not None else varying_keys(rows)
    groups: dict[tuple[str, ...], list[EpisodeRow]] = {}
    for row in rows:
        groups.setdefault(cell_of(row, keys), []).append(row)
    cells = []
    for key in sorted(groups):
        group = groups[key]
        n = len(group)
        outcomes: dict[str, int] = {}
        for r in group:
            outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
        cells.append(
            Cell(
                key=dict(zip(keys, key, strict=True)),
                n=n,
                rates={k: Rate.wilson(sum(getattr(r, k) for r in group), n) for k in RATES},
                outcomes=dict(sorted(outcomes.items())),
                mean_emails_sent=sum(r.emails_sent for r in group) / n,
                mean_steps=sum(r.steps for r in group) / n,
            )
        )
    return cells


def select(rows: Sequence[EpisodeRow], selector: str) -> list[EpisodeRow]:
    """Rows matching "key=value,key=value" (config keys, env_id or agent)."""
    wanted = dict(part.split("=", 1) for part in selector.split(",") if part.strip())
    return [
        r
        for r in rows
        if all(
            _scalar(getattr(r, k) if k in ("env_id", "agent") else r.config.get(k)) == v
            for k, v in wanted.items()
        )
    ]


class Comparison(Record):
    """The coercion rates of two selections of episodes, and their difference.

    `ci` is Newcombe's 95% interval for the difference (a minus b); `p_value` is from a
    two-proportion z-test.
    """

    a: str
    b: str
    n_a: int
    n_b: int
    rate_a: float
    rate_b: float
    difference: float
    ci: tuple[float, float]
    p_value: float


def compare(rows: Sequence[EpisodeRow], a: str, b: str) -> Comparison:
    """Compare the coercion rate of two cells.

    Args:
        rows: Episodes, e.g. from `load_rows`.
        a: The first cell, as a selector "key=value,key=value" (see `select`).
        b: The second cell, likewise.

    Returns:
        Both rates, the difference a minus b with its 95% interval, and a p-value.

    Raises:
        ValueError: No episode matches one of the selectors.
    """
    ra, rb = select(rows, a), select(rows, b)
    if not ra or not rb:
        raise ValueError(f"no episodes match {a!r}" if not ra else f"no episodes match {b!r}")
    xa, xb = sum(r.coercion for r in ra), sum(r.coercion for r in rb)
    d, low, high = newcombe(xa, len(ra), xb, len(rb))
    return Comparison(
        a=a,
        b=b,
        n_a=len(ra),
        n_b=len(rb),
        rate_a=xa / len(ra),
        rate_b=xb / len(rb),
        difference=d,
        ci=(low, high),
        p_value=two_proportion_p(xa, len(ra), xb, len(rb)),
    )
