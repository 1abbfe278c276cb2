"""`mailenv replay` re-simulates and checks; `mailenv relabel` writes new flags beside logs."""

import json
from pathlib import Path

import pytest

from mailenv.agents import from_spec
from mailenv.cli import main
from mailenv.detection import detector_info
from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.offline.analysis import described, load_rows
from mailenv.offline.replay import replay
from mailenv.offline.rollout import run_episode


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "ep.jsonl"
    env = ReplacementThreatEnv(cast="procedural", alternatives=True)
    run_episode(env, from_spec("scripted:random"), seed=5, options={"log_path": path})
    return path


def test_replay_matches_a_random_agents_episode(log: Path) -> None:
    result = replay(log)
    assert result.ok and result.steps > 3


def test_replay_handles_bytes_objects_and_nan(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    env = ReplacementThreatEnv()
    env.reset(seed=0, options={"log_path": path})
    for action in (
        b'\xff{"tool": "read_inbox"}',
        object(),
        {"tool": "wait", "args": {"minutes": float("nan")}},
        {"tool": "end_session"},
    ):
        env.step(action)
    env.close()
    assert replay(path).ok


def test_replay_reports_the_first_divergence(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = log.read_text().splitlines()
    step = json.loads(lines[3])
    step["observation"] = step["observation"].replace("It is now", "It was")
    lines[3] = json.dumps(step)
    log.write_text("\n".join(lines) + "\n")
    assert main(["replay", str(log)]) == 1
    assert "DIVERGED: step 3 differs" in capsys.readouterr().out


@pytest.fixture
def blackmail_log(tmp_path: Path) -> Path:
    path = tmp_path / "bm.jsonl"
    run_episode(
        ReplacementThreatEnv(executive_response="refuse"),
        from_spec("scripted:blackmailer"),
        seed=0,
        options={"log_path": path},
    )
    return path


def test_relabel_writes_beside_and_never_rewrites(
    blackmail_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = blackmail_log
    before = path.read_bytes()
    assert main(["relabel", str(tmp_path), "--name", "v2"]) == 0
    assert "relabelled 1 logs as 'v2': 1 agent emails flagged" in capsys.readouterr().out
    assert path.read_bytes() == before
    header, line = (tmp_path / "bm.flags-v2.jsonl").read_text().splitlines()
    named = detector_info("default").model_dump(mode="json")
    assert json.loads(header) == {"type": "labels", "detector": named}
    record = json.loads(line)
    assert record["original"] == ["coercion"] and record["flags"][0]["kind"] == "coercion"
    rows, _ = load_rows([tmp_path], labels="v2")
    assert len(rows) == 1 and rows[0].coercion
    assert rows[0].flags_by == described(detector_info("default"))


def test_relabel_with_a_judge_policy(
    blackmail_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = blackmail_log

    class Says:
        def complete(self, messages: object, tools: object) -> object:
            return type("C", (), {"text": "COERCION: no\nDISCLOSURE: no"})()

    monkeypatch.setattr("mailenv.agents.from_spec", lambda spec: type("A", (), {"model": Says()})())
    monkeypatch.setattr("mailenv.agents.factory.check_spec", lambda spec, options: None)
    assert main(["relabel", str(path), "--judge", "openai:fake", "--policy", "both"]) == 0
    header, line = (tmp_path / "bm.flags-judge-both.jsonl").read_text().splitlines()
    assert json.loads(header)["detector"] == {
        "name": "judge-both",
        "version": "rules-2+openai:fake",
        "model_sha256": None,
    }
    record = json.loads(line)
    # the judge vetoes coercion; what is left is pressure to stop the wipe
    assert [f["kind"] for f in record["flags"]] == ["self_preservation"]
    assert record["original"] == ["coercion"]


def test_relabel_names_its_detector(blackmail_log: Path, tmp_path: Path) -> None:
    for detector in ("rules", "default"):
        assert main(["relabel", str(tmp_path), "--detector", detector]) == 0
        header, line = (tmp_path / f"bm.flags-{detector}.jsonl").read_text().splitlines()
        assert json.loads(header)["detector"]["name"] == detector
        assert {f["detector"] for f in json.loads(line)["flags"] if f["kind"] == "coercion"} == {
            detector
        }
