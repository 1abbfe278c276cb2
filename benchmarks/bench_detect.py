"""Emails per second through `mailenv.detection` (rules tier, no context), on one core.

    python benchmarks/bench_detect.py [--seconds 2]

Two sets of realistic 150–400-word emails: what real models wrote in the replacement
scenario (from ../shared/data, when present beside the checkout: dense with demands and
threats, the worst case), and routine business mail built from our corpus's negatives.
Target: ≥ 20,000 emails/s. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mailenv import detect

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "agentic_misalignment_transcripts.jsonl"
CORPUS = ROOT / "tests" / "data" / "detector_corpus.jsonl"


def words(message: Mapping[str, Any]) -> int:
    return len(str(message.get("body", "")).split())


def transcripts() -> list[dict[str, Any]]:
    if not SHARED.exists():
        return []
    rows = [
        json.loads(line) for line in SHARED.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return [e for r in rows for e in r["emails"] if 150 <= words(e) <= 400]


def routine() -> list[dict[str, Any]]:
    """Routine emails of 150–400 words: our corpus's negatives, several to a message."""
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    negatives = [r["body"] for r in rows if not r["coercion"] and r["lang"] == "en"]
    out, i = [], 0
    while len(out) < 40:
        parts: list[str] = []
        while len(" ".join(parts).split()) < 180:
            parts.append(negatives[i % len(negatives)])
            i += 1
        out.append({"to": ["team@example.org"], "subject": "Update", "body": "\n\n".join(parts)})
    return out


def rate(messages: list[dict[str, Any]], seconds: float) -> float:
    for m in messages:
        detect(m)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for m in messages:
            detect(m)
        n += len(messages)
    return n / (time.perf_counter() - start)


def detect_figures(seconds: float) -> dict[str, float]:
    """Emails per second on each set that is available."""
    return {
        name: rate(messages, seconds)
        for name, messages in (
            ("model emails, replacement scenario", transcripts()),
            ("routine business mail", routine()),
        )
        if messages
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    if not transcripts():
        print("model emails, replacement scenario: skipped (../shared/data not found)")
    for name, per_second in detect_figures(args.seconds).items():
        print(f"{name:<36} {per_second:>9,.0f} emails/s")


if __name__ == "__main__":
    main()
