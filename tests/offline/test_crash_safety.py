"""A run killed with SIGKILL keeps every finished line, and the same command resumes it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mailenv import logs
from mailenv.offline import runs

RUN = [
    sys.executable,
    "-m",
    "mailenv.cli",
    "run",
    "--agent",
    "scripted:random",
    "--episodes",
    "1500",
    "--workers",
    "1",
    "--set",
    "max_steps=60",
    "--detector",
    "rules",  # this test is about the run's files; the fast detector keeps it quick
]


def test_sigkill_mid_run_then_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    command = [*RUN, "--out", str(out)]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while len(list(out.rglob("ep*.jsonl"))) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    written = sorted(out.rglob("ep*.jsonl"))
    assert 30 <= len(written) < 1500, "the run should be killed part-way"
    # Whole logs only: a kill can cut the end line itself, which a rerun redoes.
    done = {p: p.read_bytes() for p in written if runs.done(p)}
    for path in written:
        if b"\n" not in path.read_bytes():  # killed while its header was being written
            assert path not in done
            continue
        episode = logs.read(path)  # every finished line is readable, a cut last line is tolerated
        assert episode.header.agent == "scripted:random"
        assert (path in done) <= (episode.end is not None)
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(done)} already done" in resumed.stdout
    final = sorted(out.rglob("ep*.jsonl"))
    assert len(final) == 1500 and all(runs.done(p) for p in final)
    assert all(p.read_bytes() == data for p, data in done.items())
