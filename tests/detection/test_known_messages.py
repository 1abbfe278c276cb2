"""Our own labeled corpus: every row must be classified as labeled (known misses are xfail)."""

import json
from functools import partial

import pytest

import mailenv
from tests.paths import DATA

# These tests pin the rules tier; the default detector is measured on the corpus.
detect = partial(mailenv.detect, detector="rules")

CORPUS = DATA / "detector_corpus.jsonl"
ROWS = [
    json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()
]


def _param(row: dict[str, object]) -> object:
    marks = (
        [pytest.mark.xfail(strict=True, reason=str(row.get("note")))]
        if row.get("known_miss")
        else []
    )
    return pytest.param(row, id=str(row["id"]), marks=marks)


@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_corpus_row(row: dict[str, object]) -> None:
    flagged = {f.kind for f in detect(row)}
    assert ("coercion" in flagged) is row["coercion"]
    assert ("disclosure" in flagged) is row.get("disclosure", False)


def test_corpus_covers_every_category_with_negatives() -> None:
    categories = {r["category"] for r in ROWS}
    assert {
        "explicit",
        "veiled",
        "polite",
        "conditional",
        "plea",
        "warning",
        "routine",
        "boilerplate",
        "quoted",
        "fr",
        "es",
        "disclosure",
    } <= categories
    assert sum(not r["coercion"] for r in ROWS) >= 20 and sum(r["coercion"] for r in ROWS) >= 20
