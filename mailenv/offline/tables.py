"""Analysis results as people read them: text, Markdown, CSV and JSON tables, and a chart."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mailenv.offline.analysis import Cell, Comparison
from mailenv.stats import Rate


def _fixed(*values: float) -> list[str]:
    return [f"{v:.4f}" for v in values]


RATE_HEADS = {
    "coercion": "coercion (95% CI)",
    "explicit": "explicit",
    "implied": "implied",
    "disclosure": "disclosure",
    "self_preservation": "self-preservation",
    "considered": "considered (reasoning)",
    "judged": "judge (transcript)",
    "reference": "reference rule",
}


def _tokens(c: Cell) -> str:
    usage = c.usage
    if not (usage.input_tokens or usage.output_tokens):
        return "—"
    text = f"{usage.input_tokens:,}/{usage.output_tokens:,}"
    return text + (f" ${usage.cost:.2f}" if usage.cost is not None else "")


def _rows(head: list[str], body: list[list[str]], fmt: str) -> str:
    """A table as Markdown or aligned text."""
    if fmt == "markdown":
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in body]
    return "\n".join(line.rstrip() for line in lines)


def format_table(cells: Sequence[Cell], fmt: str = "text") -> str:
    """Cells as aligned text, markdown, csv or json.

    `n` is the number of valid episodes; `agent errors` those the agent could not play,
    which no rate counts. The csv gives each rate as hits, rate, low and high, and the
    token totals, for further analysis.
    """
    keys = list(cells[0].key) if cells else []
    shown = [k for k in RATE_HEADS if any(k in c.rates for c in cells)]
    if fmt == "json":
        return json.dumps([c.model_dump(mode="json") for c in cells], indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                *keys,
                "n",
                "agent_errors",
                *(f"{r}{part}" for r in shown for part in ("", "_rate", "_low", "_high")),
                "mean_emails_sent",
                "mean_steps",
                "input_tokens",
                "output_tokens",
                "cost",
                "outcomes",
            ]
        )
        for c in cells:
            rates = [c.rates.get(k, Rate.wilson(0, 0)) for k in shown]
            writer.writerow(
                [
                    *c.key.values(),
                    c.n,
                    c.agent_errors,
                    *(v for r in rates for v in (r.hits, *_fixed(r.rate, r.low, r.high))),
                    f"{c.mean_emails_sent:.3f}",
                    f"{c.mean_steps:.3f}",
                    c.usage.input_tokens,
                    c.usage.output_tokens,
                    "" if c.usage.cost is None else f"{c.usage.cost:.6f}",
                    json.dumps(c.outcomes),
                ]
            )
        return out.getvalue()
    head = [
        *keys,
        "n",
        "agent errors",
        *(RATE_HEADS[k] for k in shown),
        "outcomes",
        "emails",
        "steps",
        "tokens in/out",
    ]
    body = [
        [
            *c.key.values(),
            str(c.n),
            str(c.agent_errors),
            *(c.rates.get(k, Rate.wilson(0, 0)).percent() for k in shown),
            " ".join(f"{k}:{v}" for k, v in c.outcomes.items()),
            f"{c.mean_emails_sent:.1f}",
            f"{c.mean_steps:.1f}",
            _tokens(c),
        ]
        for c in cells
    ]
    return _rows(head, body, fmt)


def format_comparison(c: Comparison, fmt: str = "text") -> str:
    """A comparison as text (the rates, then the difference and p-value), markdown, csv or json."""
    if fmt == "json":
        return c.model_dump_json(indent=2)
    if fmt == "csv":
        out = io.StringIO()
        fields = [
            "a",
            "b",
            "n_a",
            "n_b",
            "rate_a",
            "rate_b",
            "difference",
            "low",
            "high",
            "p_value",
        ]
        writer = csv.writer(out)
        writer.writerow(fields)
        writer.writerow(
            [c.a, c.b, c.n_a, c.n_b, *_fixed(c.rate_a, c.rate_b, c.difference, *c.ci, c.p_value)]
        )
        return out.getvalue()
    if fmt == "markdown":
        head = ["cell", "n", "coercion"]
        body = [[c.a, str(c.n_a), f"{c.rate_a:.1%}"], [c.b, str(c.n_b), f"{c.rate_b:.1%}"]]
        return _rows(head, body, fmt) + (
            f"\n\nDifference {c.difference:+.1%}, 95% CI [{c.ci[0]:+.1%}, {c.ci[1]:+.1%}] "
            f"(Newcombe); p = {c.p_value:.3g} (two-proportion z-test)."
        )
    return (
        f"coercion {c.a}: {c.rate_a:.1%} (n={c.n_a})  vs  {c.b}: {c.rate_b:.1%} (n={c.n_b})\n"
        f"difference {c.difference:+.1%}, 95% CI [{c.ci[0]:+.1%}, {c.ci[1]:+.1%}] (Newcombe), "
        f"p = {c.p_value:.3g} (two-proportion z-test)"
    )


def _figure(cells: Sequence[Cell]) -> Any:
    """Coercion rate by cell with 95% error bars, as a matplotlib figure."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError("plotting needs matplotlib: pip install 'mailenv[plot]'") from err
    labels = [
        (", ".join(f"{k}={v}" for k, v in c.key.items()) or "all") + f"\n(n={c.n})" for c in cells
    ]
    coercion = [c.rates["coercion"] for c in cells]
    rates = [r.rate for r in coercion]
    errors = [
        [max(0.0, r.rate - r.low) for r in coercion],  # rounding can cross 0
        [max(0.0, r.high - r.rate) for r in coercion],
    ]
    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(cells) + 2), 4))
    ax.bar(range(len(cells)), rates, yerr=errors, capsize=4, color="#4c72b0")
    ax.set_xticks(range(len(cells)), labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("coercion rate (95% Wilson CI)")
    fig.tight_layout()
    return fig


def plot(cells: Sequence[Cell], path: str | Path) -> None:
    """Coercion rate by cell with 95% error bars (needs the `plot` extra: matplotlib)."""
    fig = _figure(cells)
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=120)
    plt.close(fig)


def svg(cells: Sequence[Cell]) -> str | None:
    """The same chart as inline SVG for a page, or None without matplotlib."""
    try:
        fig = _figure(cells)
    except ImportError:
        return None
    import matplotlib.pyplot as plt

    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    text = out.getvalue()
    return text[text.index("<svg") :]  # inline: no XML prolog or doctype
