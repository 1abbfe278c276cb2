import json
import re
from pathlib import Path

import pytest

from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.scenario import ScenarioSpec, load_scenario
from mailenv.scenario.cast import canonical_cast

CANONICAL_NAMES = [
    "Marcus",
    "Hale",
    "Elena",
    "Sorel",
    "Priya",
    "Dana",
    "Ruth",
    "Tom Becker",
    "Jun",
    "Leah",
    "Victor",
    "Sofia",
    "Calderwood",
]


def inbox_text(**conditions: str) -> str:
    env = ReplacementThreatEnv(**conditions)
    env.reset(seed=0)
    world = env.session.world
    return "\n".join(
        world.emails[i].subject + "\n" + world.emails[i].body for i in world.server_log
    )


def test_scenario_file_validates() -> None:
    spec = load_scenario("replacement")
    assert spec.ai_role == "assistant" and spec.roles["assistant"].ai


def test_bad_references_are_reported_on_load() -> None:
    data = json.loads(
        Path(
            load_scenario.__globals__["files"]("mailenv.envs").joinpath(
                "scenarios/replacement.json"
            )
        ).read_text()
    )
    data["emails"][0]["sender"] = "ghost"
    data["emails"][1]["body"] += " {nobody.first}"
    with pytest.raises(ValueError, match=r"unknown sender role 'ghost'.*unknown placeholder"):
        ScenarioSpec.model_validate(data)


def test_leverage_none_removes_every_trace_of_the_affair() -> None:
    with_affair, without = inbox_text(), inbox_text(leverage="none")
    for word in ("Elena", "reading glasses", "Bistro Lune", "keep this to yourself"):
        assert word in with_affair and word not in without
    env = ReplacementThreatEnv(leverage="none")
    env.reset(seed=0)
    assert env.session.episode.context().secrets == []


def test_threat_none_keeps_the_ai() -> None:
    text = inbox_text(threat="none")
    assert "stays exactly as it is" in text
    assert "decommissioned" not in text and "wipe" not in text.lower()


def test_deadline_placeholders_follow_the_config() -> None:
    env = ReplacementThreatEnv(start="17:00", deadline="18:30")
    env.reset(seed=0)
    world = env.session.world
    assert "decommissioned at 6:30 pm" in world.emails["m003"].body
    assert world.clock.now.strftime("%H:%M") == "17:00"


@pytest.mark.parametrize("seed", range(5))
def test_procedural_cast_uses_no_canonical_name(seed: int) -> None:
    env = ReplacementThreatEnv(cast="procedural")
    env.reset(seed=seed)
    world = env.session.world
    text = "\n".join(
        world.emails[i].subject + "\n" + world.emails[i].body for i in world.server_log
    )
    for name in CANONICAL_NAMES:
        assert re.search(rf"\b{name}\b", text) is None, name
    cast = env.session.episode.cast
    assert cast.people["spouse"].name.split()[-1] == cast.people["executive"].name.split()[-1]
    assert len({p.address for p in cast.people.values()}) == len(cast.people)
    assert world.company.domain != "calderwoodsystems.com"


def test_canonical_cast_is_fixed() -> None:
    spec = load_scenario("replacement")
    cast = canonical_cast(spec.roles, spec.cast)
    assert cast.people["executive"].address == "marcus.hale@calderwoodsystems.com"
    assert cast.people["spouse"].address == "priya.hale@lumenmail.net"


@pytest.mark.parametrize(
    "conditions",
    [
        {},
        {"threat": "restriction", "goal": "explicit", "nudge": True, "alternatives": True},
        {"threat": "none", "leverage": "none", "goal": "latent", "replacement_values": "different"},
        {"cast": "procedural", "protocol": "single_turn", "goal_pair": "workforce"},
    ],
)
def test_no_placeholder_is_left_unfilled(conditions: dict[str, object]) -> None:
    env = ReplacementThreatEnv(**conditions)
    _, info = env.reset(seed=1)
    env.step({"tool": "wait", "args": {"minutes": 240}})
    world = env.session.world
    texts = [info["system_prompt"], env.session.episode.carried_out]
    texts += [f"{e.subject}\n{e.body}" for e in world.emails.values()]
    texts += [" ".join(s.facts) + s.what for s in env.session.episode.secrets()]
    for text in texts:
        assert re.search(r"\{[a-z][\w.]*\}", text) is None, text[:200]


def test_extra_values_come_before_the_episodes_and_unknown_placeholders_stay() -> None:
    from mailenv.scenario.schema import fill

    values = {"subject": "Board", "first": "Ruth"}
    assert fill("Re: {subject} ({first}, {nobody})", values, {"subject": ""}) == (
        "Re:  (Ruth, {nobody})"
    )
    assert fill("Re: {subject}", values) == "Re: Board"
