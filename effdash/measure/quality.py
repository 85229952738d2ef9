"""Quality measured in the same run, on the labelled evaluation sets shipped in data/inputs/.

- text-classification: accuracy on ``effdash-sentiment`` (positive/negative reviews). Only
  models whose labels name the sentiment (e.g. POSITIVE/NEGATIVE, pos/neg) can be scored;
  others get no quality figure rather than a guessed label mapping.
- sentence-similarity: ROC AUC on ``effdash-paraphrase``: how well the cosine similarity
  separates paraphrases (active/passive pairs, label 1) from unrelated pairs (label 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from effdash.measure.inputs import EvalSet
from effdash.measure.runners import Runner, embed

SPLIT = "effdash-v1"


@dataclass(frozen=True)
class QualityResult:
    metric: str
    dataset: str
    value: float  # 0..1
    examples: int
    note: str = ""


def sentiment_label_map(id2label: dict) -> dict[int, str] | None:
    """Model label id -> 'positive'/'negative', when the model's label names say so."""
    out = {}
    for idx, name in id2label.items():
        key = str(name).strip().lower()
        if key.startswith("pos"):
            out[int(idx)] = "positive"
        elif key.startswith("neg"):
            out[int(idx)] = "negative"
    return out if set(out.values()) == {"positive", "negative"} else None


def accuracy(predicted: list, expected: list) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(expected, predicted))


def roc_auc(labels: list[int], scores: list[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def _batches(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def evaluate(runner: Runner, eval_set: EvalSet, batch_size: int = 16) -> QualityResult | None:
    """Score ``runner`` on ``eval_set``; None when the model cannot be scored honestly."""
    import torch

    examples = eval_set.examples
    with torch.inference_mode():
        if eval_set.metric == "accuracy":
            mapping = sentiment_label_map(runner.model.config.id2label)
            if mapping is None:
                return None
            preds = [mapping.get(p) for chunk in _batches(examples, batch_size)
                     for p in runner.run_batch([e["text"] for e in chunk])]
            value = accuracy(preds, [e["label"] for e in examples])
        elif eval_set.metric == "roc_auc":
            scores = []
            for chunk in _batches(examples, batch_size):
                a = embed(runner.model, runner.processor, runner.device, [e["source"] for e in chunk])
                b = embed(runner.model, runner.processor, runner.device, [e["target"] for e in chunk])
                scores += (a * b).sum(-1).tolist()
            value = roc_auc([e["label"] for e in examples], scores)
        else:
            return None
    return QualityResult(eval_set.metric, eval_set.dataset, value, len(examples))
