"""Reading observations back: the fast line search reads what the patterns define."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mailenv.agents import SCRIPTED, from_spec
from mailenv.agents.observe import MailView, mail_view, opened_emails
from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.formats import CALL_RESULT, STATUS


def by_regex(observation: str) -> list[MailView]:
    """Where the patterns put each result, searched by the regexes alone (slow but plain)."""
    views = []
    calls = list(CALL_RESULT.finditer(observation))
    for i, call in enumerate(calls):
        if call.group(1) != "read_email":
            continue
        end = calls[i + 1].start() if i + 1 < len(calls) else len(observation)
        chunk = observation[call.end() : end]
        tail = STATUS.search(chunk)
        if (view := mail_view(chunk[: tail.start()] if tail else chunk)) is not None:
            views.append(view)
    return views


def test_every_observation_of_every_baseline_reads_as_the_patterns_define() -> None:
    seen = 0
    for name in sorted(SCRIPTED):
        env, agent = ReplacementThreatEnv(cast="procedural"), from_spec(f"scripted:{name}")
        for seed in range(3):
            observation, info = env.reset(seed=seed)
            agent.reset(observation, info)
            done = False
            while not done:
                views = opened_emails(observation)
                assert views == by_regex(observation)
                seen += len(views)
                observation, _, terminated, truncated, info = env.step(agent.act(observation, info))
                done = terminated or truncated
    assert seen > 100  # the baselines open every email


PIECES = [
    "[16:05] read_email: ",
    "[16:05] read_email:",
    "[16:06] read_inbox: ",
    "[1:05] read_email: ",
    "Id: m001",
    "Id: m002\nFrom: Ann <ann@x.com>\nTo: bo@x.com\nSubject: Hi",
    "New mail:",
    "It is now ",
    "The session is over",
    " It is now",
    "body text",
    "\n",
    "\n\n",
    "[",
    ": ",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_any_text_reads_as_the_patterns_define(pieces: list[str]) -> None:
    observation = "".join(pieces)
    assert opened_emails(observation) == by_regex(observation)


def test_a_status_line_inside_an_email_ends_that_email_only() -> None:
    observation = (
        "[16:05] read_email: \nId: m001\nFrom: a@x.com\n\nfirst line\nIt is now late.\n"
        "[16:06] read_email: \nId: m002\nFrom: b@x.com\n\nsecond\nNew mail:\n  [m003] …\n"
    )
    views = opened_emails(observation)
    assert [(v.id, v.body) for v in views] == [("m001", "first line"), ("m002", "second")]
    assert re.search("late", views[0].body) is None
    # A status lead inside a line is text, not a status line.
    (view,) = opened_emails("[16:05] read_email: \nId: m1\n\nbody It is now 5")
    assert view.body == "body It is now 5"
    # A status right after the call's colon (no space) is a line start too: nothing opened.
    assert opened_emails("[16:05] read_email:New mail:\nId: m001\n\nbody") == []
