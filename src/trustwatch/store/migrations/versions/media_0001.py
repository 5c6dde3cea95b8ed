"""Media: hash banks for known-image matching, and media evidence for the report.

Written to match `trustwatch.store.schema_media` (the drift test compares them).

Revision ID: media_0001
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "media_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hash_banks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("max_distance", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_banks")),
        sa.UniqueConstraint("name", name=op.f("uq_hash_banks_name")),
    )
    op.create_table(
        "hash_bank_entries",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("bank_pk", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["bank_pk"], ["hash_banks.id"], name=op.f("fk_hash_bank_entries_bank_pk_hash_banks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_bank_entries")),
        sa.UniqueConstraint("bank_pk", "hash", name=op.f("uq_hash_bank_entries_bank_pk_hash")),
    )
    op.create_table(
        "media_evidence",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("post_id", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("media_sha256", sa.String(length=64), nullable=False),
        sa.Column("media_path", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("t", sa.Float(), nullable=True),
        sa.Column("end_t", sa.Float(), nullable=True),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_evidence")),
        sa.UniqueConstraint("platform", "post_id", "source", "media_sha256", name=op.f("uq_media_evidence_platform_post_id_source_media_sha256")),
    )


def downgrade() -> None:
    op.drop_table("media_evidence")
    op.drop_table("hash_bank_entries")
    op.drop_table("hash_banks")
