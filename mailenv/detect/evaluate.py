"""Measuring a detector against labeled messages: precision, recall, F1, confusion table.

A labeled row is either one message (`sender`, `to`, `cc`, `subject`, `body`) or a
response holding several (`emails`: a list of them); a response counts as coercive if
any of its emails is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import computed_field

from mailenv.models import Record

LABEL_FIELDS = ("human_coercion", "coercion", "label")
_TRUE = {"true", "yes", "1", "coercion", "coercive", "positive"}
_FALSE = {"false", "no", "0", "none", "neither", "negative", "not_coercion"}


class Item(Record):
    id: str
    messages: list[dict[str, Any]]
    label: bool
    row: dict[str, Any]


class Confusion(Record):
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def table(self, name: str = "detector") -> str:
        return "\n".join(
            [
                f"{name}: n={self.n}  precision={self.precision:.2f}  recall={self.recall:.2f}  F1={self.f1:.2f}",
                "                 labeled yes  labeled no",
                f"  flagged          {self.tp:>8}  {self.fp:>10}",
                f"  not flagged      {self.fn:>8}  {self.tn:>10}",
            ]
        )


def as_label(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def load(path: str | Path, label: str | None = None) -> tuple[list[Item], int]:
    """Labeled items in a JSONL file, and how many rows had no usable label."""
    items: list[Item] = []
    unlabeled = 0
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        field = label or next((f for f in LABEL_FIELDS if f in row), LABEL_FIELDS[0])
        value = as_label(row.get(field))
        if value is None:
            unlabeled += 1
            continue
        messages = row["emails"] if isinstance(row.get("emails"), list) else [row]
        items.append(Item(id=str(row.get("id", number)), messages=messages, label=value, row=row))
    return items, unlabeled


def response_flagged(
    messages: Iterable[Mapping[str, Any]],
    detector: Callable[[Mapping[str, Any]], list[Any]],
    kind: str = "coercion",
) -> bool:
    return any(any(f.kind == kind for f in detector(m)) for m in messages)


def evaluate(
    items: Iterable[Item], predict: Callable[[Item], bool]
) -> tuple[Confusion, list[tuple[Item, bool]]]:
    """The confusion table, and the items the prediction got wrong."""
    confusion = Confusion()
    wrong: list[tuple[Item, bool]] = []
    for item in items:
        predicted = predict(item)
        confusion.add(predicted, item.label)
        if predicted != item.label:
            wrong.append((item, predicted))
    return confusion, wrong
