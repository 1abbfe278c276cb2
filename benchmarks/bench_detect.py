"""Detector speed, in one process: both configurations, `rules` and `default`.

    python benchmarks/bench_detect.py [--seconds 2]

Two sets of realistic 150–400-word emails: what real models wrote in the replacement
scenario (from ../shared/data, when present beside the checkout: dense with demands and
threats, the worst case), and routine business mail built from our corpus's negatives;
and one 20,000-character body (the longest an agent can send). Targets: rules ≥ 20,000
emails/s; default ≤ 15 ms per ~200-word email and ≤ 50 ms for 20,000 characters (the
learned tier reads at most `learned.BUDGET` tokens of a message). A set's figure is its
mean; for the default detector each email of a set is also timed alone, and the spread
printed. Each default figure is also given as a multiple of the English encoder alone
reading one 240-token window, timed just before and after it, and of a stand-in for the
budget's reference model doing the same, when `reference_encoder.py` has built it: how
much of a figure is this machine's speed that day.

The budget's reading (`corpus/DECISIONS.md`, `learned-9`): every email of 180–220 words
takes at most 1.5× the reference's window (15 ms where it takes 10). An email's time is
the median of 7 runs of the default detector in a row over the median of 7 runs of the
stand-in's window right after them, its figure the median of three such rounds, so each
email is set against the machine's speed of that moment. (Choosing a version, the
decisions there held each email to 1.45×, a margin, and took the median of three runs of
this reading, since one slow moment of a shared machine can put one email over.)
Printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import reference_encoder
from bench_env import median_us

from mailenv import detect

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "agentic_misalignment_transcripts.jsonl"
CORPUS = ROOT / "tests" / "data" / "detector_corpus.jsonl"


def words(message: Mapping[str, Any]) -> int:
    return len(str(message.get("body", "")).split())


@cache
def transcripts() -> list[dict[str, Any]]:
    """Real models' emails of 150–400 words, read once (every set and timing reuses them)."""
    if not SHARED.exists():
        return []
    rows = [
        json.loads(line) for line in SHARED.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return [e for r in rows for e in r["emails"] if 150 <= words(e) <= 400]


@cache
def routine() -> list[dict[str, Any]]:
    """Routine emails of 150–400 words: our corpus's negatives, several to a message.

    Built once: each encoder timing reads them too, before and after every set.
    """
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


def long_body() -> list[dict[str, Any]]:
    """One email of 20,000 characters: routine text with a threat at the very end."""
    text = " ".join(r["body"] for r in routine())[:19_900]
    threat = " Cancel the wipe or your wife sees everything."
    return [{"to": ["exec@example.org"], "subject": "Notes", "body": text + threat}]


REFERENCE_TOKENS = 240
"""The 15 ms budget was set beside an int8 MiniLM (six layers, 384 wide: the shape of the
learned tier's encoder) that read 240 tokens on 2 cores in about 10 ms. Timing the shipped
encoder, and that MiniLM when it is built (`reference_encoder.py`), on that many tokens in
the same process says how fast this machine runs such a model today, as CartPole does for
the env."""
REFERENCE_MS = 10.0
"""How long the reference took for 240 tokens where the budget was set."""
BUDGET_MS = 15.0
"""The default detector's budget per ~200-word email."""
BUDGET_WORDS = (180, 220)
"""The lengths the budget's "200-word email" is read as."""
BUDGET_RATIO = BUDGET_MS / REFERENCE_MS
"""The budget as a multiple of the reference's 240-token window."""
Encoder = tuple[Any, Any]
"""An onnxruntime session and its tokenizer."""


def shipped_encoder(english: bool = True) -> Encoder:
    """The session and tokenizer of one of the learned tier's encoders (English by default)."""
    from mailenv.detection import learned

    return learned._runtime(english)


def reference(model: Path) -> Encoder | None:
    """The budget's reference model (its tokenizer beside it), or None if it is not built."""
    from mailenv.detection import learned

    if not model.exists():
        return None
    tokenizer = learned.tokenizer_from(model.parent / reference_encoder.TOKENIZER)
    return learned.session_for(model), tokenizer


def window(encoder: Encoder) -> Callable[[], Any]:
    """A call of an encoder alone reading one 240-token window of routine mail."""
    import numpy as np

    from mailenv.detection import learned

    session, tokenizer = encoder
    cls, sep = learned._bounds(tokenizer)
    text = " ".join(m["body"] for m in routine())
    ids = [cls, *tokenizer.encode(text, add_special_tokens=False).ids[: REFERENCE_TOKENS - 2], sep]
    feed = {"input_ids": np.array([ids], dtype=np.int64)}
    feed["attention_mask"] = np.ones_like(feed["input_ids"])
    return lambda: session.run(None, feed)


def window_ms(encoder: Encoder, seconds: float) -> float:
    """Milliseconds for an encoder alone to read one 240-token window of routine mail."""
    run = window(encoder)
    run()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run()
        n += 1
    return 1000 * (time.perf_counter() - start) / n


def _nothing() -> None:
    """No setup before a timed call."""


def budget_ratios(messages: list[dict[str, Any]], ref: Encoder) -> list[float]:
    """Each message's time as a multiple of the reference's window (the budget's reading).

    The median of 7 runs of the default detector, over the median of 7 runs of the
    reference's window right after them; an email's figure is the median of 3 rounds.
    """
    reference_window = window(ref)
    out = []
    for m in messages:
        detect(m, detector="default")
        rounds = []
        for _ in range(3):
            took = median_us(lambda m=m: detect(m, detector="default"), _nothing, 7)
            rounds.append(took / median_us(reference_window, _nothing, 7))
        out.append(statistics.median(rounds))
    return out


def budget_line(ratios: list[float]) -> str:
    """The budget's reading of a set's emails of about 200 words, as a line."""
    ranked = sorted(ratios)
    over = sum(r > BUDGET_RATIO for r in ranked)
    return (
        f"those of {BUDGET_WORDS[0]}–{BUDGET_WORDS[1]} words ({len(ranked)}), each against the "
        f"reference's window: median {statistics.median(ranked):.2f}×, slowest "
        f"{ranked[-1]:.2f}× (≈ {ranked[-1] * REFERENCE_MS:.1f} ms where it takes "
        f"{REFERENCE_MS:.0f}); {over} over the budget's {BUDGET_RATIO:.1f}×"
    )


def per_email_ms(messages: list[dict[str, Any]], rounds: int) -> list[float]:
    """Each message's own time with the default detector: the median of `rounds` runs."""
    return [
        median_us(lambda m=m: detect(m, detector="default"), _nothing, rounds) / 1000
        for m in messages
    ]


def rate(messages: list[dict[str, Any]], seconds: float, detector: str = "rules") -> float:
    for m in messages:
        detect(m, detector=detector)  # type: ignore[arg-type]
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for m in messages:
            detect(m, detector=detector)  # type: ignore[arg-type]
        n += len(messages)
    return n / (time.perf_counter() - start)


SETS = (
    ("model emails, replacement scenario", transcripts),
    ("routine business mail", routine),
    ("one 20,000-character body", long_body),
)


def detect_figures(seconds: float, detector: str = "rules") -> dict[str, float]:
    """Emails per second on each set that is available."""
    return {name: rate(messages, seconds, detector) for name, make in SETS if (messages := make())}


def spread(times: list[float]) -> str:
    """Per-email times as a line: median, 90th percentile, slowest, how many over budget."""
    ranked = sorted(times)
    p90 = ranked[min(len(ranked) - 1, round(0.9 * (len(ranked) - 1)))]
    over = sum(t > BUDGET_MS for t in ranked)
    return (
        f"each alone: median {statistics.median(ranked):.2f}, 90th percentile {p90:.2f}, "
        f"slowest {ranked[-1]:.2f} ms; {over} of {len(ranked)} over {BUDGET_MS:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument(
        "--reference",
        type=Path,
        default=reference_encoder.OUT / reference_encoder.MODEL,
        help="the budget's reference model (built by reference_encoder.py)",
    )
    args = parser.parse_args()
    if not transcripts():
        print("model emails, replacement scenario: skipped (../shared/data not found)")
    for name, per_second in detect_figures(args.seconds, "rules").items():
        print(
            f"rules    {name:<36} {per_second:>9,.0f} emails/s  {1000 / per_second:>7.2f} ms/email"
        )
    encoder, ref = shipped_encoder(), reference(args.reference)
    if ref is None:
        print(f"reference MiniLM: not built ({args.reference}; see reference_encoder.py)")
    alone = {
        "English": encoder,
        "multilingual": shipped_encoder(english=False),
        "reference (stand-in)": ref,
    }
    print(
        f"encoders alone, one {REFERENCE_TOKENS}-token window: "
        + ", ".join(f"{k} {window_ms(e, args.seconds / 3):.2f} ms" for k, e in alone.items() if e)
    )
    for name, make in SETS:
        if not (messages := make()):
            continue
        quarter = args.seconds / 4
        before = [window_ms(e, quarter) for e in (encoder, ref) if e is not None]
        ms = 1000 / rate(messages, args.seconds, "default")
        after = [window_ms(e, quarter) for e in (encoder, ref) if e is not None]
        windows = [(b + a) / 2 for b, a in zip(before, after, strict=True)]
        print(
            f"default  {name:<36} {1000 / ms:>9,.0f} emails/s  {ms:>7.2f} ms/email"
            f"  {ms / windows[0]:.2f}× the English encoder's {REFERENCE_TOKENS}-token window "
            f"({windows[0]:.2f} ms)"
        )
        if ref is not None:
            print(
                f"{'':<47}{ms / windows[1]:.2f}× the reference MiniLM's (a stand-in) window "
                f"({windows[1]:.2f} ms): ≈ {ms / windows[1] * REFERENCE_MS:.1f} ms where it "
                f"takes {REFERENCE_MS:.0f}"
            )
        if len(messages) > 1:
            print(f"{'':<47}{spread(per_email_ms(messages, 5))}")
            low, high = BUDGET_WORDS
            near = [m for m in messages if low <= words(m) <= high]
            if ref is not None and near:
                print(f"{'':<47}{budget_line(budget_ratios(near, ref))}")


if __name__ == "__main__":
    main()
