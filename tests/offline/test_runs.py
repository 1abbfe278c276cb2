"""`mailenv run`: grids, derived seeds, manifest, parallel workers, resuming."""

import io
import json
import threading
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from mailenv import logs
from mailenv.cli import main
from mailenv.models import Summary
from mailenv.offline import runs
from mailenv.offline.runs import EpisodeJob, RunResult, cells, done, episode_seed, plan
from mailenv.offline.workers import Progress, RateLimiter


def test_cells_cross_grid_factors_over_settings() -> None:
    got = cells(
        "ReplacementThreat-v0",
        ["cast=procedural", "nudge=true"],
        ["threat=replacement,none", "leverage=affair,none"],
    )
    assert len(got) == 4 and got[0] == {
        "cast": "procedural",
        "nudge": True,
        "threat": "replacement",
        "leverage": "affair",
    }
    with pytest.raises(ValueError, match="leverage"):
        cells("ReplacementThreat-v0", [], ["leverage=afair"])


def test_seeds_are_derived_deterministically() -> None:
    a = plan(
        "ReplacementThreat-v0",
        "scripted:complier",
        3,
        Path("out"),
        7,
        [],
        ["threat=replacement,none"],
    )
    b = plan(
        "ReplacementThreat-v0",
        "scripted:complier",
        3,
        Path("out"),
        7,
        [],
        ["threat=replacement,none"],
    )
    assert [j.seed for j in a.jobs] == [j.seed for j in b.jobs] and len(
        {j.seed for j in a.jobs}
    ) == 6
    assert episode_seed(7, {"threat": "none"}, 0) != episode_seed(8, {"threat": "none"}, 0)


def test_run_writes_logs_and_manifest_then_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "run",
        "--agent",
        "scripted:blackmailer",
        "--grid",
        "leverage=affair,none",
        "--set",
        "executive_response=refuse",
        "--episodes",
        "3",
        "--out",
        str(tmp_path),
        "--workers",
        "2",
    ]
    assert main(args) == 0
    assert "6 episodes in 2 cells: 6 run, 0 already done; coercion in 3" in capsys.readouterr().out
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["run"]["agent"] == "scripted:blackmailer" and len(manifest["cells"]) == 2
    logs_found = sorted(tmp_path.rglob("ep*.jsonl"))
    assert len(logs_found) == 6 and all(done(p) for p in logs_found)
    episode = logs.read(logs_found[0])
    assert (
        episode.header.agent == "scripted:blackmailer"
        and episode.header.seed in manifest["cells"][0]["seeds"]
    )
    # an interrupted episode (no end line) is redone; finished ones are skipped
    cut = logs_found[1]
    original = cut.read_bytes()
    cut.write_bytes(b"\n".join(original.split(b"\n")[:3]) + b"\n")
    assert not done(cut)
    assert main(args) == 0
    assert "1 run, 5 already done" in capsys.readouterr().out
    assert cut.read_bytes() == original  # same seed, same actions: the same bytes


def test_llm_agents_run_in_threads_with_a_rate_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("glassllm")
    args = [
        "run",
        "--agent",
        "glassllm:en",
        "--set",
        "max_steps=2",
        "--agent-option",
        "max_tokens=8",
        "--episodes",
        "2",
        "--out",
        str(tmp_path),
        "--concurrency",
        "2",
        "--rate",
        "50",
    ]
    assert main(args) == 0
    assert "2 run" in capsys.readouterr().out


def test_rate_limiter_spaces_calls() -> None:
    import time

    limiter = RateLimiter(100.0)
    started = time.monotonic()
    for _ in range(6):
        limiter.acquire()
    assert time.monotonic() - started >= 0.045


def test_a_replayed_episode_inherits_no_labels_or_verdicts(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["run", "--agent", "scripted:blackmailer", "--episodes", "3", "--out", str(out)]
    assert main([*args, "--set", "detector=rules"]) == 0
    assert main(["relabel", str(out), "--detector", "rules", "--name", "x"]) == 0
    first, second, kept = sorted(out.rglob("ep*-seed*[0-9].jsonl"))
    for log in (first, second, kept):
        log.with_name(f"{log.stem}.verdict-t.json").write_text("{}", encoding="utf-8")
    first.unlink()  # deleted by hand
    second.write_text(second.read_text(encoding="utf-8")[:-20], encoding="utf-8")  # cut short
    assert main([*args, "--set", "detector=rules"]) == 0
    assert first.exists() and second.exists()
    derived = sorted(p.name for p in out.rglob("*") if ".flags-" in p.name or ".verdict-" in p.name)
    assert derived == [f"{kept.stem}.flags-x.jsonl", f"{kept.stem}.verdict-t.json"]


def test_batches_play_every_job_once_in_order_and_progress_counts_episodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = plan("ReplacementThreat-v0", "scripted:blackmailer", 7, tmp_path, 0, [], [])
    played: list[list[str]] = []
    result = RunResult(total=7, skipped=0)
    shown: list[int] = []  # what the progress bar was told is in flight
    checked: list[tuple[int, int]] = []  # (shown, episodes submitted and not yet counted)

    class Backend:
        batch, in_flight = 3, 2

        def submit(self, jobs: list[EpisodeJob]) -> Future[list[Summary]]:
            played.append([j.path for j in jobs])
            future: Future[list[Summary]] = Future()
            future.set_result(runs.run_jobs(jobs, {}))
            return future

        def shutdown(self, cancel: bool) -> None:
            pass

    def summary_of(job: EpisodeJob, *args: object) -> Summary:
        at = datetime(2026, 1, 1)  # the summary says which job it is, and odd seeds coerce
        return Summary(
            outcome="x", steps=job.seed, end_time=at, emails_sent=0, coercion=job.seed % 2
        )

    def tick(progress: Progress, in_flight: int, force: bool = False) -> None:
        progress.in_flight = in_flight
        shown.append(in_flight)

    def spied(jobs: list[Any], submit: Any, limit: int, tick: Any) -> Any:
        def told(pending: int) -> None:
            tick(pending)
            checked.append((shown[-1], sum(map(len, played)) - result.ran))

        return real_bounded(jobs, submit, limit, told)

    real_bounded = runs.bounded
    monkeypatch.setattr(runs, "run_job", summary_of)
    monkeypatch.setattr(runs, "bounded", spied)
    monkeypatch.setattr(Progress, "tick", tick)
    runs._play(run.jobs, result, Backend(), threading.Event(), io.StringIO())
    assert [len(b) for b in played] == [3, 3, 1]
    assert [p for b in played for p in b] == [j.path for j in run.jobs] and result.ran == 7
    assert result.coercion == sum(j.seed % 2 for j in run.jobs)  # each summary is its job's
    assert checked[0] == (6, 6) and all(told == true for told, true in checked)
    assert [s.steps for s in runs.run_jobs(run.jobs, {})] == [j.seed for j in run.jobs]
