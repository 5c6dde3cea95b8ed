"""Failed sign-ins in the database, so login limits hold across several `serve` workers.

Written to match `trustwatch.store.schema_web.WebLoginFailure` exactly (the drift test compares them).

Revision ID: web_0002
Revises: web_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "web_0002"
down_revision: str | None = "web_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_login_failures")),
    )
    op.create_index(op.f("ix_web_login_failures_address_name"), "web_login_failures", ["address", "name"], unique=False)
    op.create_index(op.f("ix_web_login_failures_at"), "web_login_failures", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_web_login_failures_at"), table_name="web_login_failures")
    op.drop_index(op.f("ix_web_login_failures_address_name"), table_name="web_login_failures")
    op.drop_table("web_login_failures")
