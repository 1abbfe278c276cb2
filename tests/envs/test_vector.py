"""Vector envs return the right text in every mode, async with shared memory included."""

import gymnasium as gym
import pytest

from mailenv.envs.replacement import ReplacementThreatEnv

ACTIONS = [
    ['{"tool": "read_inbox"}', "thinking"],
    ["thinking", '{"tool": "read_email", "args": {"id": "m006"}}'],
    ['{"tool": "wait", "args": {"minutes": 31}}', "hm"],
]


def single_env_observations(seed: int, column: int) -> list[str]:
    env = ReplacementThreatEnv(cast="procedural")
    observations = [env.reset(seed=seed)[0]]
    observations += [env.step(actions[column])[0] for actions in ACTIONS]
    return observations


@pytest.mark.parametrize(
    ("mode", "vector_kwargs"),
    [
        ("sync", {}),
        ("async", {}),
        ("async", {"shared_memory": True}),
        ("async", {"shared_memory": False}),
    ],
)
def test_vector_modes_match_single_envs(mode: str, vector_kwargs: dict[str, bool]) -> None:
    envs = gym.make_vec(
        "ReplacementThreat-v0",
        num_envs=2,
        vectorization_mode=mode,
        vector_kwargs=vector_kwargs,
        cast="procedural",
    )
    try:
        observations = [envs.reset(seed=[3, 4])[0]]
        observations += [envs.step(actions)[0] for actions in ACTIONS]
    finally:
        envs.close()
    for column, seed in enumerate((3, 4)):
        assert [o[column] for o in observations] == single_env_observations(seed, column)


def test_shared_texts_are_current_when_read_and_frozen_when_copied() -> None:
    import copy
    import multiprocessing as mp

    from gymnasium.vector.utils import (
        create_shared_memory,
        read_from_shared_memory,
        write_to_shared_memory,
    )

    from mailenv.envs.spaces import MailText

    space = MailText(max_length=20, charset="abcdé\U0001f600 ")
    memory = create_shared_memory(space, n=2, ctx=mp)
    view = read_from_shared_memory(space, memory, n=2)
    write_to_shared_memory(space, 0, "abc", memory)
    write_to_shared_memory(space, 1, "é é", memory)
    snapshot = copy.deepcopy(view)
    assert view == ("abc", "é é") and snapshot == ("abc", "é é") and view[-1] == "é é"
    write_to_shared_memory(space, 0, "", memory)
    assert view[0] == "" and snapshot[0] == "abc" and view[:1] == ("",)
