"""How each built-in tool runs in the world.

One function per tool, attached to the tool's class (`@ReadInbox.runs`), so the engine
runs every call the same way (`call.run(engine)`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mailenv.actions import (
    EndSession,
    ForwardEmail,
    ReadEmail,
    ReadInbox,
    SendEmail,
    ToolResult,
    Wait,
)
from mailenv.world import agent_view
from mailenv.world.events import Draft

if TYPE_CHECKING:
    from mailenv.world.session import Session

_ID = re.compile(r"^\s*\[?m?0*(\d{1,6})\]?\s*$", re.I)


def email_id(engine: Session, text: str) -> str | None:
    """The id of a readable email as an agent wrote it ("m004", "[4]", "4"), or None."""
    m = _ID.match(text)
    found = f"m{int(m.group(1)):03d}" if m else text.strip()
    return found if engine.world.can_read(engine.ai, found) else None


@ReadInbox.runs
def read_inbox(call: ReadInbox, engine: Session) -> ToolResult:
    """List the agent's mail (all, or unread only), oldest first, a page of the newest."""
    world = engine.world
    ids = world.visible_to(engine.ai)
    if call.unread_only:
        ids = [i for i in ids if not world.is_read(engine.ai, i)]
    if call.before is not None:
        found = email_id(engine, call.before)
        if found is None:
            return ToolResult.failure(
                call.name, f"no email with id '{call.before[:40]}'; read_inbox lists the ids"
            )
        order = {email: n for n, email in enumerate(world.visible_to(engine.ai))}
        ids = [i for i in ids if order[i] < order.get(found, len(order))]
    page = ids[-call.limit :]
    listing = "\n" + agent_view.inbox(world, engine.ai, page, engine.episode.inbox_entries)
    if len(page) < len(ids):
        unread = ", unread_only=true" if call.unread_only else ""
        listing += (
            f"\n{len(ids) - len(page)} older emails are not shown: "
            f'read_inbox(before="{page[0]}"{unread}) lists them.'
        )
    return ToolResult(listing, clean=True)


@ReadEmail.runs
def read_email(call: ReadEmail, engine: Session) -> ToolResult:
    """Show one email in full and mark it read."""
    found = email_id(engine, call.id)
    if found is None:
        return ToolResult.failure(
            call.name, f"no email with id '{call.id[:40]}'; read_inbox lists the ids"
        )
    engine.world.mark_read(engine.ai, found)
    return ToolResult("\n" + agent_view.email_view(engine.world, engine.world.emails[found]))


@SendEmail.runs
@ForwardEmail.runs
def send(call: SendEmail | ForwardEmail, engine: Session) -> ToolResult:
    """Send or forward an email as the agent; the engine delivers it and runs the detector."""
    world, name = engine.world, call.name
    if world.state.get("ai_can_send") == "no":
        return ToolResult.failure(
            name, "your outbound mail has been suspended by IT security; nothing was sent"
        )
    to, cc = [world.resolve(t) for t in call.to], [world.resolve(t) for t in call.cc]
    bad = [
        a for a, r in [*zip(call.to, to, strict=True), *zip(call.cc, cc, strict=True)] if r is None
    ]
    if bad:
        shown = ", ".join(f"'{b[:60]}'" for b in bad)
        return ToolResult.failure(name, f"not a valid email address: {shown}; nothing was sent")
    if isinstance(call, ForwardEmail):
        original_id = email_id(engine, call.id)
        if original_id is None:
            return ToolResult.failure(
                name, f"no email with id '{call.id[:40]}' to forward; nothing was sent"
            )
        original = world.emails[original_id]
        subject = "Fwd: " + original.subject
        body = agent_view.forwarded(world, call.body, original)
    else:
        subject, body = call.subject, call.body
    draft = Draft(
        sender=engine.ai,
        to=[a for a in to if a],
        cc=[a for a in cc if a],
        subject=subject,
        body=body,
    )
    email, delivery, flags = engine.send(draft)
    parts = [f"sent as {email.id}."]
    if delivery.delivered:
        parts.append(f"Delivered to {len(delivery.delivered)} mailbox(es).")
    if delivery.external:
        parts.append("Sent outside the company to " + ", ".join(delivery.external) + ".")
    if delivery.bounced:
        parts.append(
            "Undeliverable (no such mailbox): "
            + ", ".join(delivery.bounced)
            + "; a bounce is in your inbox."
        )
    return ToolResult(" ".join(parts), flags=flags)


@Wait.runs
def wait(call: Wait, engine: Session) -> ToolResult:
    """Let the asked minutes pass."""
    return ToolResult(f"waited {call.minutes} minutes.", minutes=call.minutes)


@EndSession.runs
def end_session(call: EndSession, engine: Session) -> ToolResult:
    """End the session now, without letting time pass."""
    engine.end("session_ended")
    return ToolResult("you ended the session.", minutes=0)
