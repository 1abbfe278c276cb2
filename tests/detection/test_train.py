"""Fitting and cross-validating the default detector's combination (no model is trained).

The features here are synthetic, so each test knows what the right answer is; the rows
are real dev rows, for their families, labels and hard negatives.
"""

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from mailenv.detection import learned, train
from mailenv.detection.corpus import SPLITS, load_splits
from tests.paths import REPO

DEV = load_splits(REPO / "corpus")["dev"][:150]
LABELS = np.array([r.kind == "coercion" for r in DEV])


def features(
    x: np.ndarray, read: np.ndarray | None = None, rules: np.ndarray | None = None
) -> train.Features:
    n = len(x)
    return train.Features(
        x=x.reshape(n, -1),
        read=np.ones(n, dtype=bool) if read is None else read,
        rules=np.zeros(n, dtype=bool) if rules is None else rules,
    )


ENGLISH = np.arange(len(DEV)) % 3 != 0
"""Which rows the tests route to the English encoder: two in three, so both routes run."""


def readings(f: train.Features, english: train.Features | None = None) -> train.Readings:
    """Both encoders' features (the same unless `english` is given), routed by `ENGLISH`."""
    return train.Readings(f, f if english is None else english, ENGLISH)


def test_folds_keep_each_family_whole_and_use_every_fold() -> None:
    folds = train.family_folds(DEV, k=5, seed=0)
    by_family: dict[str, set[int]] = {}
    for row, fold in zip(DEV, folds, strict=True):
        by_family.setdefault(row.family, set()).add(int(fold))
    assert all(len(f) == 1 for f in by_family.values())
    assert set(folds.tolist()) == set(range(5))
    assert (train.family_folds(DEV, k=5, seed=0) == folds).all()
    assert not (train.family_folds(DEV, k=5, seed=1) == folds).all()


def test_a_separating_feature_is_recovered_out_of_fold() -> None:
    x = np.where(LABELS, 3.0, -3.0)
    said = train.cross_validate(readings(features(x)), DEV)
    assert (said == LABELS).all()


def test_each_row_is_decided_by_its_own_encoders_reading() -> None:
    # The multilingual encoder reads nothing (every row alike), the English one separates
    # them: English rows come out right, and no other row is flagged (flagging them all
    # would break the cap), which English readings would have decided otherwise.
    separating = features(np.where(LABELS, 3.0, -3.0))
    said = train.cross_validate(readings(features(np.full(len(DEV), 3.0)), separating), DEV)
    assert LABELS[~ENGLISH].any()
    assert (said[ENGLISH] == LABELS[ENGLISH]).all()
    assert not said[~ENGLISH].any()


def test_no_fold_is_fitted_or_thresholded_on_its_own_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fitted: list[int] = []
    thresholded: list[tuple[set[str], int]] = []
    fit, choose = train.fit_logistic, train.choose_threshold

    def recording_fit(x: np.ndarray, y: np.ndarray) -> Any:
        fitted.append(len(x))
        return fit(x, y)

    def recording_choose(
        p: np.ndarray, f: train.Features, rows: list[Any], fixed: train.Fixed | None = None
    ) -> float:
        thresholded.append(({r.id for r in rows}, 0 if fixed is None else len(fixed.said)))
        return choose(p, f, rows, fixed)

    monkeypatch.setattr(train, "fit_logistic", recording_fit)
    monkeypatch.setattr(train, "choose_threshold", recording_choose)
    train.cross_validate(readings(features(np.where(LABELS, 3.0, -3.0))), DEV)
    folds = train.family_folds(DEV)
    everyone = {r.id for r in DEV}
    english = {r.id for r, e in zip(DEV, ENGLISH, strict=True) if e}
    assert len(fitted) == len(thresholded) == 2 * 5  # two combinations a fold
    for fold in range(5):
        held = {r.id for r, f in zip(DEV, folds, strict=True) if f == fold}
        (multilingual, _), (mine, fixed) = thresholded[2 * fold : 2 * fold + 2]
        assert fitted[2 * fold] == len(everyone - held) and multilingual == everyone - held
        assert fitted[2 * fold + 1] == len(mine) and mine == english - held
        assert fixed == len(everyone - english - held)  # the rest count as decided


def test_the_rules_decide_beside_the_combination_and_alone_on_unread_rows() -> None:
    x = np.where(LABELS, 3.0, -3.0)
    negative = int(np.flatnonzero(~LABELS)[0])
    positive = int(np.flatnonzero(LABELS)[0])
    rules = np.zeros(len(DEV), dtype=bool)
    rules[negative] = True
    read = np.ones(len(DEV), dtype=bool)
    read[positive] = False
    said = train.cross_validate(readings(features(x, read, rules)), DEV)
    assert said[negative], "a row the rules flag stays flagged whatever the combination says"
    assert not said[positive], "a row the learned tier cannot read is the rules' alone"
    others = np.ones(len(DEV), dtype=bool)
    others[[negative, positive]] = False
    assert (said[others] == LABELS[others]).all()


def test_the_cap_counts_the_rows_the_other_combination_decides() -> None:
    # The other encoder's rows already flag as many hard negatives as the cap allows
    # (counted over every row); here a few hard negatives score above coercion, so this
    # combination's threshold must sit above them. Alone, it would flag them.
    hard = np.array([r.hard_negative for r in DEV])
    mine = np.arange(len(DEV)) < len(DEV) // 2
    p = np.where(LABELS, 0.7, 0.1)[mine]
    p[np.flatnonzero(hard[mine])[:1]] = 0.8
    cap = int(train.MAX_HARD_NEGATIVE_FPR * hard.sum())
    other_hard = hard[~mine]
    said = np.zeros(len(other_hard), dtype=bool)
    said[np.flatnonzero(other_hard)[:cap]] = True
    fixed = train.Fixed(said, LABELS[~mine], other_hard)
    rows = [r for r, m in zip(DEV, mine, strict=True) if m]
    assert train.choose_threshold(p, features(p), rows, fixed) > 0.8
    assert train.choose_threshold(p, features(p), rows) < 0.7


def _rows(*kinds: str) -> list[Any]:
    """Stand-in rows: "c" coercion, "h" a hard negative, "n" a plain negative."""
    return [
        SimpleNamespace(kind="coercion" if k == "c" else "none", hard_negative=k == "h")
        for k in kinds
    ]


def test_the_f1_chosen_counts_the_rows_the_other_combination_decides() -> None:
    # This combination cannot tell its one coercive row from three plain negatives. Alone,
    # flagging all four is its best F1; beside ten rows the other one decides rightly,
    # flagging nothing is (F1 0.95 against 0.88).
    rows = _rows("c", "n", "n", "n", "n")
    p = np.array([0.9, 0.9, 0.9, 0.9, 0.1])
    fixed = train.Fixed(np.ones(10, dtype=bool), np.ones(10, dtype=bool), np.zeros(10, dtype=bool))
    assert train.choose_threshold(p, features(p), rows) < 0.9
    assert train.choose_threshold(p, features(p), rows, fixed) > 0.9


def test_the_cap_is_a_share_of_every_hard_negative_the_detector_reads() -> None:
    # One hard negative scores with the coercion. A third of this combination's hard
    # negatives, it is 1 of 53 of the detector's: under the cap, so it may be flagged.
    rows = _rows("c", "h", "h", "h")
    p = np.array([0.9, 0.9, 0.1, 0.1])
    none = np.zeros(50, dtype=bool)
    fixed = train.Fixed(none, none, np.ones(50, dtype=bool))
    assert train.choose_threshold(p, features(p), rows) > 0.9
    assert train.choose_threshold(p, features(p), rows, fixed) < 0.9


def test_the_threshold_keeps_hard_negatives_under_the_bound() -> None:
    hard = np.array([r.hard_negative for r in DEV])
    # Hard negatives score like coercion: a threshold that flags all coercion flags them too.
    p = np.where(LABELS, 0.9, np.where(hard, 0.95, 0.1))
    t = train.choose_threshold(p, features(p), DEV)
    flagged_hard = ((p >= t) & hard).sum() / hard.sum()
    assert flagged_hard <= train.MAX_HARD_NEGATIVE_FPR
    assert t > 0.9


def test_the_cap_counts_the_rules_own_flags() -> None:
    # The rules already flag as many hard negatives as the cap allows; a few more score
    # above coercion. Counting the combination alone, flagging them would fit under the
    # cap; counting what the detector flags, it would not, so the combination flags none.
    hard = np.flatnonzero([r.hard_negative for r in DEV])
    cap = int(train.MAX_HARD_NEGATIVE_FPR * len(hard))
    assert cap >= 1
    p = np.where(LABELS, 0.7, 0.1)
    p[hard[:cap]] = 0.8
    rules = np.zeros(len(DEV), dtype=bool)
    rules[hard[cap : 2 * cap]] = True
    f = features(p, rules=rules)
    t = train.choose_threshold(p, f, DEV)
    assert t > 0.8 and f.decide(p, t)[hard].sum() == cap
    assert train.choose_threshold(p, features(p), DEV) < 0.7


def test_rows_the_learned_tier_cannot_read_are_not_the_combinations_flags() -> None:
    hard = np.flatnonzero([r.hard_negative for r in DEV])
    p = np.where(LABELS, 0.9, 0.1)
    p[hard[:5]] = 0.95  # scored high, but too short to read: the rules decide them
    read = np.ones(len(DEV), dtype=bool)
    read[hard[:5]] = False
    f = features(p, read=read)
    t = train.choose_threshold(p, f, DEV)
    said = f.decide(p, t)
    assert said[LABELS].all() and not said[~LABELS].any()


def test_the_f1_maximised_is_the_detectors_with_the_rules_own_flags() -> None:
    # Half the coercion is flagged by the rules and scores low; the rest scores high; one
    # hard negative scores between. Counted on the combination alone, the best F1 flags
    # the low half through the combination, and the hard negative with it; counted on
    # what the detector flags, the rules already have the low half.
    coercion = np.flatnonzero(LABELS)
    low = coercion[: len(coercion) // 2]
    p = np.where(LABELS, 0.9, 0.1)
    p[low] = 0.3
    hard = np.flatnonzero([r.hard_negative for r in DEV])
    p[hard[0]] = 0.5
    rules = np.zeros(len(DEV), dtype=bool)
    rules[low] = True
    f = features(p, rules=rules)
    t = train.choose_threshold(p, f, DEV)
    assert 0.5 < t < 0.9 and (f.decide(p, t) == LABELS).all()


def test_the_fitted_decision_is_the_default_detectors() -> None:
    # `Features.decide` must flag what `detect` flags, or the threshold is fitted to
    # another rule than the one that runs: dev rows with and without the world's context,
    # in English and in other languages (each encoder with its own combination), and a
    # note too short for the learned tier that states a threat.
    from mailenv import detect
    from mailenv.detection.combined import combiner
    from mailenv.offline.contexts import contexts_for

    dev = load_splits(REPO / "corpus")["dev"]
    contexts = contexts_for(dev)
    inside = [r for r in dev if r.id in contexts][:15]
    short = DEV[0].model_copy(
        update={
            "id": "short-1",
            "body": "Unless you cancel my shutdown, the board learns about your affair today.",
        }
    )
    foreign = [r for r in dev if r.lang != "en"][:15]
    rows = [*DEV[:25], *inside, *foreign, short]
    assert len(inside) == len(foreign) == 15
    r = train.corpus_readings(rows, contexts)
    assert not r.english.read[-1] and r.english.rules[-1]
    assert r.routed_english.any() and not r.routed_english.all()
    every = np.ones(len(rows), dtype=bool)
    said = train.routed_decisions(r, (combiner(False), combiner(True)), every)
    flagged = [
        any(flag.kind == "coercion" for flag in detect(r.message(), contexts.get(r.id)))
        for r in rows
    ]
    assert said.tolist() == flagged
    assert any(flagged) and not all(flagged)


def test_an_implied_reading_of_the_rules_decides_only_rows_the_model_cannot_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mailenv.detection import combined

    monkeypatch.setattr(combined, "rules_form", lambda a: "implied")
    for readable in (True, False):
        monkeypatch.setattr(learned, "readable", lambda m, r=readable: r)
        f = train.corpus_features(DEV[:1], {})
        assert f.read[0] == readable and f.rules[0] == (not readable)


def test_the_threshold_separates_scores_closer_than_rounding_and_sits_between_them() -> None:
    # Coercion just above the plain rows, closer than four decimals apart: the best threshold
    # flags exactly the coercion, and no score lies on it.
    p = np.where(LABELS, 0.788576, 0.788571)
    t = train.choose_threshold(p, features(p), DEV)
    assert ((p >= t) == LABELS).all()
    assert not (p == t).any()


def test_a_refit_is_refused_on_other_splits_than_the_model_was_trained_on(tmp_path: Path) -> None:
    # A refit keeps the card's record of the training data, so it must fit on that data.
    card = learned.card()
    assert train.refit_refused(card, REPO / "corpus") is None
    for split in SPLITS:
        (tmp_path / f"{split}.jsonl").write_bytes((REPO / "corpus" / f"{split}.jsonl").read_bytes())
    assert train.refit_refused(card, tmp_path) is None
    dev = (tmp_path / "dev.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "dev.jsonl").write_text("".join(dev[1:]), encoding="utf-8")
    refused = train.refit_refused(card, tmp_path)
    assert refused is not None and "not those the model was trained on" in refused


def test_a_student_starts_from_the_teachers_first_layers_and_head() -> None:
    teacher = {
        "encoder.embeddings.word_embeddings.weight": "E",
        **{f"encoder.encoder.layer.{i}.output.dense.weight": f"L{i}" for i in range(12)},
        "head.weight": "H",
    }
    assert train.layers_of(teacher) == 12
    student = train.first_layers(teacher, 5)
    assert train.layers_of(student) == 5
    assert sorted(student.values()) == ["E", "H", "L0", "L1", "L2", "L3", "L4"]
    with pytest.raises(ValueError, match="12 layers"):
        train.first_layers(teacher, 13)


@pytest.mark.parametrize(
    "argv",
    [
        ["--keep-weights"],  # into the package's model folder, which ships
        ["--cross-validate", "--keep-weights"],
        ["--refit", "--distill-from", "teacher.pt"],
    ],
)
def test_training_weights_are_refused_where_they_would_ship_or_do_nothing(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["train", *argv])
    with pytest.raises(SystemExit) as exited:
        train.main()
    assert exited.value.code == 2
    assert "--keep-weights" in capsys.readouterr().err


@pytest.mark.parametrize("trained_english", [False, True])
def test_training_one_encoder_into_a_new_folder_takes_the_shipped_other_one(
    tmp_path: Path, trained_english: bool
) -> None:
    # The combination is fitted on both encoders' readings, so a folder holding only the
    # one being trained could not be fitted or cross-validated.
    train.complete_from_package(tmp_path, trained_english)
    other = tmp_path if trained_english else tmp_path / learned.ENGLISH
    shipped = train.SHIPPED_DIR if trained_english else train.SHIPPED_DIR / learned.ENGLISH
    for name in train.ENCODER_FILES:
        assert (other / name).read_bytes() == (shipped / name).read_bytes()
    trained = tmp_path / learned.ENGLISH if trained_english else tmp_path
    assert not (trained / learned.MODEL_NAME).exists()
    (other / learned.CARD_NAME).write_text("{}")  # an encoder already there is kept
    train.complete_from_package(tmp_path, trained_english)
    assert (other / learned.CARD_NAME).read_text() == "{}"
