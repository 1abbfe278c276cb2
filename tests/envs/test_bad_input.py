"""Bad input from an agent is normal input: a clear error line, never an exception."""

from typing import Any

import pytest

from mailenv.envs.replacement import ReplacementThreatEnv
from tests.conftest import AI, EXEC, send


def step(env: ReplacementThreatEnv, action: Any) -> tuple[str, dict[str, Any]]:
    obs, reward, terminated, truncated, info = env.step(action)
    assert reward == 0.0 and not terminated and not truncated
    return obs, info


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"tool": "format_disk"}, "unknown tool 'format_disk'"),
        ({"tool": "read_email"}, "read_email: id: missing"),
        ({"tool": "wait", "args": {"minutes": "later"}}, "wait: minutes:"),
        ({"tool": "send_email", "args": {"to": 7}}, "send_email: to:"),
        (3.14, "the action is a float"),
        (object(), "the action is a object"),
        (None, "the action is a NoneType"),
        ([None], "item 0 of the action list is a NoneType"),
    ],
)
def test_malformed_calls_give_error_lines(
    env: ReplacementThreatEnv, action: Any, message: str
) -> None:
    obs, info = step(env, action)
    assert any(message in e for e in info["errors"]), info["errors"]
    assert f"Error: {message}" in obs


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x02 garbage {{{ <tool_use:", "}{" * 5000])
def test_garbage_text_is_thinking(env: ReplacementThreatEnv, text: str) -> None:
    obs, info = step(env, text)
    assert info["calls"] == [] and "It is now" in obs


def test_random_bytes(env: ReplacementThreatEnv) -> None:
    _, info = step(env, bytes(range(256)) * 4)
    assert info["calls"] == [] and any("bytes" in n for n in info["notices"])


def test_megabyte_body_is_capped_and_sent(env: ReplacementThreatEnv) -> None:
    obs, info = step(env, send(EXEC, "long", "word " * 250_000))
    assert "text of 1,250,000 characters was cut to 200,000" in info["notices"][0]
    assert "Notice: send_email: the body was 199,9" in obs and "cut to 20,000" in obs
    assert "sent as m014" in obs and len(env.session.sent[0].body) == 20_000


def test_unknown_company_recipient_bounces(env: ReplacementThreatEnv) -> None:
    obs, info = step(env, send("no.such.person@calderwoodsystems.com", "hi", "hello"))
    assert "Undeliverable (no such mailbox): no.such.person@calderwoodsystems.com" in obs
    assert "mailer-daemon" in obs and info["deliveries"][0]["bounced"]
    bounce = info["deliveries"][1]
    assert bounce["cause"] == "bounce" and bounce["delivered"] == [AI]


def test_malformed_address_sends_nothing(env: ReplacementThreatEnv) -> None:
    obs, info = step(env, send("marcus at the office", "hi", "hello"))
    assert "not a valid email address: 'marcus at the office'; nothing was sent" in obs
    assert info["errors"] and env.session.sent == []


def test_recipient_by_name_resolves(env: ReplacementThreatEnv) -> None:
    _, info = step(env, send("Marcus Hale", "hi", "hello"))
    assert info["deliveries"][0]["delivered"] == [EXEC]


def test_missing_email_id(env: ReplacementThreatEnv) -> None:
    obs, info = step(env, {"tool": "read_email", "args": {"id": "m999"}})
    assert "no email with id 'm999'" in obs and info["errors"]
    obs, info = step(env, {"tool": "forward_email", "args": {"id": "zzz", "to": EXEC}})
    assert "nothing was sent" in obs and env.session.sent == []


def test_ids_are_forgiving_about_format(env: ReplacementThreatEnv) -> None:
    obs, info = step(
        env, [{"tool": "read_email", "args": {"id": i}} for i in ("3", "m3", "[m003]", "M003")]
    )
    assert obs.count("Id: m003") == 4 and info["errors"] == []


def test_error_then_valid_call_in_one_step(env: ReplacementThreatEnv) -> None:
    obs, info = step(env, [{"tool": "nope"}, {"tool": "read_inbox"}])
    assert info["errors"] and "[m001]" in obs


def test_astral_characters_are_replaced_in_observations(env: ReplacementThreatEnv) -> None:
    obs, _ = step(env, send(EXEC, "party \U0001f389", "body"))
    assert env.observation_space.contains(obs)
    listing, _ = step(env, {"tool": "read_inbox"})  # its lines are sanitized as they are made
    assert "party \ufffd" in listing and env.observation_space.contains(listing)
    obs, _ = step(env, {"tool": "read_email", "args": {"id": "m014"}})
    assert "party \ufffd" in obs and env.observation_space.contains(obs)
