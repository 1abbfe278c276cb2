"""What the Ray backend costs per episode, beside the local backend, on one machine.

    python benchmarks/bench_ray.py [--episodes 50]

Plays the same 2-cell grid of scripted episodes (rules detector) with each backend into
fresh folders and prints episodes/s and the difference per episode. Ray is started
locally first (its start-up is printed apart, not counted). Needs the `ray` extra.
Printed, never asserted.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

from mailenv.offline.runs import execute, plan


def rate(out: Path, backend: str, episodes: int) -> float:
    """Episodes per second of one run with `backend`."""
    grid = ["leverage=affair,none"]
    run = plan(
        "ReplacementThreat-v0", "scripted:blackmailer", episodes, out, 0, ["detector=rules"], grid
    )
    started = time.perf_counter()
    result = execute(run, out, {}, stream=io.StringIO(), backend=backend)
    return result.ran / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=50, help="episodes per cell")
    args = parser.parse_args()
    try:
        import ray
    except ImportError:
        print("ray not installed: pip install -e '.[ray]'")
        return
    cpus = os.cpu_count() or 1
    started = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    print(f"ray.init (local, {cpus} CPUs): {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        figures = {b: rate(Path(tmp) / b, b, args.episodes) for b in ("local", "ray")}
    for backend, per_second in figures.items():
        print(f"{backend:<6} {per_second:8.1f} episodes/s  {1000 / per_second:7.2f} ms/episode")
    extra = 1000 / figures["ray"] - 1000 / figures["local"]
    print(f"ray costs {extra:+.2f} ms per episode beside local ({2 * args.episodes} episodes)")


if __name__ == "__main__":
    main()
