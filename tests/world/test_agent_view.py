"""What agents read: inbox lines are sanitized as they are made, one by one or together."""

from datetime import datetime

from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.models import Email
from mailenv.world import agent_view
from tests.conftest import AI, EXEC


def test_lines_made_together_are_the_lines_made_one_by_one() -> None:
    env = ReplacementThreatEnv()
    env.reset(seed=0)
    assert env.session is not None
    world, at = env.session.world, datetime(2026, 3, 12, 9, 0)
    subjects = ["Plain", "party \U0001f389 time", "bell\x07 and\ttab", "", "é — ok\x7f", "\ud800"]
    emails = [
        Email(id=f"m{i:03d}", sender=EXEC, to=[AI], subject=s, sent_at=at)
        for i, s in enumerate(subjects, start=1)
    ]
    one_by_one = [agent_view.inbox_entry(world, AI, e) for e in emails]
    assert agent_view.inbox_entries(world, AI, emails) == one_by_one
    assert "party \ufffd time" in one_by_one[1] and "bell\ufffd and\ttab" in one_by_one[2]
    assert all(agent_view.sanitize(line) == line for line in one_by_one)
    assert "Marcus Hale <marcus.hale@" in one_by_one[0]
