"""The database schema (SQLAlchemy 2.x ORM). Migrations in effdash/migrations create it.

Units live in column names: ``*_kwh`` kilowatt-hours, ``*_s`` seconds, ``*_w`` watts,
``*_g_per_kwh`` grams CO2e per kWh. Energy per 1000 inferences (``wh_per_1k``) is
derived, never stored: see :attr:`Measurement.wh_per_1k`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Source(Base):
    """Where a figure comes from: measured by effdash, imported from a file, or published."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # measured | imported | published
    citation: Mapped[str] = mapped_column(Text)  # one human-readable line
    url: Mapped[str | None] = mapped_column(Text)
    repository: Mapped[str | None] = mapped_column(String(255))
    path: Mapped[str | None] = mapped_column(Text)
    commit: Mapped[str | None] = mapped_column(String(64))
    paper: Mapped[str | None] = mapped_column(Text)
    paper_location: Mapped[str | None] = mapped_column(String(255))  # e.g. "Table 2"
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (UniqueConstraint("kind", "citation", name="uq_sources_kind_citation"),)


class ImportBatch(Base):
    """One imported file."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(32))
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Model(Base):
    """A model, identified by its Hugging Face Hub id (or a local name)."""

    __tablename__ = "models"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[str] = mapped_column(String(255), unique=True)
    revision: Mapped[str | None] = mapped_column(String(64))
    pipeline_tag: Mapped[str | None] = mapped_column(String(64))
    parameters: Mapped[int | None] = mapped_column(BigInteger)
    parameters_source: Mapped[str | None] = mapped_column(Text)
    parameters_derived: Mapped[bool] = mapped_column(Boolean, default=False)
    library: Mapped[str | None] = mapped_column(String(64))
    license: Mapped[str | None] = mapped_column(String(128))
    downloads: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(Integer)
    gated: Mapped[str | None] = mapped_column(String(16))
    private: Mapped[bool | None] = mapped_column(Boolean)
    tags: Mapped[str | None] = mapped_column(Text)  # JSON list
    author: Mapped[str | None] = mapped_column(String(255))
    hub_last_modified: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    training_co2e_kg: Mapped[float | None] = mapped_column(Float)  # card's co2_eq_emissions, in kg
    training_co2e_source: Mapped[str | None] = mapped_column(Text)
    discovered_for_task: Mapped[str | None] = mapped_column(String(64))  # candidate found by hub discover
    metadata_source: Mapped[str | None] = mapped_column(Text)
    metadata_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    lineage: Mapped[list["Lineage"]] = relationship(back_populates="model", cascade="all, delete-orphan")


class Lineage(Base):
    """One edge of a model's family: this model is a <relation> of <base_model_id>."""

    __tablename__ = "lineage"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_pk: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    base_model_id: Mapped[str] = mapped_column(String(255), index=True)
    relation: Mapped[str] = mapped_column(String(16))  # finetune|quantized|adapter|merge|distilled
    source: Mapped[str | None] = mapped_column(Text)
    model: Mapped[Model] = relationship(back_populates="lineage")
    __table_args__ = (UniqueConstraint("model_pk", "base_model_id", "relation", name="uq_lineage_edge"),)


class Measurement(Base):
    """Energy of ``inferences`` inferences, averaged over ``repeats`` repeats.

    The ``*_energy_kwh`` columns are means per repeat; ``energy_kwh`` is the sum of the
    components measured (NULL when the total is not known, e.g. GPU-only sources).
    """

    __tablename__ = "measurements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_pk: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str] = mapped_column(String(128), default="")
    input_set: Mapped[str | None] = mapped_column(String(128))  # id of effdash's versioned input set
    input_set_sha256: Mapped[str | None] = mapped_column(String(64))
    inferences: Mapped[int] = mapped_column(Integer)
    repeats: Mapped[int] = mapped_column(Integer, default=1)
    energy_kwh: Mapped[float | None] = mapped_column(Float)
    gpu_energy_kwh: Mapped[float | None] = mapped_column(Float)
    cpu_energy_kwh: Mapped[float | None] = mapped_column(Float)
    ram_energy_kwh: Mapped[float | None] = mapped_column(Float)
    std_energy_kwh: Mapped[float | None] = mapped_column(Float)
    std_gpu_energy_kwh: Mapped[float | None] = mapped_column(Float)
    duration_s: Mapped[float | None] = mapped_column(Float)
    batch_size: Mapped[int | None] = mapped_column(Integer)
    precision: Mapped[str | None] = mapped_column(String(16))
    hardware: Mapped[str] = mapped_column(String(255))
    gpu_model: Mapped[str | None] = mapped_column(String(128))
    gpu_count: Mapped[int | None] = mapped_column(Integer)
    cpu_model: Mapped[str | None] = mapped_column(String(255))
    cpu_count: Mapped[int | None] = mapped_column(Integer)
    ram_gb: Mapped[float | None] = mapped_column(Float)
    gpu_method: Mapped[str | None] = mapped_column(String(32))
    cpu_method: Mapped[str | None] = mapped_column(String(32))
    ram_method: Mapped[str | None] = mapped_column(String(32))
    # Stored for indexed filtering; always set by effdash.records.measurement_tiers().
    tier_gpu: Mapped[str | None] = mapped_column(String(16))
    tier_total: Mapped[str | None] = mapped_column(String(16))
    window: Mapped[str] = mapped_column(String(16), default="inference")
    idle_power_w: Mapped[float | None] = mapped_column(Float)
    country_iso: Mapped[str | None] = mapped_column(String(3))
    region: Mapped[str | None] = mapped_column(String(64))
    carbon_intensity_g_per_kwh: Mapped[float | None] = mapped_column(Float)
    software: Mapped[str | None] = mapped_column(Text)  # JSON object of versions
    hardware_detail: Mapped[str | None] = mapped_column(Text)  # JSON: GPU UUID, driver, power limit, RAM...
    settings: Mapped[str | None] = mapped_column(Text)  # JSON: device, warm-up, meter settings...
    source_stars: Mapped[int | None] = mapped_column(Integer)  # stars as published by the source
    source_class: Mapped[str | None] = mapped_column(String(8))  # size class as published (A/B/C)
    # Identity of an imported/measured row; a second row with the same fingerprint is a duplicate.
    fingerprint: Mapped[str | None] = mapped_column(String(64), unique=True)
    notes: Mapped[str | None] = mapped_column(Text)
    measured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source_pk: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    model: Mapped[Model] = relationship()
    source: Mapped[Source] = relationship()
    runs: Mapped[list["MeasurementRepeat"]] = relationship(
        back_populates="measurement", cascade="all, delete-orphan", order_by="MeasurementRepeat.repeat_index"
    )

    @hybrid_property
    def wh_per_1k(self):
        """Total energy in Wh per 1000 inferences (kWh x 1e6 / inferences)."""
        return self.energy_kwh * 1e6 / self.inferences

    @hybrid_property
    def gpu_wh_per_1k(self):
        """GPU energy in Wh per 1000 inferences."""
        return self.gpu_energy_kwh * 1e6 / self.inferences

    __table_args__ = (
        Index("ix_measurements_model", "model_pk", "task"),
    )


class EnergySummary(Base):
    """Per model and comparison group: the sums that the recommendation reads instead of every
    measurement. Derived from ``measurements``; kept in step by :func:`effdash.summary.refresh_energy_summary`
    in the same transaction as every write. ``wh_per_1k_*`` are Wh per 1000 inferences."""

    __tablename__ = "energy_summary"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task: Mapped[str] = mapped_column(String(64))
    hardware: Mapped[str] = mapped_column(String(255))
    basis: Mapped[str] = mapped_column(String(8))  # gpu | total
    tier: Mapped[str | None] = mapped_column(String(16))
    window: Mapped[str] = mapped_column(String(16))
    model_pk: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    measurements: Mapped[int] = mapped_column(Integer)
    wh_per_1k_sum: Mapped[float] = mapped_column(Float)
    wh_per_1k_sum_sq: Mapped[float] = mapped_column(Float)
    repeats: Mapped[int] = mapped_column(Integer)
    repeat_std_wh_per_1k_max: Mapped[float | None] = mapped_column(Float)  # spread across repeats
    source_pk: Mapped[int] = mapped_column(Integer)  # one of its sources (the lowest id)
    sources: Mapped[int] = mapped_column(Integer)  # how many distinct sources

    __table_args__ = (
        Index("ix_energy_summary_group", "task", "hardware", "basis", "tier", "window"),
        Index("ix_energy_summary_model", "model_pk", "task"),
    )


class MeasurementRepeat(Base):
    """One repeat (one run of ``inferences`` inferences) of a measurement."""

    __tablename__ = "measurement_repeats"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measurement_pk: Mapped[int] = mapped_column(ForeignKey("measurements.id", ondelete="CASCADE"), index=True)
    repeat_index: Mapped[int] = mapped_column(Integer)
    energy_kwh: Mapped[float | None] = mapped_column(Float)
    gpu_energy_kwh: Mapped[float | None] = mapped_column(Float)
    cpu_energy_kwh: Mapped[float | None] = mapped_column(Float)
    ram_energy_kwh: Mapped[float | None] = mapped_column(Float)
    duration_s: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    origin: Mapped[str | None] = mapped_column(Text)  # e.g. source file line
    measurement: Mapped[Measurement] = relationship(back_populates="runs")


class QualityScore(Base):
    """A quality figure of a model on a task, dataset, split and metric (optionally a slice)."""

    __tablename__ = "quality_scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_pk: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str] = mapped_column(String(128))
    split: Mapped[str] = mapped_column(String(64), default="")  # "" = not stated
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    scale_max: Mapped[float] = mapped_column(Float, default=1.0)  # 1.0 for fractions, 100 for percent
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    slice: Mapped[str] = mapped_column(String(64), default="")  # "" = whole dataset
    source_pk: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    model: Mapped[Model] = relationship()
    source: Mapped[Source] = relationship()

    @property
    def value_fraction(self) -> float:
        """The value on a 0..1 scale."""
        return self.value / self.scale_max

    __table_args__ = (
        UniqueConstraint(
            "model_pk", "task", "dataset", "split", "metric", "slice", "source_pk", name="uq_quality_score"
        ),
        Index("ix_quality_task_metric", "task", "metric", "dataset", "slice"),
        # covering: one quality key's scores per model, in model order, without reading the table
        Index("ix_quality_key_model", "task", "metric", "dataset", "split", "slice", "model_pk", "value", "scale_max"),
    )


class TaskBaseline(Base):
    """A published typical energy for a task (e.g. Power Hungry Processing Table 2)."""

    __tablename__ = "task_baselines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task: Mapped[str] = mapped_column(String(64))
    wh_per_1k_mean: Mapped[float] = mapped_column(Float)
    wh_per_1k_std: Mapped[float | None] = mapped_column(Float)
    hardware: Mapped[str] = mapped_column(String(255))
    basis: Mapped[str] = mapped_column(String(16))
    source_pk: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    source: Mapped[Source] = relationship()
    __table_args__ = (UniqueConstraint("task", "source_pk", name="uq_task_baseline"),)


class FailedRun(Base):
    """A measurement that did not complete: why, with what settings. No energy is kept."""

    __tablename__ = "failed_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[str] = mapped_column(String(255))
    task: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    error_type: Mapped[str | None] = mapped_column(String(64))  # load_failed|unknown_task|out_of_memory|interrupted|...
    settings: Mapped[str | None] = mapped_column(Text)  # JSON
    hardware: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Job(Base):
    """A background job (e.g. a measurement started from the dashboard): progress and cancel flag."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed|cancelled
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    message: Mapped[str | None] = mapped_column(Text)
    params: Mapped[str | None] = mapped_column(Text)  # JSON
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    measurement_pk: Mapped[int | None] = mapped_column(ForeignKey("measurements.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
