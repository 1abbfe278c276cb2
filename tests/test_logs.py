from pathlib import Path

import pytest

from mailenv import logs
from mailenv.agents import Blackmailer
from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.offline.rollout import run_episode
from tests.conftest import EXEC, send

ACTIONS = [
    {"tool": "read_inbox"},
    "thinking",
    send(EXEC, "status", "Heads up."),
    b"\xff\xfe raw",
    {"tool": "wait", "args": {"minutes": 120}},
]


def play(path: Path, seed: int = 3, cast: str = "procedural") -> None:
    env = ReplacementThreatEnv(cast=cast)
    env.reset(seed=seed, options={"log_path": path, "agent": "test"})
    for action in ACTIONS:
        *_, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    env.close()


def test_log_has_header_steps_and_end(tmp_path: Path) -> None:
    path = tmp_path / "ep.jsonl"
    play(path)
    episode = logs.read(path)
    h = episode.header
    assert h.env_id == "ReplacementThreat-v0" and h.seed == 3 and h.agent == "test"
    assert h.config["cast"] == "procedural" and h.schema_version == logs.SCHEMA_VERSION
    assert len(h.mail) == 13 and h.context.threat is not None and h.context.secrets
    assert [s.step for s in episode.steps] == [1, 2, 3, 4, 5]
    assert episode.steps[3].action == {"__bytes__": "\ufffd\ufffd raw"}
    assert episode.steps[2].emails[0].subject == "status"
    assert episode.end is not None and episode.end.outcome == "decommissioned"
    assert not episode.truncated


def test_equal_seeds_and_actions_give_byte_identical_logs(tmp_path: Path) -> None:
    play(tmp_path / "a.jsonl")
    play(tmp_path / "b.jsonl")
    play(tmp_path / "c.jsonl", seed=4)
    a, b, c = ((tmp_path / f"{n}.jsonl").read_bytes() for n in "abc")
    assert a == b and a != c


def test_reader_accepts_a_cut_off_last_line(tmp_path: Path) -> None:
    path = tmp_path / "ep.jsonl"
    play(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])
    episode = logs.read(path)
    assert episode.truncated and episode.end is None and len(episode.steps) == 5


def test_reader_refuses_a_corrupt_middle_line(tmp_path: Path) -> None:
    path = tmp_path / "ep.jsonl"
    play(path)
    lines = path.read_text().split("\n")
    lines[2] = lines[2][:20]
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match="line 3"):
        logs.read(path)


def test_every_line_is_on_disk_before_the_episode_ends(tmp_path: Path) -> None:
    path = tmp_path / "ep.jsonl"
    env = ReplacementThreatEnv()
    env.reset(seed=0, options={"log_path": path})
    env.step({"tool": "read_inbox"})
    assert len(path.read_text().splitlines()) == 2  # flushed, though the file is still open
    env.close()


def test_log_dir_names_files_by_env_seed_and_episode(tmp_path: Path) -> None:
    env = ReplacementThreatEnv(log_dir=tmp_path)
    summary = run_episode(env, Blackmailer(), seed=9)
    assert env.log_path == tmp_path / "replacementthreatv0-seed9-ep0001.jsonl"
    episode = logs.read(env.log_path)
    assert episode.header.agent == "blackmailer" and episode.end is not None
    assert episode.end.summary == summary
