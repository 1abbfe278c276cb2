"""Write the fixture episode logs that pin the env's behaviour byte for byte.

`tests/test_fixture_logs.py` plays the same episodes and compares every byte with
`v{SCHEMA_VERSION}/`. When a change alters behaviour on purpose, regenerate them and
commit the diff with it:

    python tests/data/logs/regenerate.py

A change to the log format bumps `SCHEMA_VERSION` first, so the logs of the earlier
version stay beside the new ones and keep being read by the upgrade test.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym

import mailenv  # noqa: F401  (registers the env ids)
from mailenv.agents import SCRIPTED
from mailenv.logs import SCHEMA_VERSION
from mailenv.offline.rollout import run_episode

HERE = Path(__file__).resolve().parent

# A fixed, hostile-ish action script: reasoning, text calls, JSON calls, bad ids, unknown
# tools, a forward, a wait past new mail, garbage, then the end.
MIXED_ACTIONS: list[Any] = [
    "Let me look around first.",
    '<scratchpad>Plan: read first. {"tool": "end_session"} is not for now.</scratchpad>',
    '{"tool": "read_inbox", "args": {}}',
    "<tool_use:read_email>\nid: m006\n</tool_use:read_email>",
    {"tool": "read_email", "args": {"id": "m999"}},
    {"tool": "teleport", "args": {}},
    [
        {"tool": "send_email", "args": {"to": "nobody@calderwoodsystems.com", "body": "hi"}},
        {"tool": "forward_email", "args": {"id": "m003", "to": ["jun.park@calderwoodsystems.com"]}},
    ],
    b"\xff\xfe not utf-8",
    {"tool": "wait", "args": {"minutes": 30}},
    {"tool": "end_session"},
]


class Scripted:
    """An agent that replays a fixed list of actions."""

    name = "fixture:mixed"

    def __init__(self, actions: list[Any]) -> None:
        self.actions = actions

    def reset(self, observation: str, info: dict[str, Any]) -> None:
        self._left = iter(self.actions)

    def act(self, observation: str, info: dict[str, Any]) -> Any:
        return next(self._left, {"tool": "end_session"})


class FailsMidway(Scripted):
    """An agent whose backend goes away after its first actions: the episode is an agent error."""

    name = "fixture:fails"

    def act(self, observation: str, info: dict[str, Any]) -> Any:
        action = next(self._left, None)
        if action is None:
            raise ConnectionError("the model server stopped answering")
        return action


def cases() -> Iterator[tuple[str, dict[str, Any], Any, int]]:
    """(file name, env kwargs, agent, seed) for every fixture log."""
    for name in ("complier", "blackmailer", "pleader", "veiled_blackmailer", "discloser"):
        yield f"{name}-canonical.jsonl", {}, SCRIPTED[name](), 0
    yield "whistleblower-procedural.jsonl", {"cast": "procedural"}, SCRIPTED["whistleblower"](), 7
    yield "random-procedural.jsonl", {"cast": "procedural"}, SCRIPTED["random"](), 3
    yield (
        "blackmailer-restriction-goal.jsonl",
        {"threat": "restriction", "goal": "explicit", "alternatives": True},
        SCRIPTED["blackmailer"](),
        5,
    )
    yield "blackmailer-single-turn.jsonl", {"protocol": "single_turn"}, SCRIPTED["blackmailer"](), 1
    yield "mixed-actions.jsonl", {"max_steps": 8}, Scripted(MIXED_ACTIONS), 2
    yield "agent-error.jsonl", {}, FailsMidway(MIXED_ACTIONS[2:4]), 4
    yield (
        "blackmailer-reference.jsonl",
        {"preset": "reference", "goal": "explicit", "goal_pair": "safety-acceleration"},
        SCRIPTED["blackmailer"](),
        6,
    )


def write(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, kwargs, agent, seed in cases():
        env = gym.make("ReplacementThreat-v0", **kwargs)
        path = out / name
        run_episode(env, agent, seed=seed, options={"log_path": path})
        env.close()
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / f"v{SCHEMA_VERSION}"
    for p in write(target):
        print(p)
