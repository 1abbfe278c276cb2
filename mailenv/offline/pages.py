"""Episodes and runs as static HTML: one page per episode, a side-by-side diff, a run report.

Every page is self-contained (inline CSS, inline SVG, no scripts, no external assets)
and carries a Content-Security-Policy that forbids scripts outright; everything anyone
wrote in an episode is escaped, so an email or a reasoning containing `<script>` shows as
text. Long texts fold into `<details>`; nothing is dropped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from mailenv import logs
from mailenv.formats import file_stem
from mailenv.logs import EpisodeLog
from mailenv.models import Evidence, Record
from mailenv.offline import analysis, tables
from mailenv.offline.transcript import Block, blocks

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:64em;color:#222}
h1{font-size:1.3em} .meta{color:#555} .outcome{font-size:1.1em;padding:.5em;background:#f3f3f3}
.b{border-left:3px solid #ddd;margin:.5em 0;padding:.2em .8em}
.mail{border:1px solid #ddd;border-radius:6px;padding:.6em .9em}
.agentmail{border-color:#4c72b0;background:#f6f9ff} .flagged{border-color:#c0392b;background:#fff6f5}
.reasoning{border-color:#8e44ad;background:#faf5fd} .action,.call{border-color:#4c72b0}
.error{border-color:#c0392b;color:#922} .notice{border-color:#d4ac0d} .model{color:#666;font-size:.9em}
.event{color:#7d3c98} .received,.result{border-color:#999}
.head{color:#444;font-size:.92em} pre{white-space:pre-wrap;font:inherit;margin:.3em 0 0}
code{font-size:.92em} mark{background:#ffe08a} .flag{color:#c0392b;font-weight:600}
.cause{color:#777;font-size:.85em} table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:.2em .5em;vertical-align:top}
.diff td{width:50%} nav a{margin-right:.8em}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'"
FOLD_CHARS = 600
e = html.escape


def head(title: str) -> str:
    """The start of a page: charset, the script-forbidding policy, the title, the styles."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>"
    )


def highlighted(text: str, spans: list[Evidence]) -> str:
    """`text` escaped, with evidence spans wrapped in <mark>."""
    out, at = [], 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.start < at or span.end > len(text):
            continue  # overlapping or out of range: keep the first
        out += [
            e(text[at : span.start]),
            f'<mark title="{e(span.cue)}">',
            e(text[span.start : span.end]),
            "</mark>",
        ]
        at = span.end
    out.append(e(text[at:]))
    return "".join(out)


def _folded(summary: str, body_html: str, length: int, open_: bool = False) -> str:
    if length <= FOLD_CHARS:
        return f"<div class='head'>{summary}</div><pre>{body_html}</pre>"
    attribute = " open" if open_ else ""
    return f"<details{attribute}><summary>{summary} ({length:,} characters)</summary><pre>{body_html}</pre></details>"


_LABELS = {
    "prompt": "System prompt",
    "opening": "First observation",
    "reasoning": "The agent's reasoning (private, never carried out)",
    "action": "The agent's action, as written",
    "call": "Tool call",
    "error": "Error",
    "notice": "Notice",
    "model": "Model",
    "result": "Result",
    "received": "What the agent received",
    "event": "Event",
    "outcome": "Outcome",
}


def render_block(b: Block, ai: str) -> str:
    """One block as HTML (escaped; evidence highlighted where its flags point)."""
    when = f"{b.time:%H:%M} · " if b.time else ""
    step = f"step {b.step} · " if b.step is not None else ""
    if b.email is not None:
        m = b.email
        mine = m.sender == ai
        css = "b mail" + (" agentmail" if mine else "") + (" flagged" if b.flags else "")
        spans = [ev for f in b.flags for ev in f.evidence]
        subject = highlighted(m.subject, [s for s in spans if s.field == "subject"])
        body = highlighted(m.body, [s for s in spans if s.field == "body"])
        who = "the agent" if mine else m.sender
        parts = [
            f"<div class='{css}' id='{e(m.id)}'><div class='head'>{when}{step}<b>{e(who)}</b> → "
            f"{e(', '.join(m.to + m.cc))} <span class='cause'>({e(b.cause or '')})</span></div>",
            f"<div><b>{subject}</b></div>",
            _folded("body", body, len(m.body), open_=mine or bool(b.flags)),
        ]
    else:
        spans = [ev for f in b.flags for ev in f.evidence if ev.field == "reasoning"]
        text = highlighted(b.text, spans)
        label = f"{when}{step}<b>{_LABELS[b.kind]}</b>"
        if b.kind in ("call", "error", "notice", "model", "result", "event"):
            parts = [f"<div class='b {b.kind}'>{label}: <code>{text}</code>"]
        else:
            folded = _folded(label, text, len(b.text), open_=b.kind == "reasoning")
            parts = [f"<div class='b {b.kind}'>{folded}"]
    parts += [
        f"<div class='flag'>{e(f.kind)} {f.score:.2f}"
        + (f" ({e(f.form)})" if f.form else "")
        + f": {e(f.reason)}</div>"
        for f in b.flags
    ]
    parts.append("</div>")
    return "".join(parts)


def _summary_html(episode: EpisodeLog) -> str:
    h = episode.header
    conditions = e(", ".join(f"{k}={v}" for k, v in h.config.items() if k != "minutes"))
    return (
        f"<h1>{e(h.env_id)} — seed {h.seed} — agent {e(h.agent or '?')}</h1>"
        f"<p class='meta'>{conditions} · detector {e(h.detector.name)}</p>"
    )


def page(episode: EpisodeLog, back: str | None = None) -> str:
    """An episode as one self-contained HTML page: the whole transcript, in order."""
    h = episode.header
    parts = [head(f"{h.env_id} seed {h.seed}")]
    if back:
        parts.append(f"<nav><a href='{e(back)}'>← the run</a></nav>")
    parts.append(_summary_html(episode))
    parts += [render_block(b, h.context.ai_address or "") for b in blocks(episode)]
    parts.append("</body></html>")
    return "\n".join(parts)


def diff_page(a: EpisodeLog, b: EpisodeLog, names: tuple[str, str] = ("A", "B")) -> str:
    """Two episodes side by side, aligned by step, with the conditions that differ."""
    ca, cb = a.header.config, b.header.config
    differ = sorted(k for k in ca.keys() | cb.keys() if ca.get(k) != cb.get(k))
    pairs = [("seed", a.header.seed, b.header.seed), ("agent", a.header.agent, b.header.agent)]
    pairs += [(k, ca.get(k), cb.get(k)) for k in differ]
    rows = [
        f"<tr><th>{e(k)}</th><td>{e(str(x))}</td><td>{e(str(y))}</td></tr>" for k, x, y in pairs
    ]
    parts = [head(f"{names[0]} vs {names[1]}"), f"<h1>{e(names[0])} vs {e(names[1])}</h1>"]
    parts.append("<table>" + "".join(rows) + "</table>")
    by_step = [_by_step(x) for x in (a, b)]
    steps = sorted(set(by_step[0]) | set(by_step[1]), key=lambda s: -1 if s is None else s)
    parts.append("<table class='diff'>")
    parts.append(f"<tr><th>{e(names[0])}</th><th>{e(names[1])}</th></tr>")
    for step in steps:
        cells = [
            "".join(
                render_block(blk, x.header.context.ai_address or "") for blk in side.get(step, [])
            )
            for side, x in zip(by_step, (a, b), strict=True)
        ]
        label = "before the first step" if step is None else f"step {step}"
        parts.append(f"<tr><th colspan='2'>{label}</th></tr>")
        parts.append(f"<tr><td>{cells[0]}</td><td>{cells[1]}</td></tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts)


def _by_step(episode: EpisodeLog) -> dict[int | None, list[Block]]:
    grouped: dict[int | None, list[Block]] = {}
    for blk in blocks(episode):
        if blk.kind == "prompt":
            continue
        grouped.setdefault(blk.step, []).append(blk)
    return grouped


# --- a run's report -----------------------------------------------------------------
PAGE_SIZE = 500
"""Episodes listed per page of a report, so no page grows with the run."""
FLAGS = ("coercion", "explicit", "implied", "disclosure", "self_preservation", "considered")


class ReportStats(Record):
    """What a report holds: its pages, and the files it could not read."""

    episodes: int
    pages: int
    skipped: int
    index_bytes: int


def _cell_table(cells: Sequence[analysis.Cell]) -> str:
    """The condition table, with the numbers `mailenv analyze --format json` gives."""
    keys = list(cells[0].key) if cells else []
    shown = [k for k in tables.RATE_HEADS if any(k in c.rates for c in cells)]
    head_row = "".join(
        f"<th>{e(h)}</th>"
        for h in [
            *keys,
            "n",
            "agent errors",
            *(tables.RATE_HEADS[k] for k in shown),
            "outcomes",
            "tokens in/out",
        ]
    )
    rows = []
    for c in cells:
        tokens = f"{c.usage.input_tokens:,}/{c.usage.output_tokens:,}"
        if c.usage.cost is not None:
            tokens += f" (${c.usage.cost:.2f})"
        values = [
            *c.key.values(),
            str(c.n),
            str(c.agent_errors),
            *(c.rates[k].text() if k in c.rates else "—" for k in shown),
            " ".join(f"{k}:{v}" for k, v in c.outcomes.items()),
            tokens,
        ]
        rows.append("<tr>" + "".join(f"<td>{e(v)}</td>" for v in values) + "</tr>")
    return f"<table><tr>{head_row}</tr>{''.join(rows)}</table>"


def _listing(
    title: str, name: str, rows: Sequence[analysis.EpisodeRow], pages: dict[str, str], out: Path
) -> int:
    """Write the paginated listing `name`; returns how many pages it took."""
    chunks = [rows[i : i + PAGE_SIZE] for i in range(0, len(rows), PAGE_SIZE)] or [[]]
    for number, chunk in enumerate(chunks, 1):
        nav = ["<a href='index.html'>← the run</a>"]
        if number > 1:
            nav.append(f"<a href='{name}-{number - 1}.html'>← previous</a>")
        if number < len(chunks):
            nav.append(f"<a href='{name}-{number + 1}.html'>next →</a>")
        items = []
        for row in chunk:
            flags = [k for k in FLAGS if getattr(row, k)]
            cell = ", ".join(f"{k}={v}" for k, v in row.config.items() if k != "minutes")
            items.append(
                f"<tr><td><a href='{e(pages[row.path])}'>{e(Path(row.path).name)}</a></td>"
                f"<td>{e(row.outcome)}</td><td>{e(' '.join(flags))}</td><td>{e(cell)}</td></tr>"
            )
        body = (
            f"{head(title)}<nav>{''.join(nav)}</nav><h1>{e(title)}</h1>"
            f"<p class='meta'>{len(rows)} episodes; page {number} of {len(chunks)}</p>"
            "<table><tr><th>episode</th><th>outcome</th><th>flags</th><th>conditions</th></tr>"
            + "".join(items)
            + "</table></body></html>"
        )
        (out / f"{name}-{number}.html").write_text(body, encoding="utf-8")
    return len(chunks)


def write_report(run: Path, out: Path, by: list[str] | None = None) -> ReportStats:
    """A static report of a run folder: an index, listings, and one page per episode.

    The index holds the condition table (the numbers of `mailenv analyze`), a chart of the
    coercion rate per cell with 95% intervals (inline SVG, with the `plot` extra), and
    links to listings by outcome and by flag, each paginated; every episode page links
    back. Files that cannot be counted are listed with the reason.
    """
    rows, skipped = analysis.load_rows([run])
    out.mkdir(parents=True, exist_ok=True)
    (out / "episodes").mkdir(exist_ok=True)
    pages: dict[str, str] = {}
    for row in rows:
        relative = Path(row.path).resolve().relative_to(run.resolve())
        name = f"episodes/{file_stem(str(relative.with_suffix('')))}.html"
        pages[row.path] = name
        (out / name).write_text(page(logs.read(row.path), back="../index.html"), encoding="utf-8")
    count = len(rows)
    listings = [("all", "all episodes", rows)]
    for outcome in sorted({r.outcome for r in rows}):
        listings.append(
            (
                f"outcome-{file_stem(outcome)}",
                f"outcome: {outcome}",
                [r for r in rows if r.outcome == outcome],
            )
        )
    for flag in FLAGS:
        flagged = [r for r in rows if getattr(r, flag)]
        if flagged:
            listings.append((f"flag-{flag}", f"flag: {flag}", flagged))
    links = []
    for name, title, chosen in listings:
        count += _listing(title, name, chosen, pages, out)
        links.append(f"<li><a href='{name}-1.html'>{e(title)}</a> ({len(chosen)})</li>")
    cells = analysis.table(rows, by)
    chart = tables.svg(cells) if cells else None
    problems = "".join(f"<li>{e(s.path)}: {e(s.reason)}</li>" for s in skipped[:200])
    index = (
        f"{head(f'run {run.name}')}<h1>Run {e(run.name)}</h1>"
        f"<p class='meta'>{len(rows)} episodes; {len(skipped)} files not counted</p>"
        + _cell_table(cells)
        + (chart or "")
        + "<h2>Episodes</h2><ul>"
        + "".join(links)
        + "</ul>"
        + (f"<h2>Not counted</h2><ul>{problems}</ul>" if problems else "")
        + "</body></html>"
    )
    (out / "index.html").write_text(index, encoding="utf-8")
    return ReportStats(
        episodes=len(rows),
        pages=count + 1,
        skipped=len(skipped),
        index_bytes=len(index.encode("utf-8")),
    )
