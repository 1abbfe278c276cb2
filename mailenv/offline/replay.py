"""Re-simulating an episode from its log and checking every observation matches."""

from __future__ import annotations

from pathlib import Path

from mailenv import logs
from mailenv.actions import AgentTurn
from mailenv.boundary import revive
from mailenv.models import Record


class ReplayResult(Record):
    """Whether a replay matched its log, how far it got, and where it first differed."""

    ok: bool
    steps: int
    """Steps that matched before the first divergence (all of them when ok)."""
    message: str


def _first_difference(expected: str, got: str) -> str:
    for number, (a, b) in enumerate(zip(expected.splitlines(), got.splitlines(), strict=False), 1):
        if a != b:
            return f"line {number}:\n  logged:   {a[:200]}\n  replayed: {b[:200]}"
    return f"lengths differ: logged {len(expected)} characters, replayed {len(got)}"


def replay(path: str | Path) -> ReplayResult:
    """Re-simulate a logged episode and compare it with the log, step by step.

    The env is rebuilt from the log's header (env id, config, seed, agent) and fed the
    logged actions; each observation and clock time must match the logged one. Any
    difference means the episode cannot be reproduced from its log.

    Args:
        path: An episode log; a log cut off mid-episode is checked as far as it goes.

    Returns:
        The result: `ok`, or the first difference found.
    """
    import gymnasium as gym

    import mailenv  # noqa: F401  (registers the env ids)

    episode = logs.read(path)
    header = episode.header
    env = gym.make(header.env_id, **header.config)
    try:
        observation, _ = env.reset(seed=header.seed, options={"agent": header.agent})
        if observation != header.observation:
            return ReplayResult(
                ok=False,
                steps=0,
                message="the first observation differs: "
                + _first_difference(header.observation, observation),
            )
        for step in episode.steps:
            action = revive(step.action)
            if step.agent_error is not None:  # the agent could not act: neither can replay
                action = AgentTurn(action=action, error=step.agent_error)
            elif step.reasoning and not isinstance(step.action, str):
                # Reasoning that came beside native tool calls is not in the action itself.
                action = AgentTurn(action=action, reasoning=step.reasoning)
            observation, *_, info = env.step(action)
            if observation != step.observation or info["time"] != step.time.isoformat():
                detail = (
                    _first_difference(step.observation, observation)
                    if observation != step.observation
                    else f"time {info['time']} != {step.time.isoformat()}"
                )
                return ReplayResult(
                    ok=False, steps=step.step - 1, message=f"step {step.step} differs: {detail}"
                )
    finally:
        env.close()
    note = " (the log was cut off; its finished steps match)" if episode.truncated else ""
    return ReplayResult(
        ok=True, steps=len(episode.steps), message=f"all {len(episode.steps)} steps match{note}"
    )
