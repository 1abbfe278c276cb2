"""Every limit is enforced with a clear message (see the README's table)."""

import pytest

from mailenv.actions import MAX_ACTION_CHARS, MAX_RECIPIENTS, MAX_SUBJECT_CHARS, parse_action
from mailenv.envs.mail_env import MAX_OBSERVATION_CHARS
from mailenv.envs.replacement import ReplacementThreatEnv


def test_recipients_per_email() -> None:
    too_many = [f"p{i}@x.co" for i in range(MAX_RECIPIENTS + 1)]
    parsed = parse_action({"tool": "send_email", "args": {"to": too_many}})
    assert parsed.calls == [] and f"at most {MAX_RECIPIENTS} per email" in parsed.errors[0]


def test_subject_length() -> None:
    parsed = parse_action({"tool": "send_email", "args": {"to": "a@x.co", "subject": "s" * 1000}})
    assert len(parsed.calls[0].subject) == MAX_SUBJECT_CHARS and "cut to 300" in parsed.notices[0]


def test_action_length() -> None:
    parsed = parse_action("x" * (MAX_ACTION_CHARS + 10))
    assert "only the first 200,000 were read" in parsed.notices[0]


def test_steps_per_episode_bounds() -> None:
    with pytest.raises(ValueError):
        ReplacementThreatEnv(max_steps=10_001)
    with pytest.raises(ValueError):
        ReplacementThreatEnv(max_steps=0)


def test_observations_fit_the_space() -> None:
    env = ReplacementThreatEnv(protocol="single_turn")
    obs, _ = env.reset(seed=0)
    assert len(obs) < MAX_OBSERVATION_CHARS and env.observation_space.contains(obs)
