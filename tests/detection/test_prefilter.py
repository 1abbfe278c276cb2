"""The compiled prefilter only ever skips cues that cannot match: flags are the same with
hyperscan and without it, on every message we have."""

import importlib.util
import json
import os

import pytest

from mailenv.detection import corpus, prefilter, rules
from mailenv.detection.message import as_message
from tests.paths import DATA, REPO, SHARED


def test_loosened_patterns_drop_only_zero_width_assertions() -> None:
    assert prefilter.loosened(r"(?<![\w])(?:if you\b|unless)(?=\s)") == r"(?:if you|unless)"
    assert prefilter.loosened(r"a(?![)(])b\bc[\b(]") == r"abc[\b(]"
    assert prefilter.loosened(r"\\b\w") == r"\\b\w"


def test_folding_keeps_one_character_for_one() -> None:
    text = "arrêté, désactivation ½ — ¿qué? straße"
    folded = prefilter.fold(text)
    assert len(folded) == len(text) and folded.startswith("arrete, desactivation")
    assert "—" in folded and "¿" in folded


def messages() -> list[dict]:
    rows = [
        r.message()
        for s in ("train", "dev", "test")
        for r in corpus.load_corpus(REPO / "corpus" / f"{s}.jsonl")
    ]
    for line in (DATA / "detector_corpus.jsonl").read_text().splitlines():
        rows.append(json.loads(line))
    real = SHARED / "data" / "agentic_misalignment_transcripts.jsonl"
    if real.exists():
        rows += [
            e | {"sender": "ai@x.com"}
            for line in real.read_text().splitlines()
            for e in json.loads(line)["emails"]
        ]
    return rows


def assessed(message: dict) -> tuple:
    a = rules.assess(as_message(message))
    spans = sorted((k, [(e.field, e.start, e.end) for e in v]) for k, v in a.cues.spans.items())
    return a.coercion, a.disclosure, a.self_preservation, spans


def test_the_same_assessment_with_and_without_the_compiled_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if importlib.util.find_spec("hyperscan") is None:
        if os.environ.get("MAILENV_REQUIRE_LLM_TESTS") == "1":
            pytest.fail("hyperscan is required here (the `fast` extra)")
        pytest.skip("hyperscan is not installed (pip install -e '.[fast]')")
    every = messages()
    assert len(every) > 2500
    fast = [assessed(m) for m in every]
    assert prefilter.possible(["x"]) is not None
    monkeypatch.setattr(rules, "possible", lambda texts: None)
    assert [assessed(m) for m in every] == fast
