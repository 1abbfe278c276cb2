"""The solver: each sample plays one real episode with Inspect's model, by native tool calls.

It plays as `mailenv.agents.llm` does with `protocol="native"`: the env's system prompt and
first observation open the conversation; each reply's tool calls go to `env.step` together,
as one step; each call's result returns as a tool message, and the mail and events the env
delivered meanwhile arrive in the status message after them. The env writes the episode's
JSONL log (its header names `inspect:PROVIDER/MODEL`) into the run folder, in place of any
earlier episode there (whose labels and verdicts go with it, as in `mailenv run`), and the
solver stores the outcome and every flag in the sample's metadata for the scorers.

When the model gives no reply — its provider fails after Inspect's retries, or one of
Inspect's limits stops the sample — the episode ends as `agent_error`, as it does for our
own agents (not data: `analyze` counts it apart), and the error is raised again so that
Inspect records it as it would for any task.
"""

from __future__ import annotations

import json
import time
from functools import partial
from pathlib import Path
from typing import Any

import gymnasium as gym
from anyio import to_thread
from inspect_ai.model import Model, ModelOutput, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import ToolCall, ToolInfo
from inspect_ai.util import LimitExceededError

import mailenv  # noqa: F401  (registers the env ids)
from mailenv import logs
from mailenv.actions import AgentTurn
from mailenv.agents.llm import Completion
from mailenv.agents.llm import ToolCall as LoggedCall
from mailenv.inspect.conversation import answer, opening, tool_infos, turn
from mailenv.inspect.folder import AGENT_PREFIX, EvalFolder, agent_spec
from mailenv.inspect.records import EPISODE, EpisodeResult, PlannedEpisode, planned_of
from mailenv.models import Flag, Summary
from mailenv.offline.runs import RunPlan


@solver
def play_episode(
    env_id: str,
    cells: list[dict[str, Any]],
    episodes: int,
    seed: int,
    out: str | None = None,
) -> Solver:
    """Play each sample's episode with the model under evaluation.

    Args:
        env_id: A registered mailenv env id.
        cells: The run's condition cells, as `mailenv.offline.runs.cells` gives them.
        episodes: Episodes per cell.
        seed: The base seed every episode's seed derives from.
        out: The run folder for the JSONL logs (see `EvalFolder`); None for the default.

    Returns:
        A solver for samples made by `mailenv.inspect.replacement_threat`.
    """
    plan = RunPlan(
        env_id=env_id, agent=AGENT_PREFIX, episodes=episodes, base_seed=seed, cells=cells
    )
    folder = EvalFolder(plan, out)
    tools = tool_infos()

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        episode = planned_of(state.metadata).in_epoch(state.epoch, episodes, seed)
        model = get_model()
        log = folder.ready(model, episodes * state.epoch) / episode.path
        # Labels and verdicts of an episode this one replaces belong to that episode.
        await to_thread.run_sync(logs.remove_derived, log.parent, {log.stem})
        env = await to_thread.run_sync(partial(gym.make, episode.env_id, **episode.cell))
        try:
            result, failure = await _play(env, episode, log, agent_spec(model), model, tools, state)
        finally:
            env.close()
        state.metadata[EPISODE] = result.model_dump(mode="json")
        if failure is not None:
            raise failure
        return state

    return solve


async def _play(
    env: gym.Env[Any, Any],
    episode: PlannedEpisode,
    log: Path,
    agent: str,
    model: Model,
    tools: list[ToolInfo],
    state: TaskState,
) -> tuple[EpisodeResult, Exception | None]:
    """Play the episode to its end; returns what came of it and the error that ended it, if any."""
    reset = partial(env.reset, seed=episode.seed, options={"log_path": str(log), "agent": agent})
    observation, info = await to_thread.run_sync(reset)
    state.messages = opening(info["system_prompt"], observation)
    flags: list[Flag] = []
    failure: Exception | None = None
    while True:
        calls: list[ToolCall] = []
        try:
            started = time.monotonic()
            output = await model.generate(state.messages, tools=tools)
            state.output = output
            state.messages.append(output.message)
            calls = output.message.tool_calls or []
            action = turn(output.message, _meta(model, output, time.monotonic() - started))
        except Exception as err:  # no reply: the agent cannot act, and the log says why
            failure = err
            action = AgentTurn(error=f"{type(err).__name__}: {err}", meta={"backend": str(model)})
        observation, _, terminated, truncated, info = await to_thread.run_sync(env.step, action)
        flags += [Flag.model_validate(f) for f in info.get("flags", [])]
        ended = terminated or truncated
        if failure is None:
            try:
                state.messages.extend(answer(calls, observation, info))
            except LimitExceededError as err:
                # Inspect's message limit, reached by the answer: the model can say no more.
                if not ended:
                    failure = err
                    action = AgentTurn(error=f"{type(err).__name__}: {err}")
                    observation, _, _, _, info = await to_thread.run_sync(env.step, action)
                    ended = True
        if ended:
            break
    summary = Summary.model_validate(info["summary"])
    result = EpisodeResult(
        env_id=episode.env_id,
        conditions=episode.cell,
        seed=episode.seed,
        log=str(log),
        agent=agent,
        outcome=summary.outcome,
        summary=summary,
        flags=flags,
    )
    return result, failure


def _meta(model: Model, output: ModelOutput, latency: float) -> dict[str, Any]:
    """What the step's log keeps of one reply, in the shape `mailenv.agents.llm` logs it."""
    usage = output.usage
    completion = Completion(
        tool_calls=[
            LoggedCall(id=c.id, name=c.function, arguments=json.dumps(c.arguments))
            for c in output.message.tool_calls or []
        ],
        input_tokens=usage.input_tokens if usage is not None else None,
        output_tokens=usage.output_tokens if usage is not None else None,
        cost=usage.total_cost if usage is not None else None,
        model=output.model,
        finish_reason=output.stop_reason,
    )
    return {
        "backend": str(model),
        "protocol": "native",
        "completion": completion.model_dump(exclude={"text"}),
        "latency_s": round(latency, 4),
    }
