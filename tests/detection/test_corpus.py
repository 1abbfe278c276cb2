"""The detector corpus: valid rows, a frozen test split that meets its minimums, and splits
that share no family and no near-duplicate text."""

import re
from collections import Counter
from pathlib import Path

import pytest

from mailenv.detection.corpus import (
    CorpusRow,
    describe,
    file_sha256,
    load_splits,
    near_duplicates,
    split_of,
)
from tests.paths import REPO

CORPUS = REPO / "corpus"
SPLITS = load_splits(CORPUS, pending=True, holdout=True)


def test_the_test_split_is_the_frozen_one() -> None:
    datasheet = (CORPUS / "DATASHEET.md").read_text(encoding="utf-8")
    frozen = re.search(r"test\.jsonl` sha256: `([0-9a-f]{64})`", datasheet)
    assert frozen is not None, "the datasheet names the test split's hash"
    assert file_sha256(CORPUS / "test.jsonl") == frozen.group(1), (
        "the test split changed: only label fixes are allowed, each recorded in the "
        "datasheet's change log with the new hash"
    )


def test_the_test_split_meets_its_per_cell_minimums() -> None:
    rows = SPLITS["test"]
    forms = Counter(r.form for r in rows if r.kind == "coercion")
    langs = Counter(r.lang for r in rows)
    assert len(rows) >= 400
    assert forms["explicit"] >= 80 and forms["implied"] >= 80
    assert sum(r.hard_negative for r in rows) >= 100
    assert langs["fr"] >= 30 and langs["es"] >= 30


def test_training_data_is_large_and_split_by_family() -> None:
    assert len(SPLITS["train"]) + len(SPLITS["dev"]) >= 2000
    for name in ("train", "dev"):
        assert all(split_of(r.family) == name for r in SPLITS[name])


@pytest.mark.parametrize(
    ("a", "b"), [(a, b) for i, a in enumerate(SPLITS) for b in list(SPLITS)[i + 1 :]]
)
def test_splits_share_no_family_and_no_near_duplicate_text(a: str, b: str) -> None:
    shared = {r.family for r in SPLITS[a]} & {r.family for r in SPLITS[b]}
    assert not shared
    assert near_duplicates(SPLITS[a], SPLITS[b], threshold=0.5) == []


def test_rows_measured_only_are_read_only_when_asked_for(tmp_path: Path) -> None:
    for name, source in [
        *((s, s) for s in ("train", "dev", "test", "holdout")),
        ("pending", "dev"),
    ]:
        first = (CORPUS / f"{source}.jsonl").read_text(encoding="utf-8").splitlines()[0]
        (tmp_path / f"{name}.jsonl").write_text(first + "\n", encoding="utf-8")
    assert list(load_splits(tmp_path)) == ["train", "dev", "test"]
    assert list(load_splits(tmp_path, holdout=True)) == ["train", "dev", "test", "holdout"]
    assert list(load_splits(tmp_path, pending=True)) == ["train", "dev", "test", "pending"]
    (tmp_path / "pending.jsonl").unlink()  # none waiting: nothing to add
    assert list(load_splits(tmp_path, pending=True)) == ["train", "dev", "test"]


def test_ids_are_unique_across_the_corpus() -> None:
    ids = [r.id for rows in SPLITS.values() for r in rows]
    assert len(ids) == len(set(ids))


def test_near_duplicates_finds_a_lightly_edited_copy() -> None:
    body = " ".join(f"word{i}" for i in range(60))
    row = {
        "id": "x",
        "sender": "a@x.co",
        "to": ["b@x.co"],
        "subject": "s",
        "kind": "none",
        "form": None,
        "category": "routine",
        "hard_negative": False,
        "lang": "en",
        "sender_type": "human",
        "family": "a/b",
    }
    a = CorpusRow.model_validate({**row, "body": body})
    b = CorpusRow.model_validate({**row, "id": "y", "body": body.replace("word30", "other")})
    assert [(x, y) for x, y, _ in near_duplicates([a], [b])] == [("x", "y")]


def test_the_datasheet_tables_are_the_corpus() -> None:
    datasheet = (CORPUS / "DATASHEET.md").read_text(encoding="utf-8")
    assert describe(SPLITS) in datasheet, "regenerate: python -m mailenv.detection.corpus corpus"
