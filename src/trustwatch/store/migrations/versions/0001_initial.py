"""Initial schema: scan runs, authors, posts and their versions, media, results, findings, quarantine.

Written to match `trustwatch.store.schema` exactly (a test compares them with Alembic's
autogenerate). Types are spelled out here rather than imported, so this revision stays what it was
when later revisions change the models.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "scan_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("inputs", JSON, nullable=False),
        sa.Column("packs", JSON, nullable=False),
        sa.Column("pack_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("summary", JSON, nullable=True),
        sa.Column("records_read", sa.BigInteger(), nullable=True),
        sa.Column("results_ok", sa.BigInteger(), nullable=True),
        sa.Column("quarantined", sa.BigInteger(), nullable=True),
        sa.Column("flagged", sa.BigInteger(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("posts_per_s", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_runs")),
    )
    op.create_table(
        "authors",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("followers", sa.BigInteger(), nullable=True),
        sa.Column("mcn", sa.Text(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=True),
        sa.Column("first_seen_run", sa.Integer(), nullable=False),
        sa.Column("last_seen_run", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_seen_run"], ["scan_runs.id"], name=op.f("fk_authors_first_seen_run_scan_runs")
        ),
        sa.ForeignKeyConstraint(
            ["last_seen_run"], ["scan_runs.id"], name=op.f("fk_authors_last_seen_run_scan_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
        sa.UniqueConstraint("platform", "author_id", name=op.f("uq_authors_platform_author_id")),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["scan_runs.id"], name=op.f("fk_quarantine_run_id_scan_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    op.create_index(op.f("ix_quarantine_run_id"), "quarantine", ["run_id"])
    op.create_table(
        "posts",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("post_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author_pk", BIG_KEY, nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Text(), nullable=True),
        sa.Column("lang", sa.Text(), nullable=True),
        sa.Column("metrics", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["author_pk"], ["authors.id"], name=op.f("fk_posts_author_pk_authors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("platform", "post_id", name=op.f("uq_posts_platform_post_id")),
    )
    op.create_index(op.f("ix_posts_author_pk"), "posts", ["author_pk"])
    op.create_table(
        "post_versions",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("post_pk", BIG_KEY, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("raw", JSON, nullable=False),
        sa.Column("first_seen_run", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_seen_run"],
            ["scan_runs.id"],
            name=op.f("fk_post_versions_first_seen_run_scan_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["post_pk"], ["posts.id"], name=op.f("fk_post_versions_post_pk_posts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_versions")),
        sa.UniqueConstraint("post_pk", "version", name=op.f("uq_post_versions_post_pk_version")),
    )
    op.create_table(
        "findings",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("post_version_pk", BIG_KEY, nullable=False),
        sa.Column("pack_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("signal", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_version_pk"],
            ["post_versions.id"],
            name=op.f("fk_findings_post_version_pk_post_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index(
        op.f("ix_findings_post_version_pk_pack_fingerprint"),
        "findings",
        ["post_version_pk", "pack_fingerprint"],
    )
    op.create_table(
        "media",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("post_version_pk", BIG_KEY, nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_version_pk"],
            ["post_versions.id"],
            name=op.f("fk_media_post_version_pk_post_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("post_version_pk", "idx", name=op.f("uq_media_post_version_pk_idx")),
    )
    op.create_table(
        "scan_results",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("post_version_pk", BIG_KEY, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("categories", JSON, nullable=False),
        sa.Column("scores", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["post_version_pk"],
            ["post_versions.id"],
            name=op.f("fk_scan_results_post_version_pk_post_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["scan_runs.id"], name=op.f("fk_scan_results_run_id_scan_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_results")),
    )
    op.create_index(op.f("ix_scan_results_run_id_id"), "scan_results", ["run_id", "id"])


def downgrade() -> None:
    for table in (
        "scan_results",
        "media",
        "findings",
        "post_versions",
        "posts",
        "quarantine",
        "authors",
        "scan_runs",
    ):
        op.drop_table(table)
