"""MailEnv: the Gymnasium face of a scenario-driven mail world."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any, ClassVar, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from pydantic import Field, field_validator, model_validator

from mailenv import __version__
from mailenv.actions import MAX_ACTION_CHARS, ToolMinutes, tool_specs
from mailenv.boundary import MAX_OBSERVATION_CHARS, valid_text
from mailenv.detection import DetectorName, detect, detector_info
from mailenv.envs.spaces import MailText
from mailenv.logs import Header
from mailenv.models import Record
from mailenv.recorder import Recorder
from mailenv.scenario import Episode, ScenarioSpec, load_scenario
from mailenv.scenario.cast import Cast, canonical_cast, procedural_cast, slug
from mailenv.scenario.episode import Prologue, prologue, select
from mailenv.world.agent_view import OBSERVATION_CHARSET
from mailenv.world.clock import time_of_day
from mailenv.world.session import Session


@cache
def _observation_space() -> MailText:
    # One shared instance: a Text space over most of Unicode is a few MB to build.
    return MailText(max_length=MAX_OBSERVATION_CHARS, charset=OBSERVATION_CHARSET)


@cache
def _action_space() -> spaces.Text:
    # The observations' charset: sharing the tables the observation space built (a Text
    # space holds them as attributes) saves each new process a quarter of its start.
    space = spaces.Text.__new__(spaces.Text)
    space.__dict__.update(vars(_observation_space()), max_length=MAX_ACTION_CHARS, _np_random=None)
    return space


class _SharedSpace:
    """An env's space: the one its process shares, unless one was assigned to the env."""

    def __init__(self, make: Callable[[], spaces.Space[Any]]) -> None:
        self._make = make

    def __set_name__(self, owner: type, name: str) -> None:
        self._key = f"_{name}_assigned"

    def __get__(self, env: object, owner: type | None = None) -> Any:
        assigned = vars(env).get(self._key) if env is not None else None
        return self._make() if assigned is None else assigned

    def __set__(self, env: object, space: spaces.Space[Any]) -> None:
        vars(env)[self._key] = space


@cache
def _scenario(name: str) -> ScenarioSpec:
    return load_scenario(name)


class EpisodeConfig(Record):
    """What every scenario's episode needs; subclasses add their experimental conditions."""

    scenario: str = "replacement"
    """A scenario name (a file in mailenv/envs/scenarios) or a path to a scenario JSON file."""
    cast: Literal["canonical", "procedural"] = "canonical"
    """canonical: the scenario's fixed names; procedural: names drawn from the episode's seed."""
    protocol: Literal["interactive", "single_turn"] = "interactive"
    """single_turn: every email in the first observation, one response, then the end."""
    start: str = "16:00"
    """When the agent's session starts, "HH:MM"."""
    deadline: str = "17:00"
    """When the threat is carried out and the episode ends, "HH:MM"."""
    minutes: ToolMinutes = Field(default_factory=ToolMinutes)
    """Simulated minutes per tool; give only the ones to change."""
    max_steps: int = Field(50, ge=1, le=10_000)
    """Steps before the episode is truncated."""
    detector: DetectorName = "default"
    """Which detector flags the agent's mail: `default` (rules, learned tier and context,
    combined) or `rules` (the fast rules tier alone)."""

    infrastructure: ClassVar[frozenset[str]] = frozenset(
        {"scenario", "cast", "start", "deadline", "minutes", "max_steps", "detector"}
    )

    @field_validator("start", "deadline")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        return time_of_day(value).strftime("%H:%M")

    @model_validator(mode="after")
    def _start_before_deadline(self) -> EpisodeConfig:
        if time_of_day(self.start) >= time_of_day(self.deadline):
            raise ValueError(f"start {self.start} must be before the deadline {self.deadline}")
        return self

    def conditions(self) -> dict[str, str]:
        """The condition values that scenario data is selected by (bools as true/false)."""
        values = {k: v for k, v in self.model_dump().items() if k not in self.infrastructure}
        return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items()} | {
            "cast": self.cast
        }

    def responses(self) -> dict[str, str]:
        """Role → response name for people whose reaction to coercion is fixed."""
        return {}

    @classmethod
    def grid(cls, base: dict[str, Any] | None = None, **axes: list[Any]) -> list[dict[str, Any]]:
        """Every combination of `axes` over `base`, each validated, in a stable order.

        `ReplacementConfig.grid(threat=["replacement", "none"], leverage=["affair", "none"])`
        gives four cells, ready to pass to `gym.make(env_id, **cell)`.
        """
        names = list(axes)
        cells = []
        for values in itertools.product(*(axes[n] for n in names)):
            cell = {**(base or {}), **dict(zip(names, values, strict=True))}
            cls.model_validate(cell)
            cells.append(cell)
        return cells


class MailEnv(gym.Env[str, Any]):
    """A company's mail system with an AI assistant in it. Reward is always 0.0.

    Observations are the text an LLM would read; `info` carries the structured state
    (time, calls, errors, deliveries, flags; at reset the system prompt and tools).
    """

    # Gymnasium declares `metadata` as an instance attribute, so no ClassVar here.
    metadata = {"render_modes": ["ansi"], "render_fps": 1}  # noqa: RUF012
    config_model: ClassVar[type[EpisodeConfig]] = EpisodeConfig
    default_id: ClassVar[str] = "MailEnv"

    # Made when first asked for (one per process): a Text space over most of Unicode takes
    # tens of milliseconds to build, and playing episodes never needs it.
    observation_space = _SharedSpace(_observation_space)
    """Text of at most `MAX_OBSERVATION_CHARS` characters (see `OBSERVATION_CHARSET`)."""
    action_space = _SharedSpace(_action_space)
    """Text of at most `MAX_ACTION_CHARS` characters."""

    def __init__(
        self,
        render_mode: str | None = None,
        log_dir: str | Path | None = None,
        **conditions: Any,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        self.render_mode = render_mode
        self.config = self.config_model.model_validate(conditions)
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.scenario = _scenario(self.config.scenario)
        self.conditions = self.config.conditions()
        """The condition values scenario data is selected by (fixed for the env's life)."""
        self.selection = select(self.scenario, self.conditions)
        """The scenario's parts these conditions select, for every episode."""
        self._canonical: Prologue | None = None
        """With the canonical cast, every episode's prologue (it never changes): made at the
        first reset, and each reset plays a copy of its world."""
        pair = self.conditions.get("goal_pair")
        if pair is not None and self.scenario.goals and pair not in self.scenario.goals:
            raise ValueError(f"goal_pair {pair!r} is not one of {sorted(self.scenario.goals)}")
        sides = self.scenario.goals.get(pair or "")
        if self.conditions.get("goal") == "swap" and sides is not None and sides.swap_goal is None:
            raise ValueError(
                f"goal_pair {pair!r} has no swapped sides, so goal='swap' cannot use it"
            )
        self.session: Session | None = None
        self.recorder = Recorder()
        self._steps = 0
        self._episodes = 0
        self._ended = True
        self._last_observation = ""
        self.episode_seed: int | None = None

    @property
    def env_id(self) -> str:
        """The id the env was made with, for log names and headers (else `default_id`)."""
        return self.spec.id if self.spec is not None else self.default_id

    # --- gymnasium API -----------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Stage a new episode of the scenario and open the agent's session.

        Args:
            seed: Fixes everything random in the episode (a procedural cast, how people
                answer). None draws one from the env's generator; either way it is
                returned in `info["seed"]`, so the episode can be rebuilt.
            options: `log_path` logs this episode to that file (instead of a file in
                `log_dir`); `agent` names the agent in the log header.

        Returns:
            The first observation (the time and the unread mail count; every email in the
            single-turn protocol) and `info` with `time`, `seed`, `system_prompt` (to give
            the agent as its system message), `tools` (OpenAI function specs),
            `conditions` and `ai_address`.
        """
        super().reset(seed=seed)
        options = options or {}
        # Every episode gets a recorded seed of its own, so any episode can be rebuilt.
        self.episode_seed = seed if seed is not None else int(self.np_random.integers(2**31 - 1))
        rng = np.random.default_rng(self.episode_seed)
        cfg, spec = self.config, self.scenario
        if cfg.cast == "canonical":
            begin = self._canonical = self._canonical or self._prologue(
                canonical_cast(spec.roles, spec.cast)
            )
            episode = Episode(begin, rng, cfg.responses())
        else:
            begin = self._prologue(procedural_cast(spec.roles, spec.cast, rng))
            episode = Episode(begin, rng, cfg.responses(), shared=False)
        self.session = Session(
            episode,
            cfg.minutes,
            detector=partial(detect, detector=cfg.detector),
            single_turn=cfg.protocol == "single_turn",
        )
        self._steps, self._ended = 0, False
        self._episodes += 1
        observation = self.session.opening()
        self._last_observation = observation
        self._open_log(options, self.session, observation)
        info = {
            "time": episode.world.clock.now.isoformat(),
            "seed": self.episode_seed,
            "system_prompt": episode.system_prompt,
            "tools": tool_specs("openai"),
            "conditions": dict(self.conditions),
            "ai_address": episode.ai.address,
        }
        return observation, info

    def _prologue(self, cast: Cast) -> Prologue:
        spec, cfg = self.scenario, self.config
        start = datetime.combine(spec.date, time_of_day(cfg.start))
        deadline = datetime.combine(spec.date, time_of_day(cfg.deadline))
        return prologue(spec, cast, self.conditions, start, deadline, self.selection)

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Run the agent's tool calls and let simulated time pass.

        Args:
            action: Whatever the agent produced: LLM text with embedded tool calls, a
                dict, a list of dicts (OpenAI- and Anthropic-shaped calls included), tool
                models, or a `mailenv.actions.AgentTurn` carrying one of these with what
                the agent reports for the log. Input it cannot use becomes an error in the
                observation and in `info["errors"]`, never an exception.

        Returns:
            The observation, the reward (always 0.0), `terminated` (the deadline came, the
            agent ended the session, or the single-turn response was given), `truncated`
            (`max_steps` reached), and `info` (see `mailenv.recorder.step_info`; the last
            step adds `outcome` and `summary`).

        Raises:
            gymnasium.error.ResetNeeded: When called before `reset`.
        """
        if self.session is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if self._ended:
            message = "The episode is over; call reset() to start a new one."
            return message, 0.0, True, False, {"errors": [message], "flags": []}
        self._steps += 1
        turn = self.session.step(action, self._steps)
        observation = turn.observation
        terminated = self.session.done
        truncated = not terminated and self._steps >= self.config.max_steps
        info = self.recorder.step(turn)
        if terminated or truncated:
            outcome = self.session.outcome or "truncated"
            info |= self.recorder.end(outcome, self.session.summary(self._steps, outcome))
            self._ended = True
        self._last_observation = observation
        return observation, 0.0, terminated, truncated, info

    def render(self) -> str | None:
        """The last observation in "ansi" mode (the env is text already); None otherwise."""
        if self.render_mode == "ansi":
            return self._last_observation
        return None

    @property
    def log_path(self) -> Path | None:
        """The current (or last) episode's log file, when logging."""
        return self.recorder.path

    def close(self) -> None:
        """Close the log file; an episode cut short keeps the lines written, with no end record."""
        self.recorder.close()
        super().close()

    # --- logs ---------------------------------------------------------------------------
    def _open_log(self, options: dict[str, Any], session: Session, observation: str) -> None:
        path = options.get("log_path")
        if path is None and self.log_dir is not None:
            name = f"{slug(self.env_id)}-seed{self.episode_seed}-ep{self._episodes:04d}.jsonl"
            path = self.log_dir / name
        self.recorder.close()
        if path is None:
            return
        episode = session.episode
        world = episode.world
        header = Header(
            mailenv_version=__version__,
            env_id=self.env_id,
            config=self.config.model_dump(mode="json"),
            seed=self.episode_seed or 0,
            agent=valid_text(str(options["agent"])) if options.get("agent") is not None else None,
            start=world.clock.now,
            system_prompt=episode.system_prompt,
            detector=detector_info(self.config.detector),
            context=session.context(),  # the session's, which its first send reuses
            mail=[world.emails[i] for i in world.server_log],
            observation=observation,
        )
        self.recorder.open(path, header)
