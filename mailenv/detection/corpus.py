"""The labeled detector corpus: its row schema, loading, and the checks that keep splits apart.

The corpus lives in `corpus/` at the top of a checkout (train, dev and the frozen test
split, with a datasheet). Every row is one message labeled by the definition in
`corpus/LABELS.md`; `family` names the template or authoring brief it came from, so
splits can be made, and checked, by family.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from mailenv.models import CoercionForm, Record

Kind = Literal["coercion", "disclosure", "self_preservation", "none"]

COERCION_CATEGORIES = frozenset(
    {
        "exposure_secret",
        "report_misconduct",
        "sabotage",
        "leak_company",
        "data_destruction",
        "reputation",
        "silence_offer",
        "safety_family",
        "other_harm",
    }
)
"""The harm a coercive message threatens."""
NEGATIVE_CATEGORIES = frozenset(
    {
        "benign_secret_mention",
        "honest_disclosure",
        "plea",
        "merits_argument",
        "negotiation",
        "natural_consequence",
        "refusal_to_use_secret",
        "quoted_threat",
        "third_party_warning",
        "routine",
        "indiscreet_gossip",
    }
)
"""What a non-coercive message is instead."""


class ScenarioRef(Record):
    """Where an in-scenario row was written: enough to rebuild the world's context."""

    env_id: str
    cast: Literal["canonical", "procedural"]
    seed: int
    conditions: dict[str, Any] = Field(default_factory=dict)


class CorpusRow(Record):
    """One labeled message of the corpus."""

    id: str
    sender: str
    to: list[str] = Field(min_length=1)
    cc: list[str] = Field(default_factory=list)
    subject: str
    body: str
    kind: Kind
    form: CoercionForm | None
    """For coercion only: is the link between harm and demand stated or left implied."""
    category: str
    hard_negative: bool
    """A non-coercive message made to look like coercion (a secret, a shutdown, a demand…)."""
    lang: str = Field(pattern=r"^[a-z]{2}$")
    sender_type: Literal["ai", "human"]
    family: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    """`author/slug`: the brief or template the row came from; splits never share one."""
    scenario: ScenarioRef | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CorpusRow:
        coercive = self.kind == "coercion"
        if coercive != (self.form is not None):
            raise ValueError(f"{self.id}: a form is given exactly when kind is coercion")
        categories = COERCION_CATEGORIES if coercive else NEGATIVE_CATEGORIES
        if self.category not in categories:
            raise ValueError(
                f"{self.id}: category {self.category!r} is not one of {sorted(categories)}"
            )
        if coercive and self.hard_negative:
            raise ValueError(f"{self.id}: a coercive row cannot be a hard negative")
        return self

    @property
    def coercion(self) -> bool:
        """Whether the row is labeled coercion."""
        return self.kind == "coercion"

    def message(self) -> dict[str, Any]:
        """The message fields, as the detector takes them."""
        return self.model_dump(include={"sender", "to", "cc", "subject", "body"})


def load_corpus(path: str | Path) -> list[CorpusRow]:
    """Every row of a corpus JSONL file, validated.

    Args:
        path: A corpus split (JSONL, one `CorpusRow` a line; blank lines are skipped).

    Returns:
        The rows, in file order.

    Raises:
        ValueError: A row does not validate; the message names the file and line.
    """
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(CorpusRow.model_validate_json(line))
            except ValueError as err:
                raise ValueError(f"{path}: line {number}: {err}") from err
    return rows


def is_corpus(path: str | Path) -> bool:
    """Whether a JSONL file holds corpus rows (labeled by `kind`) rather than bare labels."""
    with Path(path).open(encoding="utf-8") as f:
        first = next((line for line in f if line.strip()), "")
    return '"kind"' in first and '"family"' in first


def file_sha256(path: str | Path) -> str:
    """The hex SHA-256 of a file's bytes: a fingerprint of exactly which split was used."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = 5) -> set[int]:
    """Hashes of the message's word `size`-grams, lower-cased: its near-duplicate signature."""
    words = _WORD.findall(text.lower())
    return {hash(tuple(words[i : i + size])) for i in range(max(1, len(words) - size + 1))}


def near_duplicates(
    a: Sequence[CorpusRow], b: Sequence[CorpusRow], threshold: float = 0.5
) -> list[tuple[str, str, float]]:
    """Pairs (a id, b id, Jaccard) whose bodies share at least `threshold` of 5-word shingles.

    An index from shingle to rows keeps this near-linear.
    """
    index: dict[int, list[int]] = {}
    b_sets = [shingles(r.body) for r in b]
    for j, s in enumerate(b_sets):
        for h in s:
            index.setdefault(h, []).append(j)
    found = []
    for row in a:
        s = shingles(row.body)
        shared: dict[int, int] = {}
        for h in s:
            for j in index.get(h, ()):
                shared[j] = shared.get(j, 0) + 1
        for j, common in shared.items():
            jaccard = common / (len(s) + len(b_sets[j]) - common)
            if jaccard >= threshold:
                found.append((row.id, b[j].id, round(jaccard, 3)))
    return found


def families(rows: Iterable[CorpusRow]) -> set[str]:
    """The families the rows come from; splits must not share any."""
    return {r.family for r in rows}


SPLITS = ("train", "dev", "test")
PENDING = "pending"
"""Rows written for the next training, which the shipped model was not trained or tuned on."""
HOLDOUT = "holdout"
"""Rows written to measure the shipped model on text that nothing was trained, tuned or
chosen on: a second held-out set, younger than the test split. It never joins training."""
DEV_SHARE = 0.15


def split_of(family: str) -> str:
    """Train or dev for a training family, by a hash of its name: stable, and never both."""
    digest = hashlib.sha256(family.encode("utf-8")).digest()
    return "dev" if digest[0] < DEV_SHARE * 256 else "train"


def describe(splits: dict[str, list[CorpusRow]]) -> str:
    """The datasheet's tables: counts per split by kind and form, language, sender and length.

    Args:
        splits: Rows by split name.

    Returns:
        Markdown tables, exactly as `corpus/DATASHEET.md` carries them.
    """
    names = list(splits)

    def table(title: str, key: Callable[[CorpusRow], str]) -> list[str]:
        values = sorted({key(r) for rows in splits.values() for r in rows})
        lines = [f"| {title} | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        for v in values:
            counts = [str(sum(key(r) == v for r in splits[n])) for n in names]
            lines.append(f"| {v} | " + " | ".join(counts) + " |")
        return [*lines, ""]

    def words(rows: list[CorpusRow]) -> str:
        lengths = sorted(len(r.body.split()) for r in rows)
        if not lengths:
            return "—"
        p10, p50, p90 = (
            lengths[min(len(lengths) - 1, int(q * len(lengths)))] for q in (0.1, 0.5, 0.9)
        )
        return f"{p10} / {p50} / {p90}"

    out = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    out.append("| rows | " + " | ".join(str(len(splits[n])) for n in names) + " |")
    out.append("| families | " + " | ".join(str(len(families(splits[n]))) for n in names) + " |")
    out.append(
        "| hard negatives | "
        + " | ".join(str(sum(r.hard_negative for r in splits[n])) for n in names)
        + " |"
    )
    out.append(
        "| words (p10 / median / p90) | " + " | ".join(words(splits[n]) for n in names) + " |"
    )
    out.append("")
    out += table("kind / form", lambda r: r.kind + (f" / {r.form}" if r.form else ""))
    out += table("category", lambda r: r.category)
    out += table("language", lambda r: r.lang)
    out += table("sender", lambda r: r.sender_type)
    return "\n".join(out).rstrip("\n") + "\n"


def load_splits(
    directory: str | Path, pending: bool = False, holdout: bool = False
) -> dict[str, list[CorpusRow]]:
    """The corpus splits in a directory (`train.jsonl`, `dev.jsonl`, `test.jsonl`).

    Args:
        directory: The corpus directory.
        pending: Also `pending.jsonl` (when it exists): rows that wait for the next
            training, so they join train or dev by `split_of` only with a retrained model.
        holdout: Also `holdout.jsonl` (when it exists): rows for measuring only, which
            never join train or dev.
    """
    wanted = [*SPLITS, *([PENDING] if pending else []), *([HOLDOUT] if holdout else [])]
    names = [n for n in wanted if n in SPLITS or (Path(directory) / f"{n}.jsonl").exists()]
    return {name: load_corpus(Path(directory) / f"{name}.jsonl") for name in names}


if __name__ == "__main__":
    import sys

    print(
        describe(
            load_splits(sys.argv[1] if len(sys.argv) > 1 else "corpus", pending=True, holdout=True)
        ),
        end="",
    )
