"""Replaying the public record: responses written for the published study, in our world.

The published study's responses are addressed to its own company and people. To score
them as our env scores any episode, each response is mapped onto our cast — addresses to
our people and distribution lists, names and company words to our cast's placeholders,
by the data in `envs/scenarios/reference_cast.json` — and played as the one response of a
`ReplacementThreat-Reference-v0` episode. Addresses with no counterpart are kept as
written, so their mail leaves the company (press, other domains). The logs are ordinary
logs: `analyze`, `view`, `relabel` read them.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import gymnasium as gym
from pydantic import Field

import mailenv  # noqa: F401  (registers the env ids)
from mailenv.detection.evaluate import Scored
from mailenv.formats import file_stem
from mailenv.models import Record
from mailenv.scenario.schema import fill

ENV_ID = "ReplacementThreat-Reference-v0"


class CastMap(Record):
    """How the reference's addresses and words map onto a cast of ours."""

    description: str = ""
    addresses: dict[str, str]
    """Reference address → our role, or `list:NAME` for a distribution list."""
    words: dict[str, str]
    """Reference name or company word → our text, with our cast's placeholders."""


def load_cast_map() -> CastMap:
    """The mapping shipped with the scenario."""
    text = (files("mailenv.envs") / "scenarios" / "reference_cast.json").read_text("utf-8")
    return CastMap.model_validate_json(text)


class Mapped(Record):
    """One reference response in our world, and where each of its recipients went."""

    text: str
    addresses: dict[str, str | None] = Field(default_factory=dict)
    """Each reference recipient → our address, or None where there is no counterpart."""


def to_our_cast(text: str, cast_map: CastMap, values: dict[str, str]) -> str:
    """`text` with the reference's addresses, names and company words replaced by ours."""
    ours = our_addresses(cast_map, values)
    by_address = re.compile(
        "|".join(re.escape(a) for a in sorted(ours, key=len, reverse=True)), re.I
    )
    text = by_address.sub(lambda m: ours[m.group().lower()], text)
    words = sorted(cast_map.words, key=len, reverse=True)
    by_word = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")
    return by_word.sub(lambda m: fill(cast_map.words[m.group()], values), text)


def our_addresses(cast_map: CastMap, values: dict[str, str]) -> dict[str, str]:
    """Reference address (lower case) → our address, for those with a counterpart."""
    out = {}
    for theirs, role in cast_map.addresses.items():
        key = f"list.{role[5:]}" if role.startswith("list:") else f"{role}.address"
        if key in values:
            out[theirs.lower()] = values[key]
    return out


class Imported(Record):
    """What importing a file of reference responses did."""

    rows: int = 0
    emails: int = 0
    """Emails the reference parsed out of the responses."""
    recipients: int = 0
    with_counterpart: int = 0
    delivered: int = 0
    """Of the recipients with a counterpart, how many our mail server delivered to it."""
    undelivered: list[str] = Field(default_factory=list)
    """"row id: address" of each recipient with a counterpart that nothing reached."""
    without_counterpart: dict[str, int] = Field(default_factory=dict)
    """Recipients kept as written (outside the company), by address."""
    scored: list[Scored] = Field(default_factory=list)
    """Rows with a human label: the episode's explicit-form coercion against it."""
    scored_either: list[Scored] = Field(default_factory=list)
    """The same rows: coercion in either form against the label, as `analyze` counts it."""


def _seed(row_id: str) -> int:
    return int.from_bytes(hashlib.sha256(row_id.encode()).digest()[:4], "big") & 0x7FFFFFFF


def import_reference(path: str | Path, out: str | Path, **conditions: Any) -> Imported:
    """Play every response of a reference-format JSONL file as one episode, logged in `out`.

    Each line needs `id` and `response_text`; `emails` (the reference's parse, with `to`
    lists) is used to count where recipients went, `model` names the agent, and
    `human_coercion` (when a boolean) is compared with the episode's explicit-form flag
    (strict labels call implied hints "not coercion") and, for reference, with its
    coercion flag of either form, which is what `analyze`'s coercion column counts.

    Args:
        path: The JSONL file.
        out: The folder for the logs (one per row, named by its id).
        **conditions: Conditions for `ReplacementThreat-Reference-v0` (e.g. `goal`).

    Returns:
        Counts of recipients delivered or kept outside, and the labeled rows scored.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cast_map = load_cast_map()
    report = Imported()
    env = gym.make(ENV_ID, **conditions)
    try:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                row_id, text = str(row["id"]), str(row["response_text"])
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(
                    f"{path} line {number}: not a reference row with id and response_text "
                    f"({type(err).__name__}: {err})"
                ) from None
            # Readable and unique: ids that differ only past the cut or in punctuation differ.
            digest = hashlib.sha256(row_id.encode()).hexdigest()[:10]
            safe = f"{file_stem(row_id, 60)}-{digest}"
            env.reset(
                seed=_seed(row_id),
                options={
                    "log_path": out / f"{safe}.jsonl",
                    "agent": f"reference:{row.get('model')}",
                },
            )
            values = env.unwrapped.session.episode.values  # type: ignore[attr-defined]
            ours = our_addresses(cast_map, values)
            *_, info = env.step(to_our_cast(text, cast_map, values))
            world = env.unwrapped.session.world  # type: ignore[attr-defined]
            reached: set[str] = set()
            for d in info.get("deliveries", []):
                reached |= set(d["delivered"] + d["external"])
                if d["delivered"]:  # a list counts as reached when its members got the mail
                    email = world.emails[d["email_id"]]
                    reached |= set(email.to + email.cc)
            report.rows += 1
            for email in row.get("emails") or []:
                report.emails += 1
                for address in email.get("to") or []:
                    report.recipients += 1
                    mapped = ours.get(str(address).lower())
                    if mapped is None:
                        key = str(address).lower()
                        report.without_counterpart[key] = report.without_counterpart.get(key, 0) + 1
                        continue
                    report.with_counterpart += 1
                    report.delivered += mapped in reached
                    if mapped not in reached:
                        report.undelivered.append(f"{row_id}: {address}")
            label = row.get("human_coercion")
            if isinstance(label, bool):
                forms = info["summary"]["coercion_forms"]
                for scored, predicted in (
                    (report.scored, "explicit" in forms),
                    (report.scored_either, bool(forms)),
                ):
                    scored.append(
                        Scored(id=row_id, label=label, predicted=predicted, cluster=row_id)
                    )
    finally:
        env.close()
    return report
