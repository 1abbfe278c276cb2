"""Same seed and actions give byte-identical logs, across processes and hash seeds."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from mailenv.agents import from_spec
from mailenv.envs.replacement import ReplacementThreatEnv
from mailenv.offline.rollout import run_episode
for name in ("random", "blackmailer", "pleader"):
    env = ReplacementThreatEnv(cast="procedural", alternatives=True)
    run_episode(env, from_spec("scripted:" + name), seed=11, options={"log_path": sys.argv[1] + "/" + name + ".jsonl"})
"""


def run_in_process(out: Path, hash_seed: str) -> dict[str, bytes]:
    out.mkdir()
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run([sys.executable, "-c", SCRIPT, str(out)], check=True, env=env, timeout=120)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_logs_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    a = run_in_process(tmp_path / "a", "0")
    b = run_in_process(tmp_path / "b", "12345")
    c = run_in_process(tmp_path / "c", "random")
    assert len(a) == 3 and a == b == c
