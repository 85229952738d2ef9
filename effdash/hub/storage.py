"""Keeping Hub metadata: a HubModel goes into the ``models``, ``lineage`` and ``quality_scores`` tables.

One call stores one model inside the caller's transaction, so a failure leaves that model's rows
as they were. A newer revision replaces what the previous sync stored from the Hub (lineage
edges and card scores); figures from other sources are never touched.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from effdash.hub.parse import HubModel
from effdash.records import SourceRef, add_lineage, add_quality, get_or_create_model
from effdash.schema import Lineage, Model, QualityScore, Source

HUB_SOURCE = "Hugging Face Hub API"
LISTING_SOURCE = "Hugging Face Hub model listing"
HUB_LINEAGE_PREFIX = "Hugging Face Hub:"
CARD_PATH = "README.md"


def card_source(model_id: str, revision: str | None, endpoint: str = "https://huggingface.co") -> SourceRef:
    """Provenance of a card's figures: "model card at revision X"."""
    rev = revision or "unknown"
    return SourceRef(
        kind="published", citation=f"Hugging Face model card of {model_id} at revision {rev}",
        url=f"{endpoint}/{model_id}/blob/{rev}/{CARD_PATH}", repository=f"huggingface.co/{model_id}",
        path=CARD_PATH, commit=revision,
    )


def stored_revisions(session: Session, model_ids: list[str]) -> dict[str, str]:
    """Revision of each model whose full Hub metadata is stored (listing-only rows do not count)."""
    rows = session.execute(
        select(Model.model_id, Model.revision)
        .where(Model.model_id.in_(model_ids), Model.metadata_source.like(f"{HUB_SOURCE}%"))
    )
    return {mid: rev for mid, rev in rows if rev}


def store_hub_model(session: Session, hub: HubModel, *, fetched_at: datetime | None = None,
                    metadata_source: str = HUB_SOURCE, discovered_for_task: str | None = None,
                    endpoint: str = "https://huggingface.co") -> Model:
    """Insert or update the model's row, its Hub lineage and its card scores."""
    model = get_or_create_model(session, hub.model_id)
    _set_fields(model, hub, fetched_at or datetime.now(timezone.utc), metadata_source)
    if discovered_for_task and model.discovered_for_task is None:
        model.discovered_for_task = discovered_for_task
    session.flush()
    _replace_lineage(session, model, hub)
    _replace_card_scores(session, model, hub, endpoint)
    return model


def _set_fields(model: Model, hub: HubModel, fetched_at: datetime, metadata_source: str) -> None:
    model.revision = hub.revision
    model.pipeline_tag = hub.pipeline_tag or model.pipeline_tag
    if hub.parameters is not None and (not hub.parameters_derived or model.parameters is None or model.parameters_derived):
        model.parameters, model.parameters_derived = hub.parameters, hub.parameters_derived
        model.parameters_source = hub.parameters_source
    for name in ("library", "license", "downloads", "likes", "gated", "private", "author"):
        value = getattr(hub, name)
        if value is not None:
            setattr(model, name, value)
    model.tags = json.dumps(hub.tags)
    model.hub_last_modified = hub.last_modified or model.hub_last_modified
    if hub.training_co2e_kg is not None:
        model.training_co2e_kg, model.training_co2e_source = hub.training_co2e_kg, hub.training_co2e_source
    model.metadata_source = metadata_source
    model.metadata_fetched_at = fetched_at


def _replace_lineage(session: Session, model: Model, hub: HubModel) -> None:
    session.execute(delete(Lineage).where(Lineage.model_pk == model.id,
                                          Lineage.source.like(f"{HUB_LINEAGE_PREFIX}%")))
    session.flush()
    for edge in hub.lineage:
        add_lineage(session, model, edge.base_model_id, edge.relation, edge.source)
    session.flush()


def _replace_card_scores(session: Session, model: Model, hub: HubModel, endpoint: str) -> None:
    old = select(Source.id).where(Source.repository == f"huggingface.co/{hub.model_id}", Source.path == CARD_PATH)
    session.execute(delete(QualityScore).where(QualityScore.model_pk == model.id, QualityScore.source_pk.in_(old)))
    session.flush()
    ref = card_source(hub.model_id, hub.revision, endpoint)
    seen = set()
    for s in hub.scores:
        key = (s.task, s.dataset, s.split, s.metric, s.slice)
        if key in seen:  # a card listing the same figure twice keeps the first
            continue
        seen.add(key)
        add_quality(session, model_id=hub.model_id, task=s.task, dataset=s.dataset, metric=s.metric,
                    value=s.value, source=ref, split=s.split, slice=s.slice, scale_max=s.scale_max,
                    higher_is_better=s.higher_is_better)
