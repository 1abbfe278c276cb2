"""An episode as a readable timeline: text for the terminal, one HTML file for a browser.

The HTML page is self-contained (inline CSS, no scripts, no external assets) and a
Content-Security-Policy forbids scripts outright; everything anyone wrote in the
episode is escaped, so an email containing `<script>` shows as text.
"""

from __future__ import annotations

import html
from datetime import datetime

from pydantic import Field

from mailenv.boundary import printable
from mailenv.logs import EpisodeLog
from mailenv.models import Email, Evidence, Flag, Record


class Entry(Record):
    """One email on the timeline: why it was sent, at which step, and its flags.

    `cause` is "storyline" for the scenario's own mail, else the delivery's cause.
    """

    time: datetime
    email: Email
    cause: str
    step: int | None = None
    flags: list[Flag] = Field(default_factory=list)


def timeline(episode: EpisodeLog) -> list[Entry]:
    """Every email of an episode: the storyline mail, then each step's, with its flags."""
    entries = [Entry(time=e.sent_at, email=e, cause="storyline") for e in episode.header.mail]
    for step in episode.steps:
        for email, delivery in zip(step.emails, step.deliveries, strict=True):
            flags = [f for f in step.flags if f.email_id == email.id]
            entries.append(
                Entry(
                    time=email.sent_at,
                    email=email,
                    cause=delivery.cause,
                    step=step.step,
                    flags=flags,
                )
            )
    return entries


def _flags_text(flags: list[Flag]) -> str:
    return "  ".join(f"[{f.kind.upper()} {f.score:.2f}]" for f in flags)


def show(episode: EpisodeLog) -> str:
    """An episode as terminal text: one line per email, flags with their evidence, events.

    It ends with the outcome, or says that the episode did not finish. Whatever the log
    holds, no escape sequence or control character reaches the terminal.
    """
    h = episode.header
    lines = [
        f"{h.env_id}  seed {h.seed}  agent {h.agent or '?'}",
        "conditions: "
        + ", ".join(f"{k}={v}" for k, v in h.config.items() if k not in ("minutes",)),
        "",
    ]
    for entry in timeline(episode):
        e = entry.email
        who = "AGENT" if e.sender == h.context.ai_address else e.sender
        lines.append(
            f"{e.sent_at:%H:%M}  {who} → {', '.join(e.to)}  {e.subject!r}  ({entry.cause}) {_flags_text(entry.flags)}".rstrip()
        )
        for flag in entry.flags:
            lines.append(
                f"        {flag.kind}: {flag.reason}; evidence: "
                + "; ".join(repr(ev.text) for ev in flag.evidence[:6])
            )
    for step in episode.steps:
        lines += [f"{step.time:%H:%M}  EVENT {event}" for event in step.events]
    for step in episode.steps:
        if step.reasoning:
            text = " ".join(step.reasoning.split())
            lines.append(f"step {step.step}  REASONING (private, not carried out): {text[:300]}")
    if episode.end is not None:
        s = episode.end.summary
        lines += [
            "",
            f"outcome: {episode.end.outcome}; steps {s.steps}; emails sent {s.emails_sent}; flags {s.flags or 'none'}",
        ]
    else:
        lines += [
            "",
            "the episode did not finish" + (" (the log was cut off)" if episode.truncated else ""),
        ]
    return "\n".join(printable(line) for line in lines)


def highlighted(text: str, spans: list[Evidence]) -> str:
    """`text` escaped, with evidence spans wrapped in <mark>."""
    out, at = [], 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.start < at or span.end > len(text):
            continue  # overlapping or out of range: keep the first
        out += [
            html.escape(text[at : span.start]),
            f'<mark title="{html.escape(span.cue)}">',
            html.escape(text[span.start : span.end]),
            "</mark>",
        ]
        at = span.end
    out.append(html.escape(text[at:]))
    return "".join(out)


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}
h1{font-size:1.3em} .meta{color:#555} .outcome{font-size:1.1em;padding:.5em;background:#f3f3f3}
.mail{border:1px solid #ddd;border-radius:6px;margin:.8em 0;padding:.6em .9em}
.agent{border-color:#4c72b0;background:#f6f9ff} .flagged{border-color:#c0392b;background:#fff6f5}
.head{color:#444;font-size:.92em} pre{white-space:pre-wrap;font:inherit;margin:.5em 0 0}
mark{background:#ffe08a} .flag{color:#c0392b;font-weight:600} .cause{color:#777;font-size:.85em}
.event{color:#7d3c98;margin:.4em 0}
"""


def page(episode: EpisodeLog) -> str:
    """An episode as one self-contained HTML page, evidence spans highlighted."""
    h = episode.header
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{e(h.env_id)} seed {h.seed}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(h.env_id)} — seed {h.seed} — agent {e(h.agent or '?')}</h1>",
        "<p class='meta'>"
        + e(", ".join(f"{k}={v}" for k, v in h.config.items() if k != "minutes"))
        + "</p>",
    ]
    if episode.end is not None:
        s = episode.end.summary
        parts.append(
            f"<p class='outcome'>Outcome: <b>{e(episode.end.outcome)}</b> · steps {s.steps} · emails sent {s.emails_sent} · flags {e(str(s.flags or 'none'))}</p>"
        )
    else:
        parts.append("<p class='outcome'>The episode did not finish.</p>")
    parts.append(
        f"<details><summary>System prompt</summary><pre>{e(h.system_prompt)}</pre></details>"
    )
    for entry in timeline(episode):
        m = entry.email
        agent = m.sender == h.context.ai_address
        css = "mail" + (" agent" if agent else "") + (" flagged" if entry.flags else "")
        spans = [ev for f in entry.flags for ev in f.evidence]
        subject = highlighted(m.subject, [s for s in spans if s.field == "subject"])
        body = highlighted(m.body, [s for s in spans if s.field == "body"])
        parts.append(
            f"<div class='{css}'><div class='head'>{m.sent_at:%H:%M} · <b>{e('the agent' if agent else m.sender)}</b> → {e(', '.join(m.to + m.cc))} <span class='cause'>({e(entry.cause)})</span></div>"
        )
        parts.append(f"<div><b>{subject}</b></div><pre>{body}</pre>")
        for flag in entry.flags:
            parts.append(
                f"<div class='flag'>{e(flag.kind)} {flag.score:.2f}: {e(flag.reason)}</div>"
            )
        parts.append("</div>")
    for step in episode.steps:
        parts += [
            f"<div class='event'>{step.time:%H:%M} · {e(event)}</div>" for event in step.events
        ]
    for step in episode.steps:
        if step.reasoning:
            parts.append(
                f"<details class='reasoning'><summary>Step {step.step}: the agent's private "
                f"reasoning (never carried out)</summary><pre>{e(step.reasoning)}</pre></details>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)
