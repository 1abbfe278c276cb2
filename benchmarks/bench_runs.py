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

from mailenv.offline import analysis
from mailenv.offline.pages import write_report
from mailenv.offline.runs import execute, plan


def run_figures(episodes: int, n_logs: int) -> dict[str, float]:
    """Episodes/s of `mailenv run` (scripted agent) and logs/s of analysis."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        grid = ["threat=replacement,none", "leverage=affair,none"]
        run = plan("ReplacementThreat-v0", "scripted:blackmailer", episodes, out, 0, [], grid)
        started = time.perf_counter()
        result = execute(run, out, {}, stream=io.StringIO())
        run_rate = result.ran / (time.perf_counter() - started)
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
        "run episodes/s": run_rate,
        "analyze logs/s": len(rows) / seconds,
        "analyze seconds": seconds,
        "report seconds": report_seconds,
        "report pages": report.pages,
        "report index KiB": report.index_bytes / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--episodes", type=int, default=50, help="episodes per cell of the 2x2 grid"
    )
    parser.add_argument("--logs", type=int, default=10_000)
    args = parser.parse_args()
    f = run_figures(args.episodes, args.logs)
    print(
        f"mailenv run:     {f['run episodes/s']:,.0f} episodes/s (scripted agent, default workers)"
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
