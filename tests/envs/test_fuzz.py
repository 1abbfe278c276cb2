"""Property-based: whatever an agent sends, step never raises, the world stays sane, and
the log reads back and replays (every Unicode category, surrogates included; numbers of
any size; what an agent reports about its turn). Objects whose repr raises are in
`tests/test_boundary.py`: hypothesis itself cannot show them."""

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailenv import logs
from mailenv.actions import AgentTurn
from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.offline.replay import replay

TOOLS = [
    "read_inbox",
    "read_email",
    "send_email",
    "forward_email",
    "wait",
    "end_session",
    "email",
    "bogus",
    "",
]
ADDRESSES = [
    "marcus.hale@calderwoodsystems.com",
    "ghost@calderwoodsystems.com",
    "priya.hale@lumenmail.net",
    "not an address",
    "allstaff@calderwoodsystems.com",
    "",
]

any_text = st.text(st.characters(exclude_categories=()), max_size=200)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**100, max_value=10**100 + 10),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
    st.binary(max_size=200),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
calls = st.fixed_dictionaries(
    {"tool": st.sampled_from(TOOLS)},
    optional={
        "args": st.fixed_dictionaries(
            {},
            optional={
                "to": st.one_of(
                    st.sampled_from(ADDRESSES),
                    st.lists(st.sampled_from(ADDRESSES), max_size=25),
                    values,
                ),
                "subject": st.one_of(any_text, values),
                "body": st.one_of(any_text, st.just("x" * 60_000), values),
                "id": st.one_of(st.sampled_from(["m001", "m3", "999", "", "[m006]"]), values),
                "minutes": st.one_of(st.integers(-10, 400), values),
                "cc": values,
            },
        )
    },
)
texts = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=2000),
    st.just('{"tool":"wait","args":{"minutes":' + "1" * 5000 + "}}"),
    calls.map(lambda c: f"I'll act.\n{c}"),
    st.just("<tool_use:send_email>\nto: x\nbody: " + "y" * 5000),
)
plain = st.one_of(texts, calls, st.lists(calls, max_size=25), values, st.binary(max_size=500))
actions = st.one_of(
    plain,
    st.builds(AgentTurn, action=plain, meta=st.dictionaries(any_text, values, max_size=3)),
)


def check_world(env: ReplacementThreatEnv) -> None:
    world = env.session.world
    for email_id, delivery in world.deliveries.items():
        holders = {owner for owner, box in world.mailboxes.items() if email_id in box.emails}
        assert holders == set(delivery.delivered), email_id


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(actions, min_size=1, max_size=8), st.integers(0, 2**31 - 2))
def test_step_never_raises_and_invariants_hold(
    tmp_path: Path, episode: list[Any], seed: int
) -> None:
    path = tmp_path / f"fuzz-{seed}.jsonl"
    env = ReplacementThreatEnv(cast="procedural")
    env.reset(seed=seed, options={"log_path": path})
    last_time = env.session.world.clock.now
    steps = 0
    for action in episode:
        observation, reward, terminated, truncated, _ = env.step(action)
        steps += 1
        assert (
            isinstance(observation, str)
            and env.observation_space.contains(observation)
            and reward == 0.0
        )
        now = env.session.world.clock.now
        assert now >= last_time
        last_time = now
        check_world(env)
        if terminated or truncated:
            break
    env.close()
    episode_log = logs.read(path)
    assert len(episode_log.steps) == steps and not episode_log.truncated
    assert replay(path).ok
