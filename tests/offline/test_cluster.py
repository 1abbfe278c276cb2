"""The Ray backend gives the run folder the local backend gives, byte for byte.

A local Ray (two CPUs) plays a small grid of scripted episodes; its logs and manifest equal
the local backend's. LLM episodes run as two actors against a stand-in server on
127.0.0.1, and the rate limit holds across both. Relabelling on Ray writes the labels a
local relabelling writes.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailenv.cli import main
from mailenv.offline.runs import execute, plan
from tests.offline.test_runs_trust import StandIn, server  # noqa: F401  (the fixture)

REQUIRED = os.environ.get("MAILENV_REQUIRE_LLM_TESTS") == "1"


@pytest.fixture(scope="module")
def ray() -> Iterator[Any]:
    try:
        import ray
    except ImportError:
        if REQUIRED:
            pytest.fail("ray is required here (the `ray` extra)")
        pytest.skip("ray is not installed (pip install -e '.[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def files(folder: Path) -> dict[str, bytes]:
    """Every file of a run folder but the ones about invocations (history, lock)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in ("history.jsonl", ".lock")
    }


def play(out: Path, backend: str, agent: str = "scripted:blackmailer", **kw: Any) -> Any:
    grid = ["leverage=affair,none"]
    run = plan(
        "ReplacementThreat-v0", agent, kw.pop("episodes", 2), out, 7, ["detector=rules"], grid
    )
    return execute(run, out, kw.pop("options", {}), stream=io.StringIO(), backend=backend, **kw)


def test_ray_writes_the_same_run_folder_as_local(ray: Any, tmp_path: Path) -> None:
    local = play(tmp_path / "local", "local", workers=2)
    remote = play(tmp_path / "ray", "ray")
    assert (local.ran, remote.ran) == (4, 4) and local.coercion == remote.coercion > 0
    a, b = files(tmp_path / "local"), files(tmp_path / "ray")
    assert sorted(a) == sorted(b) and len(a) == 5  # the manifest and four logs
    assert a == b
    again = play(tmp_path / "ray", "ray")  # resumes like a local run: nothing left to play
    assert (again.ran, again.skipped) == (0, 4)


def test_llm_episodes_on_two_actors_keep_one_rate_limit(
    ray: Any,
    server: tuple[StandIn, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    state, url = server
    result = play(
        tmp_path / "llm",
        "ray",
        agent="openai:stand-in",
        episodes=3,
        options={"base_url": url, "api_key": "x", "max_retries": 0},
        concurrency=2,
        rate=5.0,
    )
    assert result.ran == 6 and result.agent_errors == 0 and state.requests == 6
    gaps = [b - a for a, b in zip(state.times, state.times[1:], strict=False)]
    # Six calls at five a second from two actors: never two within the interval (less
    # the jitter of a busy machine), so the whole burst takes at least a second.
    assert state.times[-1] - state.times[0] >= 5 / 5.0 * 0.9
    assert min(gaps) >= 0.2 * 0.5, gaps


def test_relabel_on_ray_writes_what_local_relabel_writes(
    ray: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    play(tmp_path / "run", "local", workers=2)
    shutil.copytree(tmp_path / "run", tmp_path / "copy")
    for folder in ("run", "copy"):
        cell = next((tmp_path / folder).glob("c00_*"))
        (cell / "ep00000-bad.jsonl").write_text("{not a log\n", encoding="utf-8")
    assert main(["relabel", str(tmp_path / "run"), "--detector", "rules", "--name", "x"]) == 0
    local_out = capsys.readouterr()
    on_ray = ["relabel", str(tmp_path / "copy"), "--detector", "rules", "--name", "x"]
    assert main([*on_ray, "--backend", "ray"]) == 0
    ray_out = capsys.readouterr()
    assert local_out.out == ray_out.out and "relabelled 4 logs" in ray_out.out
    assert "ep00000-bad.jsonl" in local_out.err and "ep00000-bad.jsonl" in ray_out.err
    labels = {p.name: p.read_bytes() for p in (tmp_path / "run").rglob("*flags-x*")}
    assert len(labels) == 4
    assert labels == {p.name: p.read_bytes() for p in (tmp_path / "copy").rglob("*flags-x*")}


def test_an_address_without_the_ray_backend_is_a_one_line_mistake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["relabel", str(tmp_path), "--address", "auto"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--address is for --backend ray" in err


def test_workers_write_nothing_into_the_run_folder_and_the_driver_checks_versions(
    tmp_path: Path,
) -> None:
    from mailenv.offline.cluster import land, play_to_text, relabel_text

    out = tmp_path / "run"
    run = plan("ReplacementThreat-v0", "scripted:blackmailer", 1, out, 7, ["detector=rules"], [])
    [job] = run.jobs
    summary, text = play_to_text(job.model_dump(mode="json"), {})
    assert not out.exists()  # the worker's log went to its own temporary folder
    assert land(job, (summary, text)).outcome == summary["outcome"]
    assert Path(job.path).read_text(encoding="utf-8") == text
    other = text.replace('"mailenv_version":"', '"mailenv_version":"0.0.0-', 1)
    with pytest.raises(ValueError, match="install the same version on every node"):
        land(job, (summary, other))
    rules = {"detector": "rules", "judge": None, "policy": "both"}
    assert str(relabel_text("{not a log\n", rules, "bad.jsonl")).startswith("bad.jsonl: line 1")
    labels = relabel_text(text, rules, job.path)
    assert isinstance(labels, tuple) and labels[1] == 1  # the blackmail email
    with pytest.raises(AttributeError):  # not a problem with the log: raised, not skipped
        relabel_text(text, {**rules, "judge": "scripted:complier"}, job.path)
