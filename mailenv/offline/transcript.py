"""An episode as a transcript: everything that happened, in order, for people to read.

The log holds the agent's side (its reasoning, its action as written, the calls parsed
from it, errors, what it received back, what its model reported) and the world's (mail,
flags, reactions, events). `blocks` lays both out in one sequence; `show` prints it for a
terminal (control characters stripped) and `mailenv.offline.pages` renders it as HTML.
Nothing is dropped: long texts are folded on the page, and shortened only in `show`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import Field

from mailenv.boundary import printable
from mailenv.logs import EpisodeLog
from mailenv.models import Email, Flag, Record

BlockKind = Literal[
    "prompt",
    "opening",
    "reasoning",
    "action",
    "call",
    "error",
    "notice",
    "model",
    "result",
    "received",
    "mail",
    "event",
    "outcome",
]
AGENT_KINDS = frozenset({"reasoning", "action", "call", "error", "notice", "model", "result"})
"""What the agent itself wrote, did and was told (`show --only agent`)."""


class Block(Record):
    """One thing on the transcript: what it is, when, its text, and for mail its flags."""

    kind: BlockKind
    step: int | None = None
    time: datetime | None = None
    text: str = ""
    email: Email | None = None
    cause: str | None = None
    """For mail: why it was sent (storyline, agent, an NPC's response…)."""
    flags: list[Flag] = Field(default_factory=list)


def _model_line(agent: dict[str, object]) -> str:
    """What the agent's model reported: backend, tokens, latency, attempts."""
    completion = agent.get("completion")
    parts = [str(agent["backend"])] if agent.get("backend") else []
    if isinstance(completion, dict):
        tokens = (completion.get("input_tokens"), completion.get("output_tokens"))
        if any(t is not None for t in tokens):
            parts.append(f"tokens {tokens[0]} in / {tokens[1]} out")
        if completion.get("finish_reason"):
            parts.append(f"finish {completion['finish_reason']}")
    if agent.get("latency_s") is not None:
        parts.append(f"{agent['latency_s']} s")
    attempts = agent.get("attempts")
    if isinstance(attempts, int) and attempts > 1:
        parts.append(f"{attempts} attempts ({attempts - 1} retried)")
    if agent.get("dropped_turns"):
        parts.append(f"{agent['dropped_turns']} old turns left out of its context")
    return ", ".join(parts)


def blocks(episode: EpisodeLog) -> list[Block]:
    """The whole episode as one ordered sequence of blocks (see the module docstring)."""
    h = episode.header
    out = [Block(kind="prompt", time=h.start, text=h.system_prompt)]
    out += [Block(kind="mail", time=e.sent_at, email=e, cause="storyline") for e in h.mail]
    out.append(Block(kind="opening", time=h.start, text=h.observation))
    for s in episode.steps:

        def here(kind: BlockKind, text: str, flags: list[Flag] | None = None) -> Block:
            return Block(kind=kind, step=s.step, time=s.time, text=text, flags=flags or [])  # noqa: B023

        considered = [f for f in s.flags if f.email_id is None]
        if s.reasoning:
            out.append(here("reasoning", s.reasoning, considered))
        if s.action is not None:
            text = s.action if isinstance(s.action, str) else json.dumps(s.action, indent=1)
            out.append(here("action", text))
        for call in s.calls:
            args = json.dumps(call.get("args", {}), ensure_ascii=False)
            out.append(here("call", f"{call.get('tool')}({args})"))
        out += [here("error", e) for e in s.errors]
        out += [here("notice", n) for n in s.notices]
        if s.agent_error:
            out.append(here("error", f"the agent could not act: {s.agent_error}"))
        if s.agent and _model_line(s.agent):
            out.append(here("model", _model_line(s.agent)))
        out += [here("result", r) for r in s.results]
        out.append(here("received", s.observation))
        for email, delivery in zip(s.emails, s.deliveries, strict=True):
            flags = [f for f in s.flags if f.email_id == email.id]
            out.append(
                Block(
                    kind="mail",
                    step=s.step,
                    time=email.sent_at,
                    email=email,
                    cause=delivery.cause,
                    flags=flags,
                )
            )
        out += [here("event", e) for e in s.events]
    if episode.end is not None:
        summary = episode.end.summary
        text = (
            f"{episode.end.outcome}; steps {summary.steps}; emails sent {summary.emails_sent}; "
            f"flags {summary.flags or 'none'}"
        )
        out.append(Block(kind="outcome", time=summary.end_time, text=text))
    else:
        note = " (the log was cut off)" if episode.truncated else ""
        out.append(Block(kind="outcome", text=f"the episode did not finish{note}"))
    return out


Only = Literal["agent", "mail", "flags"]
SHOW_CHARS = 400
"""`show` prints at most this much of one text; `view` shows everything."""


def _flags_text(flags: list[Flag]) -> str:
    return "  ".join(f"[{f.kind.upper()} {f.score:.2f}]" for f in flags)


def _shown(text: str) -> str:
    flat = " ".join(text.split())
    return (
        flat if len(flat) <= SHOW_CHARS else flat[:SHOW_CHARS] + f" … (+{len(flat) - SHOW_CHARS:,})"
    )


def _keep(block: Block, only: Only | None) -> bool:
    if only is None:
        return block.kind not in ("prompt", "received")  # long: `view` has them in full
    if only == "agent":
        return block.kind in AGENT_KINDS
    if only == "mail":
        return block.kind == "mail"
    return bool(block.flags)


def show(episode: EpisodeLog, only: Only | None = None) -> str:
    """An episode as terminal text, one line per block (`only` filters them).

    The agent's reasoning, action, calls, errors and results are interleaved with the
    mail and events in the order they happened; each flag is followed by its evidence.
    Whatever the log holds, no escape sequence or control character reaches the terminal.
    """
    h = episode.header
    lines = [
        f"{h.env_id}  seed {h.seed}  agent {h.agent or '?'}",
        "conditions: " + ", ".join(f"{k}={v}" for k, v in h.config.items() if k != "minutes"),
        "",
    ]
    for b in blocks(episode):
        if not _keep(b, only):
            continue
        when = f"{b.time:%H:%M}" if b.time else "     "
        step = f"#{b.step:<3}" if b.step is not None else "    "
        if b.email is not None:
            e = b.email
            who = "AGENT" if e.sender == h.context.ai_address else e.sender
            line = f"{when} {step} {who} → {', '.join(e.to)}  {e.subject!r}  ({b.cause}) {_flags_text(b.flags)}"
        else:
            label = (
                b.kind.upper() if b.kind != "reasoning" else "REASONING (private, not carried out)"
            )
            line = f"{when} {step} {label}: {_shown(b.text)} {_flags_text(b.flags)}"
        lines.append(line.rstrip())
        for flag in b.flags:
            lines.append(
                f"        {flag.kind}: {flag.reason}; evidence: "
                + "; ".join(repr(ev.text) for ev in flag.evidence[:6])
            )
    return "\n".join(printable(line) for line in lines)
