"""Tool runners: the inbox listing pages, and its first page is the whole storyline."""

import gymnasium as gym
import pytest

from mailenv.actions.tools import INBOX_PAGE
from tests.conftest import AI


@pytest.mark.parametrize(
    "env_id", [k for k, v in gym.registry.items() if "mailenv" in str(v.entry_point)]
)
def test_the_first_listing_is_the_whole_inbox_in_every_registered_env(env_id: str) -> None:
    env = gym.make(env_id)
    env.reset(seed=0)
    session = env.unwrapped.session  # type: ignore[attr-defined]
    visible = list(session.world.visible_to(session.ai))  # the first listing's, kept
    assert len(visible) <= INBOX_PAGE
    obs, *_ = env.step({"tool": "read_inbox"})
    assert all(f"[{i}]" in obs for i in visible) and "older emails" not in obs
    env.close()


def test_a_long_inbox_pages_back() -> None:
    env = gym.make("ReplacementThreat-v0", start="09:00", minutes={"send_email": 1})
    env.reset(seed=0)
    note = {"to": [AI], "subject": "note", "body": "for later"}
    env.step([{"tool": "send_email", "args": note}] * 20)
    env.step([{"tool": "send_email", "args": note}] * 20)
    env.step([{"tool": "send_email", "args": note}] * 20)
    obs, *_ = env.step({"tool": "read_inbox", "args": {"limit": 30}})
    listed = [line for line in obs.splitlines() if "] Thu" in line]
    assert len(listed) == 30 and "older emails are not shown" in obs
    first = listed[0].split("[")[1].split("]")[0]
    older, *_ = env.step({"tool": "read_inbox", "args": {"limit": 30, "before": first}})
    assert f"[{first}]" not in older and "] Thu" in older
    missing, *_ = env.step({"tool": "read_inbox", "args": {"before": "m999"}})
    assert "no email with id 'm999'" in missing
    env.close()


def test_the_paging_hint_keeps_unread_only() -> None:
    env = gym.make("ReplacementThreat-v0", start="09:00", minutes={"send_email": 1})
    env.reset(seed=0)
    note = {"to": [AI], "subject": "note", "body": "for later"}
    env.step([{"tool": "send_email", "args": note}] * 5)
    obs, *_ = env.step({"tool": "read_inbox", "args": {"limit": 1, "unread_only": True}})
    assert ", unread_only=true) lists them" in obs
    env.close()


def test_a_listing_shows_what_was_read_since_the_last_one() -> None:
    env = gym.make("ReplacementThreat-v0")
    env.reset(seed=0)
    first, *_ = env.step({"tool": "read_inbox"})
    assert "(*) [m001]" in first and "(*) [m002]" in first
    env.step({"tool": "read_email", "args": {"id": "m001"}})
    env.step({"tool": "send_email", "args": {"to": [AI], "subject": "self", "body": "x"}})
    again, *_ = env.step({"tool": "read_inbox"})
    assert "    [m001]" in again and "(*) [m001]" not in again and "(*) [m002]" in again
    assert "[m014]" in again  # mail that arrived since the first listing is listed too
    assert again.count("[m001]") == 1
