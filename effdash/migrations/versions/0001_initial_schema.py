"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 10:43:07.537189
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('failed_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.String(length=255), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('error_type', sa.String(length=64), nullable=True),
    sa.Column('settings', sa.Text(), nullable=True),
    sa.Column('hardware', sa.String(length=255), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_imported', sa.Integer(), nullable=False),
    sa.Column('rows_duplicate', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('content_sha256')
    )
    op.create_table('models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.String(length=255), nullable=False),
    sa.Column('revision', sa.String(length=64), nullable=True),
    sa.Column('pipeline_tag', sa.String(length=64), nullable=True),
    sa.Column('parameters', sa.BigInteger(), nullable=True),
    sa.Column('parameters_source', sa.Text(), nullable=True),
    sa.Column('parameters_derived', sa.Boolean(), nullable=False),
    sa.Column('library', sa.String(length=64), nullable=True),
    sa.Column('license', sa.String(length=128), nullable=True),
    sa.Column('downloads', sa.BigInteger(), nullable=True),
    sa.Column('likes', sa.Integer(), nullable=True),
    sa.Column('gated', sa.String(length=16), nullable=True),
    sa.Column('private', sa.Boolean(), nullable=True),
    sa.Column('tags', sa.Text(), nullable=True),
    sa.Column('author', sa.String(length=255), nullable=True),
    sa.Column('hub_last_modified', sa.DateTime(timezone=True), nullable=True),
    sa.Column('training_co2e_kg', sa.Float(), nullable=True),
    sa.Column('training_co2e_source', sa.Text(), nullable=True),
    sa.Column('discovered_for_task', sa.String(length=64), nullable=True),
    sa.Column('metadata_source', sa.Text(), nullable=True),
    sa.Column('metadata_fetched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('model_id')
    )
    op.create_table('lineage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_pk', sa.Integer(), nullable=False),
    sa.Column('base_model_id', sa.String(length=255), nullable=False),
    sa.Column('relation', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['model_pk'], ['models.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('model_pk', 'base_model_id', 'relation', name='uq_lineage_edge')
    )
    with op.batch_alter_table('lineage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lineage_base_model_id'), ['base_model_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lineage_model_pk'), ['model_pk'], unique=False)

    op.create_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('citation', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('repository', sa.String(length=255), nullable=True),
    sa.Column('path', sa.Text(), nullable=True),
    sa.Column('commit', sa.String(length=64), nullable=True),
    sa.Column('paper', sa.Text(), nullable=True),
    sa.Column('paper_location', sa.String(length=255), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'citation', name='uq_sources_kind_citation')
    )
    op.create_table('measurements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_pk', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('dataset', sa.String(length=128), nullable=False),
    sa.Column('input_set', sa.String(length=128), nullable=True),
    sa.Column('input_set_sha256', sa.String(length=64), nullable=True),
    sa.Column('inferences', sa.Integer(), nullable=False),
    sa.Column('repeats', sa.Integer(), nullable=False),
    sa.Column('energy_kwh', sa.Float(), nullable=True),
    sa.Column('gpu_energy_kwh', sa.Float(), nullable=True),
    sa.Column('cpu_energy_kwh', sa.Float(), nullable=True),
    sa.Column('ram_energy_kwh', sa.Float(), nullable=True),
    sa.Column('std_energy_kwh', sa.Float(), nullable=True),
    sa.Column('std_gpu_energy_kwh', sa.Float(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('batch_size', sa.Integer(), nullable=True),
    sa.Column('precision', sa.String(length=16), nullable=True),
    sa.Column('hardware', sa.String(length=255), nullable=False),
    sa.Column('gpu_model', sa.String(length=128), nullable=True),
    sa.Column('gpu_count', sa.Integer(), nullable=True),
    sa.Column('cpu_model', sa.String(length=255), nullable=True),
    sa.Column('cpu_count', sa.Integer(), nullable=True),
    sa.Column('ram_gb', sa.Float(), nullable=True),
    sa.Column('gpu_method', sa.String(length=32), nullable=True),
    sa.Column('cpu_method', sa.String(length=32), nullable=True),
    sa.Column('ram_method', sa.String(length=32), nullable=True),
    sa.Column('tier_gpu', sa.String(length=16), nullable=True),
    sa.Column('tier_total', sa.String(length=16), nullable=True),
    sa.Column('window', sa.String(length=16), nullable=False),
    sa.Column('idle_power_w', sa.Float(), nullable=True),
    sa.Column('country_iso', sa.String(length=3), nullable=True),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('carbon_intensity_g_per_kwh', sa.Float(), nullable=True),
    sa.Column('software', sa.Text(), nullable=True),
    sa.Column('hardware_detail', sa.Text(), nullable=True),
    sa.Column('settings', sa.Text(), nullable=True),
    sa.Column('source_stars', sa.Integer(), nullable=True),
    sa.Column('source_class', sa.String(length=8), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('measured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source_pk', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_pk'], ['models.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_pk'], ['sources.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('fingerprint')
    )
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.create_index('ix_measurements_model', ['model_pk', 'task'], unique=False)
        batch_op.create_index('ix_measurements_task_hw', ['task', 'hardware', 'window', 'tier_gpu', 'tier_total'], unique=False)

    op.create_table('quality_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_pk', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('dataset', sa.String(length=128), nullable=False),
    sa.Column('split', sa.String(length=64), nullable=False),
    sa.Column('metric', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('scale_max', sa.Float(), nullable=False),
    sa.Column('higher_is_better', sa.Boolean(), nullable=False),
    sa.Column('slice', sa.String(length=64), nullable=False),
    sa.Column('source_pk', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_pk'], ['models.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_pk'], ['sources.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('model_pk', 'task', 'dataset', 'split', 'metric', 'slice', 'source_pk', name='uq_quality_score')
    )
    with op.batch_alter_table('quality_scores', schema=None) as batch_op:
        batch_op.create_index('ix_quality_task_metric', ['task', 'metric', 'dataset', 'slice'], unique=False)

    op.create_table('task_baselines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('wh_per_1k_mean', sa.Float(), nullable=False),
    sa.Column('wh_per_1k_std', sa.Float(), nullable=True),
    sa.Column('hardware', sa.String(length=255), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('source_pk', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['source_pk'], ['sources.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('task', 'source_pk', name='uq_task_baseline')
    )
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('params', sa.Text(), nullable=True),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('measurement_pk', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['measurement_pk'], ['measurements.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('measurement_repeats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measurement_pk', sa.Integer(), nullable=False),
    sa.Column('repeat_index', sa.Integer(), nullable=False),
    sa.Column('energy_kwh', sa.Float(), nullable=True),
    sa.Column('gpu_energy_kwh', sa.Float(), nullable=True),
    sa.Column('cpu_energy_kwh', sa.Float(), nullable=True),
    sa.Column('ram_energy_kwh', sa.Float(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('origin', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['measurement_pk'], ['measurements.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('measurement_repeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measurement_repeats_measurement_pk'), ['measurement_pk'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('measurement_repeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measurement_repeats_measurement_pk'))

    op.drop_table('measurement_repeats')
    op.drop_table('jobs')
    op.drop_table('task_baselines')
    with op.batch_alter_table('quality_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_task_metric')

    op.drop_table('quality_scores')
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_index('ix_measurements_task_hw')
        batch_op.drop_index('ix_measurements_model')

    op.drop_table('measurements')
    op.drop_table('sources')
    with op.batch_alter_table('lineage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lineage_model_pk'))
        batch_op.drop_index(batch_op.f('ix_lineage_base_model_id'))

    op.drop_table('lineage')
    op.drop_table('models')
    op.drop_table('import_batches')
    op.drop_table('failed_runs')
