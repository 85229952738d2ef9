"""energy summary per model and comparison group

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 11:50:00

Creates ``energy_summary`` and fills it from the measurements already stored (the same
GROUP BY as :func:`effdash.summary.refresh_energy_summary`, frozen here as it is at 0002), and a
covering index of quality scores by key and model (the recommendation reads one key's scores).
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_M = sa.table('measurements', *(sa.column(c) for c in (
    'model_pk', 'task', 'hardware', 'window', 'inferences', 'repeats', 'energy_kwh', 'gpu_energy_kwh',
    'std_energy_kwh', 'std_gpu_energy_kwh', 'tier_gpu', 'tier_total', 'source_pk')))
_COLUMNS = ('task', 'hardware', 'basis', 'tier', 'window', 'model_pk', 'measurements', 'wh_per_1k_sum',
            'wh_per_1k_sum_sq', 'repeats', 'repeat_std_wh_per_1k_max', 'source_pk', 'sources')


def _per_basis(basis: str):
    m = _M.c
    kwh, std, tier = ((m.gpu_energy_kwh, m.std_gpu_energy_kwh, m.tier_gpu) if basis == 'gpu'
                      else (m.energy_kwh, m.std_energy_kwh, m.tier_total))
    wh = kwh * 1e6 / m.inferences
    return (sa.select(m.task, m.hardware, sa.literal(basis), tier, m.window, m.model_pk, sa.func.count(),
                      sa.func.sum(wh), sa.func.sum(wh * wh), sa.func.sum(m.repeats),
                      sa.func.max(std * 1e6 / m.inferences), sa.func.min(m.source_pk),
                      sa.func.count(sa.distinct(m.source_pk)))
            .where(kwh.is_not(None)).group_by(m.task, m.hardware, tier, m.window, m.model_pk))


def upgrade() -> None:
    summary = op.create_table('energy_summary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('hardware', sa.String(length=255), nullable=False),
    sa.Column('basis', sa.String(length=8), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=True),
    sa.Column('window', sa.String(length=16), nullable=False),
    sa.Column('model_pk', sa.Integer(), nullable=False),
    sa.Column('measurements', sa.Integer(), nullable=False),
    sa.Column('wh_per_1k_sum', sa.Float(), nullable=False),
    sa.Column('wh_per_1k_sum_sq', sa.Float(), nullable=False),
    sa.Column('repeats', sa.Integer(), nullable=False),
    sa.Column('repeat_std_wh_per_1k_max', sa.Float(), nullable=True),
    sa.Column('source_pk', sa.Integer(), nullable=False),
    sa.Column('sources', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['model_pk'], ['models.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('energy_summary', schema=None) as batch_op:
        batch_op.create_index('ix_energy_summary_group', ['task', 'hardware', 'basis', 'tier', 'window'], unique=False)
        batch_op.create_index('ix_energy_summary_model', ['model_pk', 'task'], unique=False)
    op.execute(sa.insert(summary).from_select(_COLUMNS, sa.union_all(_per_basis('gpu'), _per_basis('total'))))
    with op.batch_alter_table('quality_scores', schema=None) as batch_op:
        batch_op.create_index('ix_quality_key_model', ['task', 'metric', 'dataset', 'split', 'slice', 'model_pk',
                                                       'value', 'scale_max'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quality_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_key_model')
    with op.batch_alter_table('energy_summary', schema=None) as batch_op:
        batch_op.drop_index('ix_energy_summary_model')
        batch_op.drop_index('ix_energy_summary_group')
    op.drop_table('energy_summary')
