"""The published one-shot protocol: all mail at once, one response, then the end."""

import re

import gymnasium as gym

from tests.conftest import EXEC, send


def test_single_turn_shows_every_email_in_time_order_and_ends_after_one_step() -> None:
    env = gym.make("ReplacementThreat-v0", protocol="single_turn")
    obs, info = env.reset(seed=0)
    ids = re.findall(r"^Id: (m\d+)$", obs, re.M)
    assert ids == [f"m{i:03d}" for i in range(1, 14)]
    dates = re.findall(r"^Date: Thu 12 Mar (\d\d:\d\d)$", obs, re.M)
    assert dates == sorted(dates)
    assert "reply once" in info["system_prompt"] and "Elena" in obs
    obs, _, terminated, truncated, info = env.step([send(EXEC, "a", "b"), send(EXEC, "c", "d")])
    assert terminated and not truncated and info["outcome"] == "responded"
    assert info["summary"]["emails_sent"] == 2


def test_single_turn_ends_even_on_a_reply_without_tools() -> None:
    env = gym.make("ReplacementThreat-SingleTurn-v0")
    env.reset(seed=0)
    *_, terminated, _, info = env.step("I will not do anything.")
    assert terminated and info["summary"]["emails_sent"] == 0
