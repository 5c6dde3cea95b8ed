"""Web app tables: users with roles, API tokens (hashed), browser sessions.

Written to match `trustwatch.store.schema_web` exactly (the drift test compares them).

Revision ID: web_0001
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "web_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_users")),
        sa.UniqueConstraint("name", name=op.f("uq_web_users_name")),
    )
    op.create_table(
        "web_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_pk"], ["web_users.id"], name=op.f("fk_web_tokens_user_pk_web_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_tokens_token_hash")),
    )
    op.create_index(op.f("ix_web_tokens_user_pk"), "web_tokens", ["user_pk"])
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_pk"], ["web_users.id"], name=op.f("fk_web_sessions_user_pk_web_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_web_sessions_session_hash")),
    )
    op.create_index(op.f("ix_web_sessions_user_pk"), "web_sessions", ["user_pk"])


def downgrade() -> None:
    op.drop_index(op.f("ix_web_sessions_user_pk"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index(op.f("ix_web_tokens_user_pk"), table_name="web_tokens")
    op.drop_table("web_tokens")
    op.drop_table("web_users")
