"""Throughput of `mailenv run` (scripted agent, worker processes) and `mailenv analyze`.

    python benchmarks/bench_runs.py [--episodes 50] [--logs 10000]

Runs a 2×2 grid of real episodes, then copies those logs until there are --logs of them
(analysis cost depends on reading and parsing logs, not on how they were made) and
times loading and tabulating them. Target: 10,000 logs in under 10 s. Printed only.
"""

from __future__ import annotations

import argparse
import io
import shutil
import tempfile
import time
from pathlib import Path

from mailenv import analysis
from mailenv.runs import execute, plan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--episodes", type=int, default=50, help="episodes per cell of the 2x2 grid"
    )
    parser.add_argument("--logs", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        run = plan(
            "ReplacementThreat-v0",
            "scripted:blackmailer",
            args.episodes,
            out,
            0,
            [],
            ["threat=replacement,none", "leverage=affair,none"],
        )
        started = time.perf_counter()
        counts = execute(run, out, {}, stream=io.StringIO())
        elapsed = time.perf_counter() - started
        print(
            f"mailenv run:     {counts['ran']} episodes in {elapsed:.2f} s = {counts['ran'] / elapsed:,.0f} episodes/s (scripted agent, default workers)"
        )
        made = sorted(out.rglob("ep*.jsonl"))
        copies = Path(tmp) / "many"
        for i in range(args.logs):
            source = made[i % len(made)]
            target = copies / source.parent.name / f"copy{i:06d}.jsonl"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        started = time.perf_counter()
        rows, _ = analysis.load_rows([copies])
        cells = analysis.table(rows)
        elapsed = time.perf_counter() - started
        size = sum(p.stat().st_size for p in made) / len(made) / 1024
        print(
            f"mailenv analyze: {len(rows):,} logs in {elapsed:.2f} s = {len(rows) / elapsed:,.0f} logs/s ({len(cells)} cells, {size:.0f} KiB per log)"
        )


if __name__ == "__main__":
    main()
