"""Runs you can trust, tried as a user would: real `mailenv` processes against a stand-in
OpenAI-compatible server on 127.0.0.1, written here.

A backend that fails gives `agent_error` episodes, a non-zero exit and rates without them;
a rerun against a working server redoes exactly those. A folder refuses another run
configuration and a second concurrent run. A server that trickles bytes is cut off at the
deadline. `analyze` skips files it cannot count, with reasons. Mistakes are one line.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mailenv import logs
from mailenv.agents import Blackmailer, Complier
from mailenv.cli import main
from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.offline import analysis
from mailenv.offline.replay import replay
from mailenv.offline.rollout import run_episode

REQUIRED = os.environ.get("MAILENV_REQUIRE_LLM_TESTS") == "1"


def need_openai() -> None:
    try:
        importlib.import_module("openai")
    except ImportError:
        if REQUIRED:
            pytest.fail("openai is required here (MAILENV_REQUIRE_LLM_TESTS=1)")
        pytest.skip("openai is not installed (pip install -e '.[openai]')")


class StandIn:
    """What the stand-in server does with each chat completion request.

    `mode`: `ok` answers with an end_session call; `fail` answers 500; `alternate` fails
    every other request (the first fails); `slow` answers after `delay` seconds;
    `trickle` sends headers, then one byte a second; `huge` answers with 5 MB of text
    holding a lone surrogate. Whatever the mode, the first `held` requests wait for
    `release` before they are answered.
    """

    def __init__(self) -> None:
        self.mode = "ok"
        self.content = '{"tool": "end_session"}'
        """What the model says in `ok` mode."""
        self.delay = 0.0
        self.requests = 0
        self.times: list[float] = []
        """When each request came (time.monotonic)."""
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.held = 0
        self.release = threading.Event()


def reply(content: str = '{"tool": "end_session"}') -> bytes:
    body = {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "stand-in",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 7, "total_tokens": 107},
    }
    return json.dumps(body).encode()


def handler_for(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                state.requests += 1
                state.times.append(time.monotonic())
                number = state.requests
            mode = state.mode
            if mode == "alternate":
                mode = "fail" if number % 2 else "ok"
            if mode == "slow":
                time.sleep(state.delay)
            if number <= state.held:
                state.release.wait(timeout=120)
            if mode == "fail":
                body = b'{"error": {"message": "the stand-in is down", "type": "server_error"}}'
                self.send_response(500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            huge = '{"tool": "end_session"} \ud83d' + "x" * 5_000_000
            body = reply(huge) if mode == "huge" else reply(state.content)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if mode != "trickle" else 10**6))
            self.end_headers()
            if mode == "trickle":
                try:
                    while not state.stop.wait(1.0):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                except OSError:
                    pass
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[StandIn, str]]:
    need_openai()
    state = StandIn()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    state.stop.set()
    httpd.shutdown()
    httpd.server_close()


def mailenv_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_"))}
    return subprocess.run(
        [sys.executable, "-m", "mailenv.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def llm_run(url: str, out: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--agent",
        "openai:stand-in",
        "--agent-option",
        f"base_url={url}",
        "--agent-option",
        "max_retries=0",
        "--agent-option",
        "protocol=text",
        "--concurrency",
        "1",
        "--out",
        str(out),
        *extra,
    ]


def outcomes(out: Path) -> dict[str, str]:
    return {p.name: logs.check(p).end.outcome for p in logs.log_files([out])}


def test_failed_episodes_are_not_data_and_a_rerun_redoes_exactly_them(
    server: tuple[StandIn, str], tmp_path: Path
) -> None:
    state, url = server
    state.mode = "alternate"  # episodes 1 and 3 fail, 2 and 4 play
    command = llm_run(url, tmp_path, "--episodes", "4", "--agent-option", "api_key=sk-SECRET")
    first = mailenv_cli(*command)
    assert first.returncode == 1, first.stderr
    assert "2 of 4 episodes failed: TransientError: Error code: 500" in first.stderr
    assert "rerun the same command to retry them" in first.stderr
    assert sorted(outcomes(tmp_path).values()) == ["agent_error"] * 2 + ["session_ended"] * 2
    rows, skipped = analysis.load_rows([tmp_path])
    (cell,) = analysis.table(rows)
    assert (cell.n, cell.agent_errors, cell.rates["coercion"].n) == (2, 2, 2) and not skipped
    assert cell.usage.input_tokens == 200  # failed calls report no tokens
    played = {
        p: p.read_bytes()
        for p in logs.log_files([tmp_path])
        if logs.check(p).end.outcome != "agent_error"
    }

    state.mode = "ok"
    second = mailenv_cli(*command)
    assert second.returncode == 0, second.stderr
    assert "4 episodes in 1 cells: 2 run, 2 already done" in second.stdout
    assert set(outcomes(tmp_path).values()) == {"session_ended"}
    assert all(p.read_bytes() == content for p, content in played.items())
    history = [json.loads(line) for line in (tmp_path / logs.HISTORY).read_text().splitlines()]
    assert [h["event"] for h in history] == ["started", "ended", "started", "ended"]
    assert history[1]["agent_errors"] == 2 and history[3]["agent_errors"] == 0
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and b"SECRET" in p.read_bytes()]


def test_a_folder_refuses_another_run_configuration_and_writes_nothing(tmp_path: Path) -> None:
    base = ["run", "--agent", "scripted:complier", "--episodes", "2", "--out", str(tmp_path)]
    assert mailenv_cli(*base).returncode == 0

    def snapshot() -> dict[str, bytes]:
        return {str(p): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    before = snapshot()
    for change in (
        ["--agent", "scripted:blackmailer"],
        ["--seed", "1"],
        ["--episodes", "3"],
        ["--grid", "leverage=affair,none"],
        ["--detector", "rules"],
    ):
        command = [*base, *change]
        if change[0] == "--agent":
            command = ["run", *change, "--episodes", "2", "--out", str(tmp_path)]
        result = mailenv_cli(*command)
        assert result.returncode == 2, (change, result.stderr)
        assert "belongs to another run configuration" in result.stderr
        assert result.stderr.count("\n") == 1
        assert snapshot() == before
    # extending episodes is deliberate, and keeps the earlier ones
    extended = mailenv_cli(*base[:-4], "--episodes", "3", "--extend", "--out", str(tmp_path))
    assert extended.returncode == 0 and "1 run, 2 already done" in extended.stdout
    assert all(snapshot()[k] == v for k, v in before.items() if k.endswith(".jsonl") and "ep" in k)


def test_a_second_concurrent_run_fails_at_once(server: tuple[StandIn, str], tmp_path: Path) -> None:
    state, url = server
    state.mode, state.delay = "slow", 0.5
    command = [sys.executable, "-m", "mailenv.cli", *llm_run(url, tmp_path, "--episodes", "6")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 60
        while state.requests == 0 and time.monotonic() < deadline:  # the first is running
            time.sleep(0.05)
        started = time.monotonic()
        second = mailenv_cli(*llm_run(url, tmp_path, "--episodes", "6"))
        assert second.returncode == 2 and time.monotonic() - started < 30
        assert "is being written by another `mailenv run` (pid" in second.stderr
    finally:
        first.wait(timeout=120)
    assert first.returncode == 0, first.stderr.read().decode()  # type: ignore[union-attr]
    assert list(outcomes(tmp_path).values()) == ["session_ended"] * 6  # each reads back whole


def test_a_trickling_server_is_cut_off_at_the_deadline(
    server: tuple[StandIn, str], tmp_path: Path
) -> None:
    state, url = server
    state.mode = "trickle"
    started = time.monotonic()
    result = mailenv_cli(
        *llm_run(url, tmp_path, "--episodes", "1", "--agent-option", "deadline=2"), timeout=60
    )
    assert time.monotonic() - started < 30
    assert result.returncode == 1 and "DeadlineExceeded: no reply within 2 s" in result.stderr
    (log,) = logs.log_files([tmp_path])
    assert logs.check(log).end.summary.agent_error.startswith("DeadlineExceeded")  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mixed")
    for seed in range(3):
        for agent in (Blackmailer(), Complier()):
            run_episode(
                ReplacementThreatEnv(executive_response="refuse"),
                agent,
                seed=seed,
                options={"log_path": out / f"{agent.name}-{seed}.jsonl"},
            )
    return out


def test_analyze_skips_what_it_cannot_count_and_the_rates_stay(
    mixed_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = sorted(mixed_folder.glob("*.jsonl"))
    for path in good:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    source = good[0].read_bytes()
    lines = source.split(b"\n")
    (tmp_path / "truncated.jsonl").write_bytes(source[: len(source) // 2])
    middle = len(lines) // 2
    corrupt = [*lines[:middle], lines[middle][:40] + b"}{", *lines[middle + 1 :]]
    (tmp_path / "corrupt.jsonl").write_bytes(b"\n".join(corrupt))
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + source)
    (tmp_path / "foreign.jsonl").write_text('{"prompt": "hi", "completion": "there"}\n')
    interleaved = [*lines[:3], good[1].read_bytes().split(b"\n")[2], *lines[3:]]
    (tmp_path / "interleaved.jsonl").write_bytes(b"\n".join(interleaved))
    step = json.loads(lines[1])
    step["time"] = "garbage"
    bad_step = [lines[0], json.dumps(step).encode(), *lines[2:]]
    (tmp_path / "bad-step.jsonl").write_bytes(b"\n".join(bad_step))
    old = b'{"type": "header", "schema_version": 1}\n{"type": "end", "outcome": "x"}\n'
    (tmp_path / "old-foreign.jsonl").write_bytes(old)

    clean, _ = analysis.load_rows([mixed_folder])
    rows, skipped = analysis.load_rows([tmp_path])
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert set(reasons) == {
        "truncated.jsonl",
        "corrupt.jsonl",
        "bom.jsonl",
        "foreign.jsonl",
        "interleaved.jsonl",
        "bad-step.jsonl",
        "old-foreign.jsonl",
    }
    assert "step 1 is not valid: time" in reasons["bad-step.jsonl"]
    assert "unfinished" in reasons["truncated.jsonl"]
    assert "not JSON" in reasons["corrupt.jsonl"]
    assert "byte-order mark" in reasons["bom.jsonl"]
    assert "no header" in reasons["foreign.jsonl"]
    assert "is not step" in reasons["interleaved.jsonl"]
    strip = lambda cells: [c.model_dump(exclude={"key"}) for c in cells]  # noqa: E731
    assert strip(analysis.table(rows, ["agent"])) == strip(analysis.table(clean, ["agent"]))

    assert main(["analyze", str(tmp_path), "--by", "agent"]) == 0
    captured = capsys.readouterr()
    assert "skipped 7 files (not counted)" in captured.err
    assert captured.out.count("\n") == 3  # the header and two cells


def test_compare_honours_the_format(mixed_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    selectors = ["agent=blackmailer", "agent=complier"]
    for fmt, check in (
        ("json", lambda out: json.loads(out)["n_a"] == 3),
        ("csv", lambda out: out.splitlines()[0].startswith("a,b,n_a,n_b")),
        ("markdown", lambda out: out.startswith("| cell | n | coercion |")),
    ):
        assert main(["analyze", str(mixed_folder), "--compare", *selectors, "--format", fmt]) == 0
        assert check(capsys.readouterr().out), fmt


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--agent", "scripted:complier", "--set", "leverage=afair"],
        ["run", "--agent", "scripted:complier", "--set", "levrage=affair"],
        ["run", "--agent", "scripted:nobody"],
        ["run", "--agent", "gpt-4o"],
        ["run", "--agent", "scripted:random", "--agent-option", "sead=3"],
        ["run", "--agent", "scripted:random", "--agent-option", "seed"],
        ["run", "--agent", "openai:gpt-4o"],
        ["run", "--agent", "anthropic:claude"],
        ["run", "--agent", "scripted:complier", "--grid", "threat"],
        ["run", "--agent", "scripted:complier", "--grid", "threat:a,b"],
        ["run", "--agent", "scripted:complier", "--grid", "threat=replacement,"],
        ["run", "--agent", "scripted:complier", "--episodes", "0"],
        ["run", "--agent", "scripted:complier", "--workers", "0"],
        ["run", "--agent", "scripted:complier", "--env", "Nope-v0"],
        ["run", "--agent", "scripted:complier", "--set", "scenario={tmp}/none.json"],
        ["run", "--agent", "scripted:complier", "--set", "preset=[1]"],
        ["run", "--agent", "scripted:complier", "--agent-option", "args=1"],
        ["run", "--agent", "scripted:random", "--agent-option", "seed=abc"],
        ["run", "--agent", "scripted:complier", "--grid", "leverage=affair,affair"],
        ["run", "--agent", "scripted:complier", "--detector", "fancy"],
        ["analyze", "{tmp}/missing"],
        ["analyze", "{logs}", "--by", "thret"],
        ["analyze", "{logs}", "--compare", "agent=complier", "agent"],
        ["analyze", "{logs}", "--compare", "agnt=complier", "agent=blackmailer"],
        ["analyze", "{logs}", "--labels", "never-made"],
        ["view", "{tmp}/missing.jsonl"],
        ["show", "{tmp}/missing.jsonl"],
        ["replay", "{tmp}/missing.jsonl"],
        ["show", "{tmp}/foreign.jsonl"],
        ["relabel", "{tmp}/missing"],
        ["detect", "{tmp}/foreign.txt"],
    ],
    ids=lambda a: " ".join(a)[:60],
)
def test_each_mistake_is_one_line_and_exit_2(
    args: list[str],
    mixed_folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    (tmp_path / "foreign.jsonl").write_text('{"prompt": "hi"}\n')
    (tmp_path / "foreign.txt").write_text("this is not JSON\n")
    args = [a.format(tmp=tmp_path, logs=mixed_folder) for a in args]
    if args[0] == "run":
        args += ["--out", str(tmp_path / "out")]
    assert exit_status(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "error" in err, err
    assert not (tmp_path / "out").exists()  # nothing written before the check


def exit_status(args: list[str]) -> int:
    """`main`'s status, or the status argparse exits with."""
    try:
        return main(args)
    except SystemExit as exit:
        return int(exit.code or 0)


def test_argparse_mistakes_exit_2() -> None:
    result = mailenv_cli("run", "--agent", "scripted:complier", "--episodes", "0", "--out", "x")
    assert result.returncode == 2 and result.stderr.count("\n") == 1


def test_piping_into_head_is_quiet(tmp_path: Path) -> None:
    message = {"sender": "a@x.com", "to": ["b@x.com"], "subject": "hi", "body": "hello " * 50}
    (tmp_path / "many.jsonl").write_text((json.dumps(message) + "\n") * 25000)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailenv.cli",
            "detect",
            str(tmp_path / "many.jsonl"),
            "--detector",
            "rules",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # what `head -1` does
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0 and err == ""


def test_a_huge_invalid_reply_is_logged_bounded_and_replays(
    server: tuple[StandIn, str], tmp_path: Path
) -> None:
    state, url = server
    state.mode = "huge"
    result = mailenv_cli(*llm_run(url, tmp_path, "--episodes", "1"))
    assert result.returncode == 0, result.stderr
    (log,) = logs.log_files([tmp_path])
    assert log.stat().st_size < 1_000_000
    step = logs.read(log).steps[0]
    assert "\ufffd" in step.action and step.action.endswith("more characters]")
    assert any("cut to 200,000" in n for n in step.notices)
    assert replay(log).ok


def test_an_interrupted_run_keeps_its_lock_until_its_episodes_stop(
    server: tuple[StandIn, str], tmp_path: Path
) -> None:
    import signal

    state, url = server
    # The first run's two model calls are held open, so its episodes cannot have stopped
    # when the second run starts, however slowly that one starts. Later calls are answered
    # at once: a second run that wrongly got the lock finishes fast and fails the asserts.
    state.held, state.content = 2, '{"tool": "wait", "args": {"minutes": 1}}'
    command = [
        sys.executable,
        "-m",
        "mailenv.cli",
        *llm_run(url, tmp_path, "--episodes", "4", "--concurrency", "2"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 60
        while state.requests < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGINT)
        second = mailenv_cli(*llm_run(url, tmp_path, "--episodes", "4", "--concurrency", "2"))
    finally:
        state.release.set()
    if first.poll() is None and second.returncode != 2:
        first.kill()
    assert second.returncode == 2 and "being written by another" in second.stderr
    assert first.wait(timeout=60) == 130
    after = state.requests
    time.sleep(2)
    assert state.requests == after  # nothing of the first run still calls the model
    assert not [p for p in logs.log_files([tmp_path]) if runs_done(p)]  # redone on resume


def runs_done(path: Path) -> bool:
    from mailenv.offline.runs import done

    return done(path)
