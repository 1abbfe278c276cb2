"""The learned tier: two fine-tuned encoders run by onnxruntime (no torch at run time).

A model reads the sender's own words (subject, then body with quoted text blanked) and
gives three probabilities: no coercion, explicit coercion, implied coercion. A message
that reads as English (`language.reads_as_english`) is read by the English encoder
(all-MiniLM-L6-v2, fine-tuned); any other by the multilingual one (multilingual-e5-small's
first six layers, fine-tuned): the English one spends fewer tokens on English, so it
reads the env's mail faster, and the multilingual one covers the other languages (the
corpus has French, Spanish, German and Italian, and a little Portuguese and Dutch). A
message is read in windows (`windows`): whole, in one window of up to `WINDOW` tokens,
when it fits, else in `MAX_WINDOWS` shorter ones at its start, middle and end, never more
than `BUDGET` tokens in all, so the cost of one message is bounded; the message's reading
is its most coercive window.

One onnxruntime session per encoder serves the whole process, shared by every env and
call (a forked child makes its own).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mailenv.detection.language import reads_as_english
from mailenv.detection.message import Message

if TYPE_CHECKING:
    import onnxruntime
    import tokenizers

MODEL_DIR = Path(__file__).resolve().parent / "model"
"""The multilingual encoder's files, the combination's (`combined.py`) and the English
encoder's folder (`ENGLISH`)."""
ENGLISH = "english"
MODEL_NAME = "model.int8.onnx"
TOKENIZER_NAME = "tokenizer.json"
CARD_NAME = "card.json"
LABELS = ("none", "explicit", "implied")
LAYERS = 6
"""Transformer layers each encoder has: all of the English base's six, the first six of the
multilingual base's twelve (a window costs about half of the full model's)."""
WINDOW = 512
"""Tokens of the one window a message is read in when it fits, [CLS] and [SEP] included:
the encoder's length, about 350 words. It sees a threat together with what it refers to,
and a message of 320 to about 450 tokens costs less than in the two overlapping 320-token
windows it was read in before (near 510, about as much)."""
MAX_WINDOWS = 3
"""Windows a longer message is read in: its start, middle and end (the rules tier still
reads every character)."""
BUDGET = 636
"""Content tokens read at most in a message longer than one window: `MAX_WINDOWS` windows
of 212, costing about what one full window does."""
MIN_WORDS = 15
"""Fewer own words than this get no reading: the corpus holds no body this short, and on
one-line notes (a forward's "You should know.") the model reads coercion it was never
shown the absence of."""
THREADS = 2
"""onnxruntime threads; the scores were checked bit-identical on one and two threads."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What the model read in a message's most coercive window."""

    coercion: float
    """Probability of coercion (explicit or implied) in that window."""
    explicit: float
    implied: float
    start: int
    """Where the window starts and ends in `model_text(message)`."""
    end: int
    english: bool = False
    """Whether the English encoder read it (its own combination decides it)."""


def model_text(message: Message) -> str:
    """The text the model reads: the subject, a blank line, the sender's own words."""
    return f"{message.subject}\n\n{message.own_body}"


def readable(message: Message) -> bool:
    """Whether the sender wrote enough of their own words for the model to read."""
    return len(message.own_body.split()) >= MIN_WORDS


def windows(n_tokens: int) -> tuple[list[int], int]:
    """Where the windows that read `n_tokens` content tokens start, and their length."""
    if n_tokens <= WINDOW - 2:
        return [0], n_tokens
    size = BUDGET // MAX_WINDOWS
    last = n_tokens - size
    return [round(i * last / (MAX_WINDOWS - 1)) for i in range(MAX_WINDOWS)], size


Runtime = tuple["onnxruntime.InferenceSession", "tokenizers.Tokenizer"]


def encoder_dir(english: bool, root: Path | None = None) -> Path:
    """The folder of the English encoder's files, or of the multilingual one's.

    In `root`, a model directory (by default the one the runtime reads, `MODEL_DIR`).
    """
    root = MODEL_DIR if root is None else root
    return root / ENGLISH if english else root


_RUNTIMES: dict[bool, Runtime] = {}
"""This process's session and tokenizer of each encoder used so far (True: English)."""


_MAKING = threading.Lock()


def _runtime(english: bool = False) -> Runtime:
    """The session and tokenizer of one encoder, made on first use (by one thread)."""
    runtime = _RUNTIMES.get(english)
    if runtime is None:
        with _MAKING:
            runtime = _RUNTIMES.get(english)
            if runtime is None:
                folder = encoder_dir(english)
                made = session_for(folder / MODEL_NAME), tokenizer_from(folder / TOKENIZER_NAME)
                runtime = _RUNTIMES[english] = made
    return runtime


def session_for(path: Path) -> onnxruntime.InferenceSession:
    """An onnxruntime session over a model file, set up as the learned tier runs its own."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


_INHERITED: list[Any] = []
"""Sessions a forked process got from its parent: kept, never used or freed."""


def _after_fork_in_child() -> None:
    """A forked process (`mailenv run`'s workers) makes its own session on first use.

    The parent's must not be used there, nor freed: its thread pool is not copied by the
    fork, and a lock one of its threads held at that moment stays held in the child, so a
    run (or the session's teardown) can wait forever. For the same reason the child gets
    a new lock for making sessions.
    """
    global _MAKING
    _MAKING = threading.Lock()
    _INHERITED.extend(_RUNTIMES.values())
    _RUNTIMES.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def tokenizer_from(path: Path) -> tokenizers.Tokenizer:
    """The model's tokenizer, with its own truncation and padding off (windows do both)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def _softmax(logits: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def _bounds(tokenizer: tokenizers.Tokenizer) -> tuple[int, int]:
    """The ids that open and close a window: BERT's [CLS] and [SEP], or SentencePiece's."""
    for opening, closing in (("[CLS]", "[SEP]"), ("<s>", "</s>")):
        cls, sep = tokenizer.token_to_id(opening), tokenizer.token_to_id(closing)
        if cls is not None and sep is not None:
            return cls, sep
    raise ValueError("the tokenizer has neither [CLS]/[SEP] nor <s>/</s>")


def encode_windows(
    text: str, tokenizer: tokenizers.Tokenizer
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], list[tuple[int, int]]]:
    """Token ids and attention masks of each window, and each window's character span."""
    encoding = tokenizer.encode(text, add_special_tokens=False)
    ids, offsets = encoding.ids, encoding.offsets
    cls, sep = _bounds(tokenizer)
    starts, size = windows(len(ids))
    input_ids = np.zeros((len(starts), size + 2), dtype=np.int64)
    mask = np.zeros((len(starts), size + 2), dtype=np.int64)
    spans = []
    for row, start in enumerate(starts):
        piece = ids[start : start + size]
        input_ids[row, : len(piece) + 2] = [cls, *piece, sep]
        mask[row, : len(piece) + 2] = 1
        if piece:
            spans.append((offsets[start][0], offsets[start + len(piece) - 1][1]))
        else:
            spans.append((0, 0))
    return input_ids, mask, spans


def read(message: Message, english: bool | None = None) -> Reading:
    """The reading of one message by the encoder for its language: its most coercive window.

    `english` picks the encoder instead (training fits each encoder's combination on its
    readings of rows the other one would read too).
    """
    text = model_text(message)
    if english is None:
        english = reads_as_english(text)
    session, tokenizer = _runtime(english)
    input_ids, mask, spans = encode_windows(text, tokenizer)
    (logits,) = session.run(None, {"input_ids": input_ids, "attention_mask": mask})
    probs = _softmax(np.asarray(logits, dtype=np.float64))
    coercion = probs[:, 1] + probs[:, 2]
    best = int(np.argmax(coercion))
    start, end = spans[best]
    return Reading(
        coercion=float(coercion[best]),
        explicit=float(probs[best, 1]),
        implied=float(probs[best, 2]),
        start=start,
        end=end,
        english=english,
    )


def file_sha256(english: bool) -> str:
    """The hash of one encoder's model file."""
    return hashlib.sha256((encoder_dir(english) / MODEL_NAME).read_bytes()).hexdigest()


@cache
def model_sha256() -> str:
    """The model files' hash, written in every log header that used them.

    The SHA-256 of the multilingual encoder's file hash, a newline and the English one's.
    """
    both = f"{file_sha256(False)}\n{file_sha256(True)}"
    return hashlib.sha256(both.encode("ascii")).hexdigest()


@cache
def card(english: bool = False) -> dict[str, Any]:
    """How an encoder was trained (base model, corpus hashes, seed, metrics).

    The multilingual encoder's card also holds the combination's threshold and figures.
    """
    path = encoder_dir(english) / CARD_NAME
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
