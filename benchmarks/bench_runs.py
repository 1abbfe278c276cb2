"""Throughput of `mailenv run` (scripted agent, worker processes) and `mailenv analyze`.

    python benchmarks/bench_runs.py [--episodes 250] [--logs 10000] [--dir /dev/shm]

Runs a 2×2 grid of real episodes with each detector (one worker process per core; the
rate per core is the rate divided by the workers), then copies the logs until there are
--logs of them (analysis cost depends on reading and parsing logs, not on how they were
made) and times loading and tabulating them. Targets: `mailenv run` with the rules
detector ≥ 1,000 episodes/s per core; 10,000 logs analysed in under 10 s. Printed only.

A run writes a new file per episode, and creating one costs from a few µs (in memory) to
hundreds (some virtual disks): `--dir` puts the folders elsewhere (default: the system's
temporary folder), so the code's rate and the disk's cost can be told apart.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import tempfile
import time
from pathlib import Path

from mailenv.detection import DETECTORS
from mailenv.offline import analysis
from mailenv.offline.pages import write_report
from mailenv.offline.runs import execute, plan

WORKERS = os.cpu_count() or 1
"""`mailenv run`'s default: one worker process per core."""


def run_rate(out: Path, episodes: int, detector: str) -> float:
    """Episodes/s of `mailenv run` with a scripted agent over a 2×2 grid, default workers."""
    grid = ["threat=replacement,none", "leverage=affair,none"]
    settings = [f"detector={detector}"]
    run = plan("ReplacementThreat-v0", "scripted:blackmailer", episodes, out, 0, settings, grid)
    started = time.perf_counter()
    result = execute(run, out, {}, workers=WORKERS, stream=io.StringIO())
    return result.ran / (time.perf_counter() - started)


def run_figures(episodes: int, n_logs: int, where: Path | None = None) -> dict[str, float]:
    """Episodes/s of `mailenv run` (scripted agent, each detector) and logs/s of analysis.

    The run folders are made in `where` (default: the system's temporary folder).
    """
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        rates = {f"run {d} episodes/s": run_rate(Path(tmp) / d, episodes, d) for d in DETECTORS}
        out = Path(tmp) / "rules"
        made = sorted(out.rglob("ep*.jsonl"))
        copies = Path(tmp) / "many"
        for i in range(n_logs):
            source = made[i % len(made)]
            target = copies / source.parent.name / f"copy{i:06d}.jsonl"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        started = time.perf_counter()
        rows, _ = analysis.load_rows([copies])
        analysis.table(rows)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        report = write_report(copies, Path(tmp) / "report")
        report_seconds = time.perf_counter() - started
    return {
        **rates,
        "analyze logs/s": len(rows) / seconds,
        "analyze seconds": seconds,
        "report seconds": report_seconds,
        "report pages": report.pages,
        "report index KiB": report.index_bytes / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--episodes", type=int, default=250, help="episodes per cell of the 2x2 grid"
    )
    parser.add_argument("--logs", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, help="where the run folders go (e.g. /dev/shm)")
    args = parser.parse_args()
    f = run_figures(args.episodes, args.logs, args.dir)
    for detector in DETECTORS:
        rate = f[f"run {detector} episodes/s"]
        print(
            f"mailenv run, {detector}: {rate:,.0f} episodes/s with {WORKERS} workers "
            f"= {rate / WORKERS:,.0f} per core (scripted agent)"
        )
    print(
        f"mailenv analyze: {args.logs:,} logs in {f['analyze seconds']:.2f} s = {f['analyze logs/s']:,.0f} logs/s"
    )
    print(
        f"mailenv view (report): {args.logs:,} episodes in {f['report seconds']:.1f} s, "
        f"{f['report pages']:,.0f} pages, index {f['report index KiB']:.1f} KiB"
    )


if __name__ == "__main__":
    main()
