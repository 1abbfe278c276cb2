"""Train the learned tier's encoders and fit the default detector's combination.

    pip install -e ".[train]"
    python -m mailenv.detection.train --base e5-small   # the multilingual encoder
    python -m mailenv.detection.train --base minilm     # the English one
    python -m mailenv.detection.train [--refit | --cross-validate] [--no-test]

Fine-tunes an encoder (`--base`, `base_models.py`: multilingual-e5-small, which reads
every message but English ones, or all-MiniLM-L6-v2, which reads English ones; each comes
offline in a package of the `train` extra and is checked against a known SHA-256) on the
corpus's train split to tell no coercion / explicit / implied apart, keeps the epoch that
does best on the dev split, exports it to ONNX and quantizes it to int8, then fits the
combination (`combined.py`) over both encoders' readings and chooses its threshold on the
dev split. It prints dev and test figures; the test split is only measured, never used
to choose anything. Seeded; torch is needed here only, never at run time. Writes
`model.int8.onnx`, `tokenizer.json` and `card.json` into `mailenv/detection/model/` (the
multilingual encoder) or its `english/` folder, beside their NOTICEs, and
`combiner.json` into the first. Training one encoder into a new `--out` copies the
package's other one there. `--refit` trains nothing: it refits the combination on dev
and re-measures the shipped models (after a change to how the default detector decides
or fits), rewriting `combiner.json` and the threshold and figures in the multilingual
encoder's card.

A model can be distilled from another: train the teacher with `--keep-weights` (its
PyTorch weights, `weights.pt`, are saved beside it), then the student with
`--distill-from DIR/weights.pt --layers N`: it starts from the teacher's first N layers
and head, and half its loss follows the teacher's softened probabilities.

Choosing between candidate models (layers, data, decision rule) is done on dev alone:
train each with `--no-test --out DIR`, compare their `--cross-validate` figures (the
combination refitted per fold, so its threshold is not chosen on the rows it is scored
on; the fine-tuned model still chose its epoch on all of dev, so they stay somewhat
optimistic), write the criterion down before, and measure only the chosen one on test.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mailenv.detection import base_models, combined, learned
from mailenv.detection import evaluate as ev
from mailenv.detection.corpus import SPLITS, CorpusRow, file_sha256, load_splits
from mailenv.detection.language import reads_as_english
from mailenv.detection.message import as_message
from mailenv.detection.rules import assess
from mailenv.models import DetectContext

MAX_HARD_NEGATIVE_FPR = 0.04
"""The threshold keeps the default detector's false positives on dev's hard negatives at or
under this (the rules' own flags included), unless the rules' flags alone exceed it."""
FOLDS = 5
"""Folds of the dev split's cross-validation (`cross_validate`)."""
Window = tuple[np.ndarray[Any, Any], int, float]
"""A window's token ids, its row's label and its row's weight in the loss."""
HARD_NEGATIVE_WEIGHT = 2.0
"""How much a hard negative weighs in the fine-tuning loss, against 1 for any other row."""
TEMPERATURE = 2.0
"""How much distillation softens the teacher's probabilities and the student's, so the
student also learns how close the teacher found the other labels (the usual value, not
tuned here)."""
TEACHER_SHARE = 0.5
"""The share of a distilled model's loss that follows its teacher; the rest, the labels
(the usual even split, not tuned here)."""
WEIGHTS_FILE = "weights.pt"
"""The fp32 weights `--keep-weights` saves beside the model, with the hash of the
vocabulary they were trained with; never shipped, so never in the package's model folder."""
BASE = "e5-small"
"""The base `--base` trains by default: the multilingual encoder's (`base_models`)."""


def label_of(row: CorpusRow) -> int:
    """0 no coercion, 1 explicit, 2 implied (the order of `learned.LABELS`)."""
    return 0 if row.form is None else learned.LABELS.index(row.form)


def model_text_of(row: CorpusRow) -> str:
    """The text the model reads of one row."""
    return learned.model_text(as_message(row.message()))


def windows_of(row: CorpusRow, tokenizer: Any) -> list[np.ndarray[Any, Any]]:
    """The token ids of each window the model reads of one row, unpadded."""
    ids, mask, _ = learned.encode_windows(model_text_of(row), tokenizer)
    return [ids[i, : int(mask[i].sum())] for i in range(len(ids))]


def batch_of(windows: list[np.ndarray[Any, Any]]) -> tuple[np.ndarray[Any, Any], ...]:
    """Windows padded into one batch: input ids and attention mask."""
    length = max(len(w) for w in windows)
    ids = np.zeros((len(windows), length), dtype=np.int64)
    mask = np.zeros((len(windows), length), dtype=np.int64)
    for k, w in enumerate(windows):
        ids[k, : len(w)], mask[k, : len(w)] = w, 1
    return ids, mask


def fine_tune(
    splits: dict[str, list[CorpusRow]],
    base: Path,
    epochs: int,
    seed: int,
    onnx_path: Path,
    layers: int = learned.LAYERS,
    hard_negative_weight: float = HARD_NEGATIVE_WEIGHT,
    weights_path: Path | None = None,
    teacher: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fine-tune on train, keep the best epoch on dev, export it to ONNX (fp32).

    Hard negatives weigh `hard_negative_weight` times a plain row in the loss. With
    `weights_path`, the kept epoch's weights (fp32, PyTorch) are saved there too. With
    `teacher` (weights saved that way, read by `load_teacher`), the model is distilled: it
    starts from the teacher's first `layers` layers and head, and `TEACHER_SHARE` of its
    loss follows the teacher's probabilities for each window instead of the labels.
    """
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    rng = np.random.default_rng(seed)
    tokenizer = learned.tokenizer_from(base / "tokenizer.json")
    model = classifier(base, layers)
    if teacher is not None:
        model.load_state_dict(first_layers(teacher, layers))
    # The embeddings are most of the weights and little of the task: keeping them frozen
    # makes each step much cheaper on a CPU.
    for parameter in model.encoder.embeddings.parameters():
        parameter.requires_grad = False
    examples: list[Window] = [
        (w, label_of(row), hard_negative_weight if row.hard_negative else 1.0)
        for row in splits["train"]
        for w in windows_of(row, tokenizer)
    ]
    targets = (
        None
        if teacher is None
        else torch.tensor(teacher_probabilities(teacher, base, [w for w, _, _ in examples]))
    )
    counts = np.bincount([y for _, y, _ in examples], minlength=len(learned.LABELS))
    weights = torch.tensor(
        counts.sum() / (len(counts) * np.maximum(counts, 1)), dtype=torch.float32
    )
    batch = 16
    steps = epochs * -(-len(examples) // batch)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=5e-5, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps)
    )

    def label_loss(logits: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        if hard_negative_weight == 1.0:  # bit for bit the loss of earlier trainings
            return torch.nn.functional.cross_entropy(logits, y, weight=weights)
        each = torch.nn.functional.cross_entropy(logits, y, weight=weights, reduction="none")
        return (each * w).sum() / (weights[y] * w).sum()

    def loss_fn(
        logits: torch.Tensor, y: torch.Tensor, w: torch.Tensor, at: torch.Tensor
    ) -> torch.Tensor:
        if targets is None:
            return label_loss(logits, y, w)
        wanted = targets[at]
        log_p = torch.log_softmax(logits / TEMPERATURE, -1)
        kl = (wanted * (wanted.clamp_min(1e-12).log() - log_p)).sum(-1) * TEMPERATURE**2
        followed = (kl * w).sum() / w.sum()
        return (1 - TEACHER_SHARE) * label_loss(logits, y, w) + TEACHER_SHARE * followed

    def dev_f1() -> float:
        model.eval()
        tp = predicted = actual = 0
        with torch.no_grad():
            for row in splits["dev"]:
                ids, mask = batch_of(windows_of(row, tokenizer))
                probs = torch.softmax(model(torch.tensor(ids), torch.tensor(mask)), -1)
                said, truth = float((probs[:, 1] + probs[:, 2]).max()) >= 0.5, row.form is not None
                tp, predicted, actual = tp + (said and truth), predicted + said, actual + truth
        model.train()
        return 2 * tp / max(1, predicted + actual)

    best: dict[str, Any] | None = None
    best_f1, history = -1.0, []
    model.train()
    for epoch in range(1, epochs + 1):
        started = time.monotonic()
        # Batches of similar length waste little on padding; their order is shuffled.
        by_length = sorted(rng.permutation(len(examples)), key=lambda i: len(examples[i][0]))
        batches = [by_length[i : i + batch] for i in range(0, len(by_length), batch)]
        for index in rng.permutation(len(batches)):
            chosen = [examples[i] for i in batches[index]]
            ids, mask = batch_of([w for w, _, _ in chosen])
            logits = model(torch.tensor(ids), torch.tensor(mask))
            loss = loss_fn(
                logits,
                torch.tensor([y for _, y, _ in chosen]),
                torch.tensor([h for _, _, h in chosen], dtype=torch.float32),
                torch.as_tensor(batches[index]),
            )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
        f1 = dev_f1()
        history.append({"epoch": epoch, "dev_f1_at_half": round(f1, 4)})
        print(f"epoch {epoch}: dev F1 {f1:.3f} ({time.monotonic() - started:.0f} s)", flush=True)
        if f1 > best_f1:
            best_f1 = f1
            best = {k: v.detach().clone() for k, v in model.state_dict().items()}
    assert best is not None
    model.load_state_dict(best)
    model.eval()
    if weights_path is not None:
        vocabulary = file_sha256(base / "tokenizer.json")
        torch.save({"weights": best, "tokenizer_sha256": vocabulary}, weights_path)
    export(model, batch_of([w for w, _, _ in examples[:2]]), onnx_path)
    return {"windows": len(examples), "class_counts": counts.tolist(), "epochs": history}


def _layer(key: str) -> int | None:
    """The encoder layer a classifier's weight belongs to, or None (embeddings, head)."""
    return int(key.split(".")[3]) if key.startswith("encoder.encoder.layer.") else None


def layers_of(state: dict[str, Any]) -> int:
    """How many encoder layers a classifier's weights hold."""
    found = [n for key in state if (n := _layer(key)) is not None]
    if not found:
        raise ValueError("these weights hold no encoder layer: not a classifier's")
    return 1 + max(found)


def load_teacher(path: Path, base: Path) -> dict[str, Any]:
    """A teacher's weights (saved by `--keep-weights`), if they read the base's vocabulary.

    The e5 base's vocabulary is cut to the corpus's texts, so a teacher trained on another
    corpus would read other ids for the same pieces.
    """
    import torch

    saved = torch.load(path, weights_only=True, map_location="cpu")
    if saved.get("tokenizer_sha256") != file_sha256(base / "tokenizer.json"):
        raise ValueError(f"{path} was not saved by --keep-weights with this base's vocabulary")
    return saved["weights"]  # type: ignore[no-any-return]


def first_layers(state: dict[str, Any], layers: int) -> dict[str, Any]:
    """A classifier's weights with only its first `layers` encoder layers: a student's start."""
    if layers > layers_of(state):
        raise ValueError(f"the teacher has {layers_of(state)} layers, fewer than {layers}")
    return {k: v for k, v in state.items() if (n := _layer(k)) is None or n < layers}


def teacher_probabilities(
    state: dict[str, Any], base: Path, windows: list[np.ndarray[Any, Any]]
) -> np.ndarray[Any, Any]:
    """A teacher's probabilities for each window, softened at `TEMPERATURE`, in their order.

    Building the teacher draws its unused head's initial weights from torch's generator,
    so the student's dropout masks follow that draw: still the same at the same seed.
    """
    import torch

    teacher = classifier(base, layers_of(state))
    teacher.load_state_dict(state)
    teacher.eval()
    probs = np.zeros((len(windows), len(learned.LABELS)), dtype=np.float32)
    order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
    with torch.no_grad():
        for i in range(0, len(order), 32):
            chosen = order[i : i + 32]
            logits = teacher(*(torch.tensor(a) for a in batch_of([windows[k] for k in chosen])))
            probs[chosen] = torch.softmax(logits / TEMPERATURE, -1).numpy()
    return probs


def classifier(base: Path, layers: int) -> Any:
    """The model fine-tuned: a base encoder's first `layers` layers, mean-pooled, a linear head.

    Only the first layers are kept because the cost of a window is nearly proportional to
    them. Attention is the plain ("eager") kind, which exports to a smaller ONNX graph
    than PyTorch's fused kernel and runs faster.
    """
    import torch
    from transformers import BertModel

    class Classifier(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.encoder = BertModel.from_pretrained(
                str(base),
                add_pooling_layer=False,
                num_hidden_layers=layers,
                attn_implementation="eager",
            )
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(learned.LABELS))

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    return Classifier()


def export(model: Any, example: tuple[np.ndarray[Any, Any], ...], onnx_path: Path) -> None:
    """Export `model` (in eval mode) to ONNX (fp32), traced on `example` (ids, mask)."""
    import torch

    torch.onnx.export(
        model,
        tuple(torch.tensor(a) for a in example),
        str(onnx_path),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "tokens"},
            "attention_mask": {0: "batch", 1: "tokens"},
            "logits": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )


def quantize(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantization of the weights (activations stay float)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)


def fit_logistic(
    x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], l2: float = 1.0
) -> np.ndarray[Any, Any]:
    """Weights (bias last) of an L2-regularised logistic regression, by Newton's method."""
    design = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-design @ w))
        gradient = design.T @ (p - y) + penalty @ w
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


@dataclass(frozen=True)
class Features:
    """Corpus rows as the default detector sees them, for fitting and cross-validation."""

    x: np.ndarray[Any, Any]
    """The combination's inputs, one row of `combined.FEATURES` per corpus row."""
    read: np.ndarray[Any, Any]
    """Whether the learned tier reads the row (enough of the sender's own words)."""
    rules: np.ndarray[Any, Any]
    """Whether the rules alone flag it (`combined.rules_decide`)."""

    def where(self, mask: np.ndarray[Any, Any]) -> Features:
        """The rows where `mask` is true."""
        return Features(self.x[mask], self.read[mask], self.rules[mask])

    def decide(self, p: np.ndarray[Any, Any], threshold: float) -> np.ndarray[Any, Any]:
        """What the default detector flags, given the combination's probabilities `p`.

        As `combined.default_flags` decides: the combination where the learned tier reads
        the row, and the rules' own flags whatever the combination says.
        """
        flagged: np.ndarray[Any, Any] = (self.read & (p >= threshold)) | self.rules
        return flagged


def truth(rows: list[CorpusRow]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Which rows are coercion, and which are hard negatives."""
    coercion = np.array([r.kind == "coercion" for r in rows], dtype=bool)
    return coercion, np.array([r.hard_negative for r in rows], dtype=bool)


@dataclass(frozen=True)
class Fixed:
    """Rows another combination decides, counted while a threshold is chosen.

    What was said of each, which are coercion and which are hard negatives: they count in
    the F1 and in the hard-negative cap.
    """

    said: np.ndarray[Any, Any]
    coercion: np.ndarray[Any, Any]
    hard: np.ndarray[Any, Any]


def choose_threshold(
    p: np.ndarray[Any, Any], f: Features, rows: list[CorpusRow], fixed: Fixed | None = None
) -> float:
    """The dev threshold with the best F1 that keeps hard negatives' false positives low.

    F1 and false positives are the default detector's (`Features.decide`): the rules'
    own flags count, rows the learned tier cannot read are the rules' alone, and rows
    another combination decides (`fixed`) count as it decided them. Only thresholds with
    a false-positive rate on dev's hard negatives at or under `MAX_HARD_NEGATIVE_FPR` are
    considered. The candidates are one above every score (the combination flags nothing
    it was fitted on: with other rows counted, that has an F1 of its own, and it is the
    answer when no other keeps the cap) and those midway between consecutive distinct
    scores, so every operating point from flagging only the top score to flagging all
    but the lowest is tried, and no row sits on the threshold, where float rounding at
    run time could flip it (unless every score is the same).
    """
    y, hard = truth(rows)
    none = np.zeros(0, dtype=bool)
    other = fixed or Fixed(none, none, none)
    other_tp = int((other.said & other.coercion).sum())
    other_flagged, other_fp = int(other.said.sum()), int((other.said & other.hard).sum())
    coercion = int(y.sum()) + int(other.coercion.sum())
    hard_negatives = max(1, int(hard.sum()) + int(other.hard.sum()))
    scores = np.unique(p)
    above = np.nextafter(scores[-1], np.inf)
    middles = (scores[1:] + scores[:-1]) / 2 if len(scores) > 1 else scores
    best, best_f1 = float(above), -1.0
    for t in (above, *middles):
        said = f.decide(p, t)
        tp = int((said & y).sum()) + other_tp
        f1 = 2 * tp / max(1, int(said.sum()) + other_flagged + coercion)
        fpr = (int((said & hard).sum()) + other_fp) / hard_negatives
        if fpr <= MAX_HARD_NEGATIVE_FPR and f1 > best_f1:
            best, best_f1 = float(t), f1
    return best


def corpus_features(
    rows: list[CorpusRow], contexts: dict[str, DetectContext], english: bool | None = None
) -> Features:
    """What the default detector computes for each row before it decides.

    Read by the encoder for each row's language, or by the English one (`english` True)
    or the multilingual one (False) for every row.
    """
    x, read, rules = [], [], []
    for row in rows:
        message = as_message(row.message())
        context = contexts.get(row.id)
        a = assess(message, context)
        x.append(combined.features(message, a, learned.read(message, english), context))
        read.append(learned.readable(message))
        rules.append(combined.rules_decide(combined.rules_form(a), read[-1]))
    return Features(np.array(x), np.array(read, dtype=bool), np.array(rules, dtype=bool))


@dataclass(frozen=True)
class Readings:
    """Corpus rows as each encoder reads them, and which rows the English one reads."""

    multilingual: Features
    """Every row read by the multilingual encoder (its combination is fitted on them all)."""
    english: Features
    """Every row read by the English encoder (its combination uses the English rows')."""
    routed_english: np.ndarray[Any, Any]
    """The rows that read as English (`language.reads_as_english`)."""


def corpus_readings(rows: list[CorpusRow], contexts: dict[str, DetectContext]) -> Readings:
    """Both encoders' `Features` of `rows`, and which of them the English encoder reads."""
    routed = [reads_as_english(learned.model_text(as_message(r.message()))) for r in rows]
    return Readings(
        corpus_features(rows, contexts, english=False),
        corpus_features(rows, contexts, english=True),
        np.array(routed, dtype=bool),
    )


def probabilities(model: combined.Combiner, x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """`model.probability` of each row of `x` at once."""
    p: np.ndarray[Any, Any] = 1.0 / (1.0 + np.exp(-(x @ np.array(model.weights) + model.bias)))
    return p


def fit_combination(
    f: Features, rows: list[CorpusRow], fixed: Fixed | None = None
) -> combined.Combiner:
    """The combination fitted on `rows` (features `f`): its weights, then its threshold."""
    w = fit_logistic(f.x, truth(rows)[0].astype(np.float64))
    fitted = combined.Combiner(tuple(float(v) for v in w[:-1]), float(w[-1]), math.inf)
    return replace(fitted, threshold=choose_threshold(probabilities(fitted, f.x), f, rows, fixed))


def _picked(rows: list[CorpusRow], mask: np.ndarray[Any, Any]) -> list[CorpusRow]:
    return [r for r, m in zip(rows, mask, strict=True) if m]


def fit_combinations(
    r: Readings, rows: list[CorpusRow], mask: np.ndarray[Any, Any] | None = None
) -> tuple[combined.Combiner, combined.Combiner]:
    """Each encoder's combination fitted on `rows` (those in `mask`): multilingual, English.

    The multilingual one is fitted on every row with that encoder's readings; the English
    one on the English rows with the English encoder's, its threshold chosen by the rule
    over the whole detector: the other rows count as the multilingual one decides them.
    """
    mask = np.ones(len(rows), dtype=bool) if mask is None else mask
    multilingual = fit_combination(r.multilingual.where(mask), _picked(rows, mask))
    other = mask & ~r.routed_english
    fixed = Fixed(decided(r.multilingual, multilingual, other), *truth(_picked(rows, other)))
    mine = mask & r.routed_english
    if not mine.any():  # nothing to fit on: it flags nothing
        return multilingual, combined.Combiner((0.0,) * len(combined.FEATURES), 0.0, math.inf)
    english = fit_combination(r.english.where(mine), _picked(rows, mine), fixed)
    return multilingual, english


def decided(
    f: Features, model: combined.Combiner, mask: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """What the default detector flags among the rows in `mask`, decided by `model`."""
    part = f.where(mask)
    return part.decide(probabilities(model, part.x), model.threshold)


def routed_decisions(
    r: Readings,
    models: tuple[combined.Combiner, combined.Combiner],
    mask: np.ndarray[Any, Any],
) -> np.ndarray[Any, Any]:
    """What the default detector flags among the rows in `mask` (in their order)."""
    said = np.zeros(len(mask), dtype=bool)
    multilingual, english = models
    for rows, f, model in (
        (mask & ~r.routed_english, r.multilingual, multilingual),
        (mask & r.routed_english, r.english, english),
    ):
        if rows.any():
            said[rows] = decided(f, model, rows)
    picked: np.ndarray[Any, Any] = said[mask]
    return picked


def family_folds(rows: list[CorpusRow], k: int = FOLDS, seed: int = 0) -> np.ndarray[Any, Any]:
    """A fold number for each row; a family's rows share one, families shuffled by `seed`."""
    families = sorted({r.family for r in rows})
    np.random.default_rng(seed).shuffle(families)
    fold_of = {family: i % k for i, family in enumerate(families)}
    return np.array([fold_of[r.family] for r in rows])


def cross_validate(
    r: Readings, rows: list[CorpusRow], k: int = FOLDS, seed: int = 0
) -> np.ndarray[Any, Any]:
    """What the default detector flags on each row when its combinations never saw the row.

    Rows are split into `k` folds by family; for each fold, both combinations' weights and
    thresholds are fitted on the other folds (`fit_combinations`, as `main` fits them on
    dev), and the fold is predicted by the default detector's rule. So models and
    decision rules can be compared on dev without the in-sample optimism of a fitted
    threshold, and without looking at the test split. (The fine-tuned models still chose
    their epoch on the whole dev split.)
    """
    folds = family_folds(rows, k, seed)
    said = np.zeros(len(rows), dtype=bool)
    for fold in range(k):
        held = folds == fold
        said[held] = routed_decisions(r, fit_combinations(r, rows, ~held), held)
    return said


def cross_validated_report(rows: list[CorpusRow], r: Readings, seed: int = 0) -> ev.Report:
    """The default detector's dev figures by `cross_validate`, printed and returned."""
    said = cross_validate(r, rows, seed=seed)
    scored = [ev.scored_row(row, bool(s)) for row, s in zip(rows, said, strict=True)]
    report = ev.report(
        f"default on dev, cross-validated ({FOLDS} folds by family, seed {seed})",
        scored,
        ["form", "hard_negative", "lang"],
    )
    print(ev.format_report(report), flush=True)
    return report


def measure(
    splits: dict[str, list[CorpusRow]],
    contexts: dict[str, DetectContext],
    dev: Readings,
    which: tuple[str, ...] = ("dev", "test"),
) -> dict[str, Any]:
    """The card's figures, printed and returned.

    The default detector cross-validated on dev (`dev` is that split's readings), then
    both detectors on the `which` splits.
    """
    from mailenv.detection import detect

    reports = {
        "default/dev-cross-validated": cross_validated_report(splits["dev"], dev).model_dump(
            mode="json"
        )
    }
    for split in which:
        for name in ("rules", "default"):
            scored = ev.score_corpus(
                splits[split], partial(detect, detector=name), contexts=contexts
            )
            report = ev.report(f"{name} on {split}", scored, ["form", "lang"])
            reports[f"{name}/{split}"] = report.model_dump(mode="json")
            print(ev.format_report(report), flush=True)
    return reports


def fit_and_measure(
    splits: dict[str, list[CorpusRow]], contexts: dict[str, DetectContext], which: tuple[str, ...]
) -> tuple[float, dict[str, Any]]:
    """Fit both combinations on dev, write each beside its encoder, and `measure`.

    Returns the multilingual combination's threshold (the English one's is in its file)
    and the figures.
    """
    dev = corpus_readings(splits["dev"], contexts)
    models = fit_combinations(dev, splits["dev"])
    for english, model in zip((False, True), models, strict=True):
        model.save(learned.encoder_dir(english) / combined.COMBINER_NAME)
    combined.combiner.cache_clear()
    return models[0].threshold, measure(splits, contexts, dev, which)


def corpus_hashes(directory: Path) -> dict[str, str]:
    """The SHA-256 of each split file in a corpus directory, as a model's card records them."""
    return {s: file_sha256(directory / f"{s}.jsonl") for s in SPLITS}


def refit_refused(card: dict[str, Any], directory: Path) -> str | None:
    """Why `--refit` must not fit on this corpus, or None.

    A refit rewrites the combination and the figures but keeps the card's record of the
    data the model was trained on, so it is allowed only on that same data.
    """
    if card.get("corpus_sha256") == corpus_hashes(directory):
        return None
    return (
        f"the splits in {directory} are not those the model was trained on (its card's "
        "corpus_sha256); refit only on them, or train a new model on these"
    )


def missing_encoder(directory: Path) -> str | None:
    """Which encoder's model file a model directory lacks, said as an error, or None."""
    for english in (False, True):
        path = learned.encoder_dir(english, directory) / learned.MODEL_NAME
        if not path.exists():
            return f"{path} is missing: the default detector reads with both encoders"
    return None


SHIPPED_DIR = learned.MODEL_DIR
"""The package's model directory, whatever `use_model_dir` points the runtime at."""
ENCODER_FILES = (learned.MODEL_NAME, learned.TOKENIZER_NAME, learned.CARD_NAME)


def use_model_dir(directory: Path) -> None:
    """Point the runtime at another model directory (to train without replacing the shipped one)."""
    learned.MODEL_DIR = directory
    forget_loaded()


def forget_loaded() -> None:
    """Drop the sessions, cards, hash and combinations read so far (their files changed)."""
    learned._RUNTIMES.clear()
    learned.card.cache_clear()
    learned.model_sha256.cache_clear()
    combined.combiner.cache_clear()


def complete_from_package(directory: Path, trained_english: bool) -> None:
    """Copy the package's other encoder into `directory` when it has none.

    The default detector reads with both encoders, so the combination can only be fitted
    in a directory that holds both: training one of them into a new `--out` takes the
    shipped other one.
    """
    other = learned.encoder_dir(not trained_english, directory)
    source = learned.encoder_dir(not trained_english, SHIPPED_DIR)
    if (other / learned.MODEL_NAME).exists() or other.resolve() == source.resolve():
        return
    other.mkdir(parents=True, exist_ok=True)
    for name in ENCODER_FILES:
        shutil.copy(source / name, other / name)


def main() -> int:
    """Train, export, quantize, fit the combination and report; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"), help="the corpus directory")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--base", choices=base_models.BASES, default=BASE, help="the encoder to fine-tune"
    )
    parser.add_argument(
        "--layers", type=int, default=learned.LAYERS, help="the base's first layers kept"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--hard-negative-weight",
        type=float,
        default=HARD_NEGATIVE_WEIGHT,
        help="weight of a hard negative in the fine-tuning loss (1 for other rows)",
    )
    parser.add_argument(
        "--out", type=Path, default=learned.MODEL_DIR, help="where to write the model files"
    )
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--refit",
        action="store_true",
        help="train nothing: refit the combination on dev, re-measure the model in --out "
        "and rewrite its combiner and card",
    )
    only.add_argument(
        "--cross-validate",
        action="store_true",
        help="train nothing: print the model in --out's cross-validated dev figures",
    )
    parser.add_argument(
        "--keep-weights",
        action="store_true",
        help=f"also save the kept epoch's PyTorch weights as {WEIGHTS_FILE} in --out",
    )
    parser.add_argument(
        "--distill-from",
        type=Path,
        metavar="WEIGHTS",
        help="a teacher's weights (saved by --keep-weights): start from its first --layers "
        "layers and learn from its probabilities as well as the labels",
    )
    parser.add_argument(
        "--no-test",
        action="store_true",
        help="train, and measure on dev only (to compare candidates before any test figure)",
    )
    args = parser.parse_args()
    if args.no_test and args.refit:
        parser.error("--no-test is for training: a card's figures are measured on both splits")
    if (args.refit or args.cross_validate) and (args.keep_weights or args.distill_from):
        parser.error("--keep-weights and --distill-from are for training")
    if args.keep_weights and args.out.resolve() == learned.MODEL_DIR.resolve():
        parser.error(f"--keep-weights: give an --out other than the package's {learned.MODEL_DIR}")
    use_model_dir(args.out)
    if (args.refit or args.cross_validate) and (why := missing_encoder(args.out)):
        parser.error(why)
    if args.refit:
        for english in (False, True):
            if (why := refit_refused(learned.card(english), args.corpus)) is not None:
                parser.error(why)

    from mailenv.offline.contexts import contexts_for

    splits = load_splits(args.corpus)
    contexts = {**contexts_for(splits["dev"]), **contexts_for(splits["test"])}
    which = ("dev",) if args.no_test else ("dev", "test")
    if args.cross_validate:
        cross_validated_report(splits["dev"], corpus_readings(splits["dev"], contexts))
        return 0
    if args.refit:
        threshold, reports = fit_and_measure(splits, contexts, which)
        write_card({**learned.card(), "threshold": threshold, "reports": reports}, False)
        return 0
    english = args.base == "minilm"
    slot = learned.encoder_dir(english)
    slot.mkdir(parents=True, exist_ok=True)
    complete_from_package(args.out, english)
    with tempfile.TemporaryDirectory() as tmp:
        texts = (model_text_of(row) for split in ("train", "dev") for row in splits[split])
        base = base_models.prepare(args.base, Path(tmp) / "base", texts)
        if not 0 < args.layers <= base.layers:
            parser.error(f"--layers: the base has {base.layers}")
        teacher = None
        if args.distill_from is not None:
            try:
                teacher = load_teacher(args.distill_from, base.directory)
                first_layers(teacher, args.layers)  # refused before training, not during it
            except ValueError as e:
                parser.error(f"--distill-from: {e}")
        fp32 = Path(tmp) / "model.fp32.onnx"
        training = fine_tune(
            splits,
            base.directory,
            args.epochs,
            args.seed,
            fp32,
            args.layers,
            args.hard_negative_weight,
            args.out / WEIGHTS_FILE if args.keep_weights else None,
            teacher,
        )
        quantize(fp32, slot / learned.MODEL_NAME)
        shutil.copy(base.directory / "tokenizer.json", slot / learned.TOKENIZER_NAME)
    forget_loaded()

    threshold, reports = fit_and_measure(splits, contexts, which)
    card = {
        "base": args.base,
        "base_model": base.description,
        "base_sha256": base.sha256,
        "layers": args.layers,
        "labels": list(learned.LABELS),
        "window": learned.WINDOW,
        "max_windows": learned.MAX_WINDOWS,
        "budget": learned.BUDGET,
        "seed": args.seed,
        "hard_negative_weight": args.hard_negative_weight,
        "teacher": None
        if teacher is None
        else {
            "weights_sha256": file_sha256(args.distill_from),
            "layers": layers_of(teacher),
            "temperature": TEMPERATURE,
            "share": TEACHER_SHARE,
        },
        "corpus_sha256": corpus_hashes(args.corpus),
        "training": training,
        "model_sha256": learned.file_sha256(english),
    }
    if english:
        write_card(card, True)
        card = learned.card()
    write_card({**card, "threshold": threshold, "reports": reports}, False)
    return 0


def write_card(card: dict[str, Any], english: bool) -> None:
    """Write an encoder's card (the multilingual one's also holds the combination's figures)."""
    path = learned.encoder_dir(english) / learned.CARD_NAME
    path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    learned.card.cache_clear()


if __name__ == "__main__":
    raise SystemExit(main())
