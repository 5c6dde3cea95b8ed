"""Scan checkpoints: what a scan has durably finished, so a killed scan resumes where it stopped.

Written to match `trustwatch.store.schema.ScanRun` exactly (the drift test compares them).

Revision ID: scale_0001
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "scale_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, not a batch table rebuild: on SQLite a rebuild drops scan_runs, which
    # every result row references, and foreign keys are enforced (SQLite >= 3.35 drops columns).
    op.add_column("scan_runs", sa.Column("identity", sa.String(length=64), nullable=True))
    op.add_column("scan_runs", sa.Column("checkpoint", JSONType, nullable=True))
    op.add_column("scan_runs", sa.Column("owner", sa.Text(), nullable=True))
    op.add_column("scan_runs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_scan_runs_identity"), "scan_runs", ["identity"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_scan_runs_identity"), table_name="scan_runs")
    for column in ("heartbeat_at", "owner", "checkpoint", "identity"):
        op.drop_column("scan_runs", column)
