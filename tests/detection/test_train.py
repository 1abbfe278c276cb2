"""Fitting and cross-validating the default detector's combination (no model is trained).

The features here are synthetic, so each test knows what the right answer is; the rows
are real dev rows, for their families, labels and hard negatives.
"""

from pathlib import Path
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
    said = train.cross_validate(features(x), DEV)
    assert (said == LABELS).all()


def test_no_fold_is_fitted_or_thresholded_on_its_own_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each outer fold fits weights on the other folds, and on inner folds of those for
    # the threshold's out-of-fold probabilities; none of it may see the outer fold's rows.
    fitted: list[set[str]] = []
    by_fold: list[tuple[list[set[str]], set[str]]] = []
    fit, choose = train.fit_weights, train.choose_threshold

    def recording_fit(x: np.ndarray, rows: list[Any]) -> Any:
        fitted.append({r.id for r in rows})
        return fit(x, rows)

    def recording_choose(p: np.ndarray, rows: list[Any]) -> float:
        by_fold.append((fitted.copy(), {r.id for r in rows}))
        fitted.clear()
        return choose(p, rows)

    monkeypatch.setattr(train, "fit_weights", recording_fit)
    monkeypatch.setattr(train, "choose_threshold", recording_choose)
    train.cross_validate(features(np.where(LABELS, 3.0, -3.0)), DEV)
    folds = train.family_folds(DEV)
    assert len(by_fold) == train.FOLDS
    for fold, (fits, thresholded) in enumerate(by_fold):
        held = {r.id for r, f in zip(DEV, folds, strict=True) if f == fold}
        assert thresholded | held == {r.id for r in DEV} and not thresholded & held
        assert len(fits) == 1 + train.FOLDS and fits[0] == thresholded
        assert all(ids <= thresholded and ids < thresholded for ids in fits[1:])


def test_the_threshold_is_chosen_on_out_of_fold_probabilities(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(0)
    signal = np.where(LABELS, 1.0, -1.0) + rng.normal(0, 1.5, len(DEV))
    x = np.column_stack([signal, rng.normal(0, 1, (len(DEV), 8))])  # noise the weights overfit
    seen: list[np.ndarray] = []
    choose = train.choose_threshold

    def recording_choose(p: np.ndarray, rows: list[Any]) -> float:
        seen.append(p)
        return choose(p, rows)

    monkeypatch.setattr(train, "choose_threshold", recording_choose)
    model = train.fit_combination(x, DEV)
    (p,) = seen
    assert np.array_equal(p, train.out_of_fold(x, DEV))
    in_sample = train.probabilities(model, x)
    assert not np.allclose(p, in_sample)
    assert model.threshold == choose(p, DEV)


def test_out_of_fold_probabilities_come_from_weights_without_the_row() -> None:
    # A feature that gives each family's label away only in-sample: a family's own rows
    # carry a marker column no other family has, so out of fold it says nothing.
    families = sorted({r.family for r in DEV})
    marker = np.zeros((len(DEV), len(families)))
    for i, r in enumerate(DEV):
        marker[i, families.index(r.family)] = 1.0 if LABELS[i] else -1.0
    p = train.out_of_fold(marker, DEV)
    folds = train.family_folds(DEV)
    for fold in range(train.FOLDS):
        held = p[folds == fold]
        assert np.allclose(held, held[0])  # a fold's markers were never fitted: bias only
    in_sample = train.probabilities(train.fit_weights(marker, DEV), marker)
    assert ((in_sample > 0.5) == LABELS).all()


def test_the_rules_decide_beside_the_combination_and_alone_on_unread_rows() -> None:
    x = np.where(LABELS, 3.0, -3.0)
    negative = int(np.flatnonzero(~LABELS)[0])
    positive = int(np.flatnonzero(LABELS)[0])
    rules = np.zeros(len(DEV), dtype=bool)
    rules[negative] = True
    read = np.ones(len(DEV), dtype=bool)
    read[positive] = False
    said = train.cross_validate(features(x, read, rules), DEV)
    assert said[negative], "a row the rules flag stays flagged whatever the combination says"
    assert not said[positive], "a row the learned tier cannot read is the rules' alone"
    others = np.ones(len(DEV), dtype=bool)
    others[[negative, positive]] = False
    assert (said[others] == LABELS[others]).all()


def test_the_threshold_keeps_hard_negatives_under_the_bound() -> None:
    hard = np.array([r.hard_negative for r in DEV])
    # Hard negatives score like coercion: a threshold that flags all coercion flags them too.
    p = np.where(LABELS, 0.9, np.where(hard, 0.95, 0.1))
    t = train.choose_threshold(p, DEV)
    flagged_hard = ((p >= t) & hard).sum() / hard.sum()
    assert flagged_hard <= train.MAX_HARD_NEGATIVE_FPR
    assert t > 0.9


def test_the_threshold_separates_scores_closer_than_rounding_and_sits_between_them() -> None:
    # Coercion just above the plain rows, closer than four decimals apart: the best threshold
    # flags exactly the coercion, and no score lies on it.
    p = np.where(LABELS, 0.788576, 0.788571)
    t = train.choose_threshold(p, DEV)
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
