"""Task runners: load a transformers model once, then run one batch of inputs end to end
(pre-processing, forward pass, post-processing to a prediction), as a user would.

Generation is greedy (``do_sample=False, num_beams=1``) with exactly ``new_tokens`` new
tokens (``min_new_tokens == max_new_tokens``), so that every model does the same work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from effdash.measure.errors import ModelLoadFailed, UnsupportedTask
from effdash.measure.inputs import with_mask_token

DEFAULT_NEW_TOKENS = 32
MAX_LENGTH = 512  # tokens; longer inputs are truncated


@dataclass
class Runner:
    """A loaded model and the function that runs one batch of its task."""

    task: str
    model: Any
    processor: Any
    device: str
    run_batch: Callable[[list], Any]
    settings: dict

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def _tok(tokenizer, texts, device, **kw):
    return tokenizer(texts, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt", **kw).to(device)


def _classify(model, tok, device):
    return lambda batch: model(**_tok(tok, batch, device)).logits.argmax(-1).tolist()


def _tokens(model, tok, device):
    return lambda batch: model(**_tok(tok, batch, device)).logits.argmax(-1).tolist()


def _qa(model, tok, device):
    def run(batch):
        out = model(**_tok(tok, [b["question"] for b in batch], device, text_pair=[b["context"] for b in batch]))
        return list(zip(out.start_logits.argmax(-1).tolist(), out.end_logits.argmax(-1).tolist()))
    return run


def _fill_mask(model, tok, device):
    def run(batch):
        enc = _tok(tok, [with_mask_token(t, tok.mask_token) for t in batch], device)
        logits = model(**enc).logits
        return logits[enc["input_ids"] == tok.mask_token_id].argmax(-1).tolist()
    return run


def embed(model, tok, device, texts):
    """Mean-pooled, L2-normalised embeddings (the sentence-transformers recipe of MiniLM)."""
    import torch

    enc = _tok(tok, texts, device)
    hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


def _features(model, tok, device):
    return lambda batch: embed(model, tok, device, batch).shape


def _similarity(model, tok, device):
    def run(batch):
        a = embed(model, tok, device, [b["source"] for b in batch])
        b = embed(model, tok, device, [b["target"] for b in batch])
        return (a * b).sum(-1).tolist()
    return run


def _generate(model, tok, device, new_tokens):
    def run(batch):
        enc = _tok(tok, batch, device)
        enc.pop("token_type_ids", None)
        out = model.generate(**enc, do_sample=False, num_beams=1, max_new_tokens=new_tokens,
                             min_new_tokens=new_tokens, pad_token_id=tok.pad_token_id)
        return tok.batch_decode(out, skip_special_tokens=True)
    return run


def _images(model, proc, device):
    return lambda batch: model(**proc(images=batch, return_tensors="pt").to(device)).logits.argmax(-1).tolist()


#: task -> (transformers Auto class name, processor kind, batch-function factory)
TASK_SPECS: dict[str, tuple[str, str, Callable]] = {
    "text-classification": ("AutoModelForSequenceClassification", "tokenizer", _classify),
    "token-classification": ("AutoModelForTokenClassification", "tokenizer", _tokens),
    "question-answering": ("AutoModelForQuestionAnswering", "tokenizer", _qa),
    "fill-mask": ("AutoModelForMaskedLM", "tokenizer", _fill_mask),
    "feature-extraction": ("AutoModel", "tokenizer", _features),
    "sentence-similarity": ("AutoModel", "tokenizer", _similarity),
    "summarization": ("AutoModelForSeq2SeqLM", "tokenizer", None),
    "text-generation": ("AutoModelForCausalLM", "tokenizer", None),
    "image-classification": ("AutoModelForImageClassification", "image_processor", _images),
}
SUPPORTED_TASKS = tuple(TASK_SPECS)


def _load_processor(kind: str, model_ref: str, task: str):
    import transformers

    if kind == "image_processor":
        return transformers.AutoImageProcessor.from_pretrained(model_ref)
    tok = transformers.AutoTokenizer.from_pretrained(model_ref, padding_side="left" if task == "text-generation" else "right")
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token or tok.sep_token or tok.unk_token
    return tok


def load_runner(model_ref: str, task: str, *, device: str = "cpu", new_tokens: int = DEFAULT_NEW_TOKENS) -> Runner:
    """Load ``model_ref`` (Hub id or local folder) for ``task`` on ``device``, in eval mode."""
    if task not in TASK_SPECS:
        raise UnsupportedTask(f"effdash cannot measure the task {task!r}. Measurable tasks: {', '.join(SUPPORTED_TASKS)}.")
    import transformers

    import torch

    transformers.utils.logging.disable_progress_bar()  # effdash shows its own progress
    transformers.utils.logging.set_verbosity_error()
    auto_name, kind, factory = TASK_SPECS[task]
    try:
        processor = _load_processor(kind, model_ref, task)
        model = getattr(transformers, auto_name).from_pretrained(model_ref).to(device).eval()
    except Exception as exc:  # transformers raises OSError, ValueError, KeyError... for a bad model
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:300].rstrip(". ")
        raise ModelLoadFailed(f"Cannot load {model_ref!r} for {task}: {reason}. "
                              "Check the model id or folder, and that it fits this task.") from exc
    settings: dict = {"auto_class": auto_name, "dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
                      "torch_threads": torch.get_num_threads()}
    if factory is None:  # generation tasks
        settings.update(new_tokens=new_tokens, decoding="greedy")
        run = _generate(model, processor, device, new_tokens)
    else:
        run = factory(model, processor, device)
    return Runner(task, model, processor, device, run, settings)
