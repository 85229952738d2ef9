"""drop the measurements index by task and comparison group

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 13:45:00

Since 0002 every read by task and comparison group goes to ``energy_summary`` (which has its own
index); ``ix_measurements_task_hw`` only cost every insert an extra index entry (about a sixth of
the database at 1,000,000 measurements) and led SQLite to scan it instead of a range of new ids.
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_measurements_task_hw', table_name='measurements')


def downgrade() -> None:
    op.create_index('ix_measurements_task_hw', 'measurements',
                    ['task', 'hardware', 'window', 'tier_gpu', 'tier_total'])
