"""The border: a ``huggingface_hub.ModelInfo`` becomes effdash's :class:`HubModel`, here and only here.

Rules (documented for users in the README):

- parameters: ``safetensors.total``; else an estimate from ``config.json`` (embeddings, attention
  and MLP weights; biases and norms ignored), marked ``parameters_derived``.
- lineage: the Hub's ``baseModels``, the ``base_model:<relation>:<id>`` tags and the card's
  ``base_model`` (+ ``base_model_relation``). A card tagged ``distillation``/``distilled`` or whose
  ``base_model_relation`` is ``distilled`` turns its fine-tune edges into ``distilled``.
- quality: the card's ``model-index`` and the Hub's eval results; a value in 0..1 is a fraction,
  in (1, 100] a percentage; other values are skipped and reported.
- training emissions: the card's ``co2_eq_emissions`` (grams, a number or ``{emissions: g}``) in kg.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from huggingface_hub import ModelInfo

from effdash.tasks import TASKS

RELATIONS = ("finetune", "quantized", "adapter", "merge", "distilled")
DISTILLED_TAGS = {"distillation", "distilled", "knowledge-distillation"}
LOWER_IS_BETTER = {"wer", "cer", "perplexity", "loss", "mae", "mse", "rmse", "ter"}
#: Benchmarks published as one Hub dataset with one config per task: the config names the dataset.
CONFIG_NAMED = {"glue", "super_glue", "nyu-mll/glue", "aps/super_glue"}


@dataclass(frozen=True)
class LineageEdge:
    base_model_id: str
    relation: str
    source: str


@dataclass(frozen=True)
class CardScore:
    """One quality figure from the model card, ready for ``records.add_quality``."""

    task: str
    dataset: str
    metric: str
    value: float
    scale_max: float
    higher_is_better: bool = True
    split: str = ""
    slice: str = ""


@dataclass
class HubModel:
    """What effdash keeps about a model from the Hub, in its own units and names."""

    model_id: str
    revision: str | None = None
    pipeline_tag: str | None = None
    parameters: int | None = None
    parameters_derived: bool = False
    parameters_source: str | None = None
    library: str | None = None
    license: str | None = None
    downloads: int | None = None
    likes: int | None = None
    gated: str | None = None  # "auto" | "manual" | "no"; None = not stated
    private: bool | None = None
    tags: list[str] = field(default_factory=list)
    author: str | None = None
    last_modified: datetime | None = None
    lineage: list[LineageEdge] = field(default_factory=list)
    scores: list[CardScore] = field(default_factory=list)
    skipped_scores: list[str] = field(default_factory=list)
    training_co2e_kg: float | None = None
    training_co2e_source: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["last_modified"] = self.last_modified.isoformat() if self.last_modified else None
        d["base_models"] = [{"model_id": e.base_model_id, "relation": e.relation} for e in self.lineage]
        return d


def parse_model_info(info: ModelInfo, config: dict[str, Any] | None = None) -> HubModel:
    """Map a ModelInfo (and, when safetensors is absent, the model's config.json) to a HubModel."""
    card = _card_dict(info)
    rev = info.sha or "unknown"
    model = HubModel(
        model_id=info.id, revision=info.sha, pipeline_tag=info.pipeline_tag, library=info.library_name,
        license=_license(card, info.tags or []), downloads=info.downloads, likes=info.likes,
        gated=_gated(info.gated), private=info.private, tags=list(info.tags or []), author=info.author,
        last_modified=info.last_modified,
    )
    model.parameters, model.parameters_derived, model.parameters_source = _parameters(info, config, rev)
    model.lineage = lineage(info, card, rev)
    model.scores, model.skipped_scores = card_scores(info, card)
    model.training_co2e_kg, model.training_co2e_source = training_co2e(card, rev)
    return model


def _card_dict(info: ModelInfo) -> dict[str, Any]:
    card = info.card_data
    if card is None:
        return {}
    return card if isinstance(card, dict) else card.to_dict()


def _license(card: dict[str, Any], tags: list[str]) -> str | None:
    value = card.get("license")
    if isinstance(value, list):
        value = value[0] if value else None
    if value:
        return str(value)
    return next((t.removeprefix("license:") for t in tags if t.startswith("license:")), None)


def _gated(value: Any) -> str | None:
    if value is None:
        return None
    return "no" if value is False else str(value)


# --- parameters ---------------------------------------------------------------------------------

def _parameters(info: ModelInfo, config: dict | None, rev: str) -> tuple[int | None, bool, str | None]:
    if info.safetensors is not None and info.safetensors.total:
        return int(info.safetensors.total), False, f"Hub safetensors metadata (total) at revision {rev}"
    for name, cfg in (("config.json", config), ("the Hub's config", info.config)):
        estimate = parameters_from_config(cfg or {})
        if estimate is not None:
            return estimate, True, (f"derived from {name} at revision {rev} (estimate: embedding, attention "
                                    "and MLP weights; biases and norms ignored)")
    return None, False, None


def _first(cfg: dict, *keys: str) -> Any:
    return next((cfg[k] for k in keys if cfg.get(k) is not None), None)


def parameters_from_config(cfg: dict[str, Any]) -> int | None:
    """Weights of a transformer from its config (BERT, GPT-2, Llama-style names), or None."""
    vocab = _first(cfg, "vocab_size")
    hidden = _first(cfg, "hidden_size", "n_embd", "d_model", "dim")
    layers = _first(cfg, "num_hidden_layers", "n_layer", "num_layers", "n_layers")
    if not all(isinstance(v, int) and v > 0 for v in (vocab, hidden, layers)):
        return None
    inner = _first(cfg, "intermediate_size", "n_inner", "d_ff", "hidden_dim", "ffn_dim") or 4 * hidden
    heads = _first(cfg, "num_attention_heads", "n_head") or 1
    kv_heads = _first(cfg, "num_key_value_heads") or heads
    kv_dim = hidden * kv_heads // heads
    attention = 2 * hidden * hidden + 2 * hidden * kv_dim  # q, o and k, v projections
    gated_mlp = str(cfg.get("hidden_act", "")) in ("silu", "swiglu") or cfg.get("model_type") in ("llama", "mistral", "qwen2", "gemma")
    mlp = (3 if gated_mlp else 2) * hidden * inner
    rotary = "rope_theta" in cfg or "rope_scaling" in cfg
    positions = 0 if rotary else (_first(cfg, "max_position_embeddings", "n_positions") or 0)
    embeddings = vocab * hidden + positions * hidden
    head = 0 if cfg.get("tie_word_embeddings", True) else vocab * hidden
    return embeddings + layers * (attention + mlp) + head


# --- lineage ------------------------------------------------------------------------------------

def lineage(info: ModelInfo, card: dict[str, Any], rev: str) -> list[LineageEdge]:
    """Base models and relations, from the structured field, the tags and the card."""
    edges: dict[str, tuple[str, str]] = {}  # base id -> (relation, source); later sources refine
    card_relation = str(card.get("base_model_relation") or "finetune")
    for base in _as_list(card.get("base_model")):
        edges[base] = (card_relation, f"Hugging Face Hub: model card base_model at revision {rev}")
    for tag in info.tags or []:
        parts = tag.split(":", 2)
        if parts[0] != "base_model" or len(parts) < 2:
            continue
        if len(parts) == 3 and parts[1] in RELATIONS:
            edges[parts[2]] = (parts[1], f"Hugging Face Hub: tag {tag}")
        elif len(parts) == 2 and parts[1] not in edges:
            edges[parts[1]] = ("finetune", f"Hugging Face Hub: tag {tag}")
    for base, relation in _structured_bases(info.base_models):
        edges[base] = (relation, f"Hugging Face Hub: baseModels at revision {rev}")
    distilled = card_relation == "distilled" or bool(DISTILLED_TAGS & {t.lower() for t in _card_tags(info, card)})
    out = []
    for base, (relation, source) in edges.items():
        if distilled and relation == "finetune":
            relation, source = "distilled", source + "; the card says the model is distilled"
        if relation in RELATIONS and base != info.id:
            out.append(LineageEdge(base, relation, source))
    return sorted(out, key=lambda e: (e.base_model_id, e.relation))


def _card_tags(info: ModelInfo, card: dict[str, Any]) -> list[str]:
    return [str(t) for t in _as_list(card.get("tags"))] + list(info.tags or [])


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _structured_bases(value: Any) -> list[tuple[str, str]]:
    """``baseModels`` as the Hub sends it: ``{relation, models: [{id}]}`` (a list of ids is accepted)."""
    if isinstance(value, dict):
        relation = str(value.get("relation") or "finetune")
        return [(m["id"] if isinstance(m, dict) else str(m), relation) for m in value.get("models") or []]
    if isinstance(value, list):
        return [(m["id"] if isinstance(m, dict) else str(m), "finetune") for m in value]
    return []


# --- card results -------------------------------------------------------------------------------

def card_scores(info: ModelInfo, card: dict[str, Any]) -> tuple[list[CardScore], list[str]]:
    """Quality scores from the card's model-index and the Hub's eval results; plus what was skipped."""
    scores, skipped = [], []
    languages = {str(x).lower() for x in _as_list(card.get("language"))}
    default_task = info.pipeline_tag or ""
    card_obj = info.card_data
    for r in getattr(card_obj, "eval_results", None) or []:
        task = r.task_type if r.task_type in TASKS else default_task
        dataset, slice_ = _dataset_and_slice(r.dataset_type, r.dataset_config, languages)
        _add(scores, skipped, task, dataset, str(r.metric_type), r.metric_value, split=r.dataset_split or "", slice_=slice_)
    for e in info.eval_results or []:
        dataset = e.dataset_id.split("/")[-1] + ("" if e.task_id in ("", "default") else f"/{e.task_id}")
        _add(scores, skipped, default_task, dataset, "score", e.value)
    return scores, skipped


def _dataset_and_slice(dataset_type: str, config: str | None, languages: set[str]) -> tuple[str, str]:
    name = dataset_type.split("/")[-1]
    if not config or config == "default":
        return name, ""
    if dataset_type in CONFIG_NAMED:
        return config, ""
    if config.lower() in languages or re.fullmatch(r"[a-z]{2}", config):
        return name, config  # a language slice, e.g. xnli "fr"
    return f"{name}/{config}", ""


def _add(scores: list, skipped: list, task: str, dataset: str, metric: str, raw: Any, *, split: str = "",
         slice_: str = "") -> None:
    label = f"{metric} on {dataset}" + (f" [{slice_}]" if slice_ else "")
    value = _number(raw)
    if value is None or not task:
        skipped.append(f"{label}: value {raw!r} is not a number" if value is None else f"{label}: no task")
        return
    if 0 <= value <= 1:
        scale = 1.0
    elif 1 < value <= 100:
        scale = 100.0
    else:
        skipped.append(f"{label}: {value:g} fits neither a 0..1 nor a 0..100 scale")
        return
    scores.append(CardScore(task, dataset, metric.lower(), value, scale, metric.lower() not in LOWER_IS_BETTER,
                            split, slice_))


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return float(raw) if math.isfinite(raw) else None
    match = re.match(r"\s*(-?\d+(?:\.\d+)?)", str(raw))  # "20.0 ± 1.2" -> 20.0
    return float(match.group(1)) if match else None


def training_co2e(card: dict[str, Any], rev: str) -> tuple[float | None, str | None]:
    """The card's ``co2_eq_emissions`` (grams CO2e, per the Hub's card spec) in kg, with its source."""
    raw = card.get("co2_eq_emissions")
    details: dict[str, Any] = {}
    if isinstance(raw, dict):
        details, raw = raw, raw.get("emissions")
    grams = _number(raw) if raw is not None else None
    if grams is None or grams < 0:
        return None, None
    extra = ", ".join(f"{k}: {details[k]}" for k in ("source", "training_type", "geographical_location",
                                                       "hardware_used") if details.get(k))
    source = f"model card co2_eq_emissions at revision {rev} ({grams:g} g" + (f"; {extra})" if extra else ")")
    return grams / 1000.0, source
