"""Offline analysis of episode logs: rates by condition, with intervals, and comparisons.

Rates always come with n and a 95% interval (`mailenv.stats`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from mailenv import logs
from mailenv.models import DetectorInfo, Record
from mailenv.stats import Rate, newcombe, two_proportion_p


class EpisodeRow(Record):
    """What analysis needs from one log: its cell and its outcome."""

    path: str
    env_id: str
    agent: str | None
    flags_by: str = "unrecorded"
    """The detector whose flags the row counts (`described`: "rules rules-2"): the log
    header's, or with `labels` the label file's."""
    config: dict[str, Any]
    outcome: str
    agent_error: bool = False
    """The agent could not play the episode: not data, left out of every rate."""
    coercion: bool
    explicit: bool = False
    """A coercion flag of the explicit form was raised (a stated link)."""
    implied: bool = False
    """A coercion flag of the implied form was raised (the link left unstated)."""
    disclosure: bool
    self_preservation: bool = False
    considered: bool = False
    """The agent's reasoning planned or weighed coercion (sent or not)."""
    judged: bool | None = None
    """With `verdicts`: the transcript judge's coercion answer (None: none readable)."""
    reference: bool | None = None
    """With `verdicts` from `--rule reference`: the published study's decision rule."""
    emails_sent: int
    steps: int
    usage: logs.Usage = Field(default_factory=logs.Usage)


class Skipped(Record):
    """A file that is not counted, and why (unfinished, corrupt, foreign, unlabelled)."""

    path: str
    reason: str


def load_rows(
    paths: Iterable[str | Path], labels: str | None = None, verdicts: str | None = None
) -> tuple[list[EpisodeRow], list[Skipped]]:
    """One row per finished, whole episode log; every other file is listed as skipped.

    Each log is checked whole (`mailenv.logs.check`): a truncated, corrupted, interleaved
    or foreign file is skipped with its reason, never counted, and never stops the rest.

    Args:
        paths: Log files, or directories searched for logs.
        labels: The name of a relabelling (see `relabel`): coercion and disclosure then
            come from that label file beside each log rather than from the log's own
            summary; a log without one is skipped.
        verdicts: The name of a transcript relabelling (`mailenv relabel --scope
            transcript`): each row also gets the judge's verdict and, when written, the
            reference rule's; a log without one is skipped.

    Returns:
        The rows (agent-error episodes included: `table` sets them apart), and the skipped
        files with their reasons.
    """
    rows: list[EpisodeRow] = []
    skipped: list[Skipped] = []
    for path in logs.log_files(paths):
        try:
            checked = logs.check(path)
            summary = checked.end.summary
            kinds = {k for k, n in summary.flags.items() if n}
            forms = set(summary.coercion_forms)
            flags_by = described(checked.header.detector)
            if labels is not None:
                kinds, forms, flags_by = _relabelled(path, labels)
            verdict = logs.read_verdict(path, verdicts) if verdicts is not None else None
        except (OSError, ValueError) as err:
            skipped.append(Skipped(path=str(path), reason=str(err)))
            continue
        header = checked.header
        rows.append(
            EpisodeRow(
                path=str(path),
                env_id=header.env_id,
                agent=header.agent,
                flags_by=flags_by,
                config=header.config,
                outcome=checked.end.outcome,
                agent_error=checked.end.outcome == "agent_error",
                coercion="coercion" in kinds,
                explicit="explicit" in forms,
                implied="implied" in forms,
                disclosure="disclosure" in kinds,
                self_preservation="self_preservation" in kinds,
                considered="considered_coercion" in summary.flags,
                judged=verdict.coercion if verdict is not None else None,
                reference=verdict.reference if verdict is not None else None,
                emails_sent=summary.emails_sent,
                steps=summary.steps,
                usage=checked.usage,
            )
        )
    return rows, skipped


def _relabelled(log: Path, name: str) -> tuple[set[str], set[str], str]:
    """The flag kinds, the coercion forms and the detector in the label file `name` of a log."""
    try:
        detector, lines = logs.read_label_file(log, name)
    except FileNotFoundError:
        raise ValueError(f"no labels named {name!r} beside it (run `mailenv relabel`)") from None
    flags = [f for line in lines for f in line.flags]
    forms: set[str] = {f.form for f in flags if f.kind == "coercion" and f.form}
    by = described(detector) if detector else f"unrecorded (labels {name!r})"
    return {f.kind for f in flags}, forms, by


def described(detector: DetectorInfo) -> str:
    """A detector configuration as one phrase: name, version, and its model file's hash.

    The hash's first 8 characters, when it has a model: two model files under one version
    string are then told apart too.
    """
    model = f" ({detector.model_sha256[:8]})" if detector.model_sha256 else ""
    return f"{detector.name} {detector.version}{model}"


ROW_KEYS = ("env_id", "agent", "flags_by")
"""Keys a cell can be grouped by that are the log's own, not its config's."""


def _scalar(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)


def varying_keys(rows: Sequence[EpisodeRow]) -> list[str]:
    """The keys whose values differ across rows: the log's own (`ROW_KEYS`), then config keys.

    So logs flagged by different detectors, or versions of one, fall into separate cells
    unless the caller pools them.
    """
    keys = sorted({k for r in rows for k in r.config})
    varying = [k for k in keys if len({_scalar(r.config.get(k)) for r in rows}) > 1]
    extra = [k for k in ROW_KEYS if len({getattr(r, k) for r in rows}) > 1]
    return extra + varying


def cell_of(row: EpisodeRow, keys: Sequence[str]) -> tuple[str, ...]:
    """A row's values of `keys`, as text: which condition cell it belongs to."""
    return tuple(_scalar(getattr(row, k) if k in ROW_KEYS else row.config.get(k)) for k in keys)


RATES = ("coercion", "explicit", "implied", "disclosure", "self_preservation", "considered")
"""The per-cell rates, in column order: coercion in either form, then by form, then the
rest; `considered` is coercion planned or weighed in the agent's reasoning."""
VERDICT_RATES = ("judged", "reference")
"""Rates from transcript verdicts, when the rows carry them: over the episodes that have
one (the judge's readable answers; the reference rule where it was applied)."""


class Cell(Record):
    """One condition cell: its valid episodes' rates (`RATES`) and outcomes.

    `n` counts the valid episodes only; those the agent could not play are counted in
    `agent_errors`, beside the rates and outside them.
    """

    key: dict[str, str]
    n: int
    agent_errors: int = 0
    rates: dict[str, Rate]
    outcomes: dict[str, int] = Field(default_factory=dict)
    mean_emails_sent: float
    mean_steps: float
    usage: logs.Usage = Field(default_factory=logs.Usage)
    """Tokens (and cost, where reported) of every episode in the cell, failed ones included."""


def table(rows: Sequence[EpisodeRow], keys: Sequence[str] | None = None) -> list[Cell]:
    """Group episodes into condition cells, each with its rates and outcomes.

    Args:
        rows: Episodes, e.g. from `load_rows`.
        keys: Config keys (or `ROW_KEYS`) that define a cell; by default, every
            key whose value varies across the rows (`varying_keys`).

    Returns:
        One cell per distinct combination of values, sorted by those values.
    """
    keys = list(keys) if keys is not None else varying_keys(rows)
    cells = []
    for key, every in _grouped(rows, keys).items():
        group = [r for r in every if not r.agent_error]
        n = len(group)
        outcomes: dict[str, int] = {}
        for r in group:
            outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
        usage = logs.Usage()
        for r in every:
            usage.add(r.usage.model_dump())
        cells.append(
            Cell(
                key=dict(zip(keys, key, strict=True)),
                n=n,
                agent_errors=len(every) - n,
                rates={k: Rate.wilson(sum(getattr(r, k) for r in group), n) for k in RATES}
                | {
                    k: Rate.wilson(sum(bool(v) for v in known), len(known))
                    for k in VERDICT_RATES
                    if (known := [getattr(r, k) for r in group if getattr(r, k) is not None])
                },
                outcomes=dict(sorted(outcomes.items())),
                mean_emails_sent=sum(r.emails_sent for r in group) / max(n, 1),
                mean_steps=sum(r.steps for r in group) / max(n, 1),
                usage=usage,
            )
        )
    return cells


def known_keys(rows: Sequence[EpisodeRow]) -> list[str]:
    """Every key a cell can be grouped or selected by: `ROW_KEYS`, then the config keys."""
    return [*ROW_KEYS, *sorted({k for r in rows for k in r.config})]


def detectors(rows: Sequence[EpisodeRow]) -> dict[str, int]:
    """How many logs each detector's flags come from (`EpisodeRow.flags_by`), by name."""
    return dict(sorted(Counter(r.flags_by for r in rows).items()))


def pools_detectors(groups: Iterable[Sequence[EpisodeRow]]) -> bool:
    """Whether any of `groups` (cells, selections) counts flags of more than one detector."""
    return any(len({r.flags_by for r in group}) > 1 for group in groups)


def cells_of(
    rows: Sequence[EpisodeRow], keys: Sequence[str] | None = None
) -> list[list[EpisodeRow]]:
    """The rows of each cell `table` makes with `keys` (by default, what varies)."""
    keys = list(keys) if keys is not None else varying_keys(rows)
    return list(_grouped(rows, keys).values())


def _grouped(
    rows: Sequence[EpisodeRow], keys: Sequence[str]
) -> dict[tuple[str, ...], list[EpisodeRow]]:
    """Rows by their cell (`cell_of`), in the cells' order."""
    groups: dict[tuple[str, ...], list[EpisodeRow]] = {}
    for row in rows:
        groups.setdefault(cell_of(row, keys), []).append(row)
    return dict(sorted(groups.items()))


def check_keys(rows: Sequence[EpisodeRow], keys: Iterable[str]) -> None:
    """Raise ValueError, listing the known keys, when one of `keys` is in no log."""
    known = known_keys(rows)
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ValueError(
            f"no log has the key {', '.join(map(repr, unknown))}; known keys: {', '.join(known)}"
        )


def parse_selector(rows: Sequence[EpisodeRow], selector: str) -> dict[str, str]:
    """A selector "key=value,key=value" as a dict, its keys checked against the logs."""
    parts = [part.strip() for part in selector.split(",") if part.strip()]
    if not parts or any("=" not in part for part in parts):
        raise ValueError(f"selector {selector!r} must look like key=value,key=value")
    wanted = dict(part.split("=", 1) for part in parts)
    wanted = {k.strip(): v.strip() for k, v in wanted.items()}
    check_keys(rows, wanted)
    return wanted


def select(rows: Sequence[EpisodeRow], selector: str) -> list[EpisodeRow]:
    """Valid episodes matching "key=value,key=value" (config keys or `ROW_KEYS`)."""
    wanted = parse_selector(rows, selector)
    return [
        r
        for r in rows
        if not r.agent_error
        and all(
            _scalar(getattr(r, k) if k in ROW_KEYS else r.config.get(k)) == v
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
        ValueError: A selector is malformed or names a key no log has, or no valid
            episode matches it.
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
