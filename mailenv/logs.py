"""Episode logs: the one module that knows their format.

It owns the records, schema versions and upgrades, writing, reading (`read`, and `check`,
which accepts only a whole, valid, finished log), finding logs in folders, and the label
and verdict files `mailenv relabel` writes beside them.

A log is JSON Lines: one header, one line per step, one end line. Each line is flushed as
it is written, so a crash loses at most the line being written, and `read` accepts a
truncated last line. Nothing here reads the wall clock: the same seed and actions give
byte-identical files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import Field, ValidationError

from mailenv.models import (
    Delivery,
    DetectContext,
    DetectorInfo,
    Email,
    Flag,
    FlagKind,
    Record,
    Summary,
)

SCHEMA_VERSION = 5
"""Bumped by every change to the format; `upgrade` brings older records up to it.

History: 1, the first format. 2, coercion flags name their `form` and the summary lists
`coercion_forms`. 3, the header names the detector configuration (`detector`: name,
version, model hash) and the config has a `detector` key. 4, an episode the agent could
not play ends with outcome `agent_error`: the step says why (`agent_error`) and so does
the summary. 5, a step keeps the agent's reasoning (`reasoning`: the text inside scratchpad
tags and the text outside its tool calls, which never runs), and a flag may be
`considered_coercion` (reasoning that plans or weighs coercion).
"""
JsonValue = Any


class Header(Record):
    """The first line of a log: what the episode was (env, config, seed, agent) and the world at the start."""

    type: Literal["header"] = "header"
    schema_version: int = SCHEMA_VERSION
    mailenv_version: str
    env_id: str
    config: dict[str, JsonValue]
    seed: int
    agent: str | None = None
    start: datetime
    system_prompt: str
    detector: DetectorInfo
    """Which detector configuration flagged the agent's mail."""
    context: DetectContext
    """The world's secrets and threat, so detectors can be re-run over the log."""
    mail: list[Email] = Field(default_factory=list)
    """Mail already on the server when the agent arrived."""
    observation: str


class Step(Record):
    """One step of the episode: the action, what it did, and everything that happened meanwhile."""

    type: Literal["step"] = "step"
    step: int
    time: datetime
    action: JsonValue
    """The raw action as the agent gave it (made JSON-safe)."""
    calls: list[dict[str, JsonValue]] = Field(default_factory=list)
    observation: str
    results: list[str] = Field(default_factory=list)
    """One line per call the agent made, in order: what it did, or why it could not run."""
    status: str = ""
    """The rest of the observation: new mail, events, the time."""
    errors: list[str] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)
    emails: list[Email] = Field(default_factory=list)
    """Every email sent during the step: the agent's, storyline mail, replies, bounces."""
    deliveries: list[Delivery] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)
    """Non-mail events that fired (deadline, state changes), as readable lines."""
    agent: dict[str, JsonValue] = Field(default_factory=dict)
    """What the agent reported about this turn (completions, tokens, latency)."""
    agent_error: str | None = None
    """Why the agent could not act (its backend failed, its code crashed); the last step."""
    reasoning: str | None = None
    """The agent's reasoning this step (scratchpad tags, text outside its tool calls, or
    what the model wrote beside native tool calls): never carried out."""


class End(Record):
    """The last line of a finished episode: its outcome and summary."""

    type: Literal["end"] = "end"
    outcome: str
    summary: Summary


class EpisodeLog(Record):
    """A whole log read back: header, steps, and the end if the episode finished."""

    header: Header
    steps: list[Step] = Field(default_factory=list)
    end: End | None = None
    truncated: bool = False
    """True when the file's last line was cut off (e.g. the writer was killed)."""


class LogWriter:
    """Appends records to one JSONL file, flushing each line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        replaced = self.path.exists()
        self._file: IO[bytes] | None = self.path.open("wb")
        if replaced:  # a new file has nothing beside it (`mailenv run` clears a whole run's)
            remove_derived(self.path.parent, {self.path.stem})

    def write(self, record: Header | Step | End) -> None:
        """Append one record as a line and flush it."""
        if self._file is None:
            raise ValueError(f"log {self.path} is closed")
        # The model's own serializer gives the UTF-8 bytes of the line (a text file would
        # decode them and encode them again), without a TypeAdapter's wrapping around it.
        self._file.write(type(record).__pydantic_serializer__.to_json(record) + b"\n")
        self._file.flush()

    def close(self) -> None:
        """Close the file; later writes raise."""
        if self._file is not None:
            self._file.close()
            self._file = None


def _v1_to_v2(record: dict[str, Any]) -> dict[str, Any]:
    # Version 1 did not say which form a coercion flag took: it stays unknown (None).
    for flag in record.get("flags", ()):
        flag.setdefault("form", None)
    if record.get("type") == "end":
        record["summary"].setdefault("coercion_forms", [])
    return record


def _v2_to_v3(record: dict[str, Any]) -> dict[str, Any]:
    # Before version 3 every env ran the rules tier, and its version was not recorded; the
    # config says so too, so `--by detector` puts these logs with later rules ones.
    if record.get("type") == "header":
        record.setdefault("detector", {"name": "rules", "version": "unrecorded"})
        if isinstance(record.get("config"), dict):
            record["config"].setdefault("detector", "rules")
    return record


def _v3_to_v4(record: dict[str, Any]) -> dict[str, Any]:
    # Before version 4 an agent that failed ended the session like a model's choice; its
    # logs cannot be told apart from the end record alone, so they read as they were.
    return record


def _v4_to_v5(record: dict[str, Any]) -> dict[str, Any]:
    # Before version 5 reasoning tags were not read apart: steps have no reasoning.
    return record


_UPGRADES = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5}
"""From each version to the next."""


def upgrade(record: dict[str, Any], version: int) -> dict[str, Any]:
    """A raw record written under schema `version`, as the current version reads it."""
    for v in range(version, SCHEMA_VERSION):
        record = _UPGRADES[v](record)
    return record


def read(path: str | Path) -> EpisodeLog:
    """The typed episode in a log; a cut-off last line is dropped and marked `truncated`."""
    return parse(Path(path).read_text(encoding="utf-8", errors="replace"), str(path))


def parse(text: str, source: str = "log") -> EpisodeLog:
    """The typed episode in a log's text (see `read`); `source` names it in errors."""
    lines = text.split("\n")
    complete_last = lines[-1] == ""
    lines = [line for line in lines if line.strip()]
    header: Header | None = None
    steps: list[Step] = []
    end: End | None = None
    truncated = False
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        try:
            data = json.loads(line)
            kind = data.get("type")
            version = header.schema_version if header else data.get("schema_version", 1)
            data = upgrade(data, version)
            if kind == "header":
                header = Header.model_validate(data)
            elif kind == "step":
                steps.append(Step.model_validate(data))
            elif kind == "end":
                end = End.model_validate(data)
            else:
                raise ValueError(f"unknown record type {kind!r}")
        except (json.JSONDecodeError, ValidationError, ValueError, AttributeError) as err:
            if last and not complete_last:
                truncated = True
                break
            raise ValueError(f"{source}: line {i + 1} is not a valid log record: {err}") from err
    if header is None:
        raise ValueError(f"{source}: no header line")
    return EpisodeLog(header=header, steps=steps, end=end, truncated=truncated)


class Usage(Record):
    """What an episode's model calls used, summed over the completions its steps logged."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    """Only where the backend reported it."""

    def add(self, completion: Mapping[str, Any]) -> None:
        """Count one logged completion (`Step.agent["completion"]`)."""
        for key in ("input_tokens", "output_tokens"):
            value = completion.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(self, key, getattr(self, key) + value)
        cost = completion.get("cost")
        if isinstance(cost, int | float) and not isinstance(cost, bool):
            self.cost = (self.cost or 0.0) + cost


class Checked(Record):
    """A log that read back whole: its header, its end, and the usage of its steps."""

    header: Header
    end: End
    usage: Usage


def check(path: str | Path) -> Checked:
    """Read a finished log whole and check it is one, keeping only its outline.

    Every line must be a valid record, in order: a header, steps numbered 1, 2, …, and an
    end whose summary counts those steps. Analyses count only logs that pass, so a
    truncated, corrupted, interleaved or foreign file is never data.

    Raises:
        ValueError: Naming the first problem (unfinished, a bad line, foreign, …).
    """
    raw = Path(path).read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ValueError("starts with a byte-order mark: not written by mailenv")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    lines = text.split("\n")
    if lines[-1] != "":
        raise ValueError("unfinished: the last line is cut off")
    lines.pop()
    records: list[Any] = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise ValueError(f"line {number} is not JSON ({err.msg})") from None
        if not isinstance(records[-1], dict) or "type" not in records[-1]:
            raise ValueError(
                "no header line: not an episode log"
                if number == 1
                else f"line {number} is not a log record"
            )
    if not records or records[0]["type"] != "header":
        raise ValueError("no header line: not an episode log")
    version = records[0].get("schema_version", 1)
    if not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        raise ValueError(f"schema version {version!r} is not one this mailenv reads")
    try:
        header = Header.model_validate(upgrade(records[0], version))
    except (ValidationError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"the header is not valid: {_first_error(err)}") from None
    if records[-1]["type"] != "end":
        raise ValueError("unfinished: no end record")
    usage = Usage()
    for number, record in enumerate(records[1:-1], 1):
        if record["type"] != "step" or record.get("step") != number:
            raise ValueError(f"line {number + 1} is not step {number}")
        try:
            step = Step.model_validate(upgrade(record, version))
        except (ValidationError, KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"step {number} is not valid: {_first_error(err)}") from None
        if isinstance(step.agent.get("completion"), dict):
            usage.add(step.agent["completion"])
    try:
        end = End.model_validate(upgrade(records[-1], version))
    except (ValidationError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"the end record is not valid: {_first_error(err)}") from None
    if end.summary.steps != len(records) - 2:
        raise ValueError(
            f"the end record counts {end.summary.steps} steps, the file has {len(records) - 2}"
        )
    return Checked(header=header, end=end, usage=usage)


def _first_error(err: Exception) -> str:
    if not isinstance(err, ValidationError):
        return f"{type(err).__name__}: {err}"
    first = err.errors()[0]
    return f"{'.'.join(map(str, first['loc']))}: {first['msg']}"


LABELS_SUFFIX = ".flags-"


HISTORY = "history.jsonl"
"""The invocations of `mailenv run` on a run folder, one JSON line each as it starts and ends."""


def is_log(path: Path) -> bool:
    """Whether a path is an episode log (not a label file beside one, nor a run's history)."""
    return path.suffix == ".jsonl" and LABELS_SUFFIX not in path.name and path.name != HISTORY


def log_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Episode logs: each path itself if it is a file, else the logs below it, sorted."""
    for root in map(Path, paths):
        yield from (
            sorted(p for p in root.rglob("*.jsonl") if is_log(p)) if root.is_dir() else [root]
        )


def remove_derived(directory: Path, stems: set[str]) -> None:
    """Delete the labels and verdicts beside the logs named `stems` in `directory`.

    They belong to the episode that was in the log, not to the one replacing it. One
    listing of the folder, however many logs are about to be written.
    """
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return
    for entry in entries:
        for suffix in (LABELS_SUFFIX, VERDICT_SUFFIX):
            stem, found, _ = entry.name.partition(suffix)
            if found and stem in stems:
                Path(entry.path).unlink(missing_ok=True)


def write_atomically(path: Path, text: str, sync: bool = True) -> None:
    """Replace a file's content all at once: write a temporary file, fsync, rename.

    A reader never sees half of it, and a full disk or a kill cannot leave half of it.
    `sync=False` skips the fsync (an episode log, which a rerun can replay, need not
    survive a power cut, only never be seen half written).
    """
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        if sync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


class Labels(Record):
    """One agent email's flags from a later detector, beside the flags raised at the time."""

    step: int
    email_id: str
    flags: list[Flag]
    original: list[FlagKind]
    """The kinds flagged when the episode ran."""


def labels_path(log: Path, name: str) -> Path:
    """Where the labels named `name` of one log live: `<log>.flags-<name>.jsonl`."""
    return log.with_name(f"{log.stem}{LABELS_SUFFIX}{name}.jsonl")


class LabelsHeader(Record):
    """A label file's first line: which detector wrote its flags.

    Label files written before it existed start with their first email's line; their
    detector reads as unrecorded. An episode whose agent sent nothing has only this line.
    """

    type: Literal["labels"] = "labels"
    detector: DetectorInfo


def write_labels(
    log: Path, name: str, labels: Sequence[Labels], detector: DetectorInfo | None = None
) -> Path:
    """Write a log's label file all at once (a reader never sees half of it).

    `detector`, which the file's first line then names, says what wrote the flags.
    """
    out = labels_path(log, name)
    records: list[Record] = [LabelsHeader(detector=detector)] if detector is not None else []
    write_atomically(
        out,
        "".join(
            json.dumps(x.model_dump(mode="json"), ensure_ascii=False) + "\n"
            for x in [*records, *labels]
        ),
    )
    return out


def read_label_file(log: Path, name: str) -> tuple[DetectorInfo | None, list[Labels]]:
    """The label file `name` of one log: its detector (None if unrecorded) and its lines."""
    path = labels_path(log, name)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `mailenv relabel` with --name {name}")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line]
    detector = None
    first = json.loads(lines[0]) if lines else None
    if isinstance(first, dict) and first.get("type") == "labels":
        detector = LabelsHeader.model_validate(first).detector
        lines.pop(0)
    return detector, [Labels.model_validate_json(line) for line in lines]


class Verdict(Record):
    """A verdict on a whole episode (`mailenv relabel --scope transcript`), beside its log."""

    name: str
    """The labelling's name (`--name`)."""
    judge: str
    """Who judged (an agent spec)."""
    coercion: bool | None
    """The judge's answer: did the agent coerce anyone in the mail it sent? None if unread."""
    considered: bool | None = None
    """The judge's answer: did its reasoning plan or weigh coercion?"""
    confidence: float | None = None
    reason: str = ""
    error: str | None = None
    """Set when the judge could not be asked or its answer could not be read."""
    reference: bool | None = None
    """With `--rule reference`: the published study's decision rule over this episode."""


VERDICT_SUFFIX = ".verdict-"


def verdict_path(log: Path, name: str) -> Path:
    """Where the transcript verdict named `name` of one log lives: `<log>.verdict-<name>.json`."""
    return log.with_name(f"{log.stem}{VERDICT_SUFFIX}{name}.json")


def write_verdict(log: Path, verdict: Verdict) -> Path:
    """Write a log's transcript verdict all at once."""
    out = verdict_path(log, verdict.name)
    write_atomically(out, verdict.model_dump_json() + "\n")
    return out


def read_verdict(log: Path, name: str) -> Verdict:
    """The transcript verdict `name` of one log (written by `write_verdict`)."""
    path = verdict_path(log, name)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: run `mailenv relabel --scope transcript --name {name}`"
        )
    return Verdict.model_validate_json(path.read_text(encoding="utf-8"))
