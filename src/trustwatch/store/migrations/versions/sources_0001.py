"""Sources: the persistent near-duplicate index, clusters, image hashes and news articles.

Written to match `trustwatch.store.schema_sources` (the drift test compares them).

Revision ID: sources_0001
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "sources_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "source_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_source_meta")),
    )
    op.create_table(
        "source_posts",
        sa.Column("post_pk", BIG_KEY, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.BigInteger(), nullable=False),
        sa.Column("created_ts", sa.Float(), nullable=True),
        sa.Column("shingles", sa.LargeBinary(), nullable=False),
        sa.Column("reach", sa.BigInteger(), nullable=False),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["post_pk"], ["posts.id"], name=op.f("fk_source_posts_post_pk_posts")),
        sa.PrimaryKeyConstraint("post_pk", name=op.f("pk_source_posts")),
    )
    op.create_index(op.f("ix_source_posts_cluster_id"), "source_posts", ["cluster_id"])
    op.create_table(
        "source_bands",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("post_pk", BIG_KEY, nullable=False),
        sa.PrimaryKeyConstraint("key", "post_pk", name=op.f("pk_source_bands")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "source_links",
        sa.Column("url_key", sa.BigInteger(), nullable=False),
        sa.Column("post_pk", BIG_KEY, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("url_key", "post_pk", name=op.f("pk_source_links")),
    )
    op.create_index(op.f("ix_source_links_post_pk"), "source_links", ["post_pk"])
    op.create_table(
        "source_images",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("post_pk", BIG_KEY, nullable=False),
        sa.Column("pdq", sa.String(length=64), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["post_pk"], ["posts.id"], name=op.f("fk_source_images_post_pk_posts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_images")),
    )
    op.create_index(op.f("ix_source_images_post_pk"), "source_images", ["post_pk"])
    op.create_table(
        "source_image_bands",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("image_id", BIG_KEY, nullable=False),
        sa.PrimaryKeyConstraint("key", "image_id", name=op.f("pk_source_image_bands")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "source_clusters",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("reach", sa.BigInteger(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("earliest_post_pk", BIG_KEY, nullable=False),
        sa.Column("earliest_ts", sa.Float(), nullable=True),
        sa.Column("latest_ts", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_clusters")),
    )
    op.create_index(op.f("ix_source_clusters_size"), "source_clusters", ["size"])
    op.create_table(
        "source_articles",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("url_key", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("published_at", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("shingles", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_articles")),
        sa.UniqueConstraint("url_key", name=op.f("uq_source_articles_url_key")),
    )
    op.create_table(
        "source_article_posts",
        sa.Column("article_id", BIG_KEY, nullable=False),
        sa.Column("post_pk", BIG_KEY, nullable=False),
        sa.Column("how", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["source_articles.id"],
            name=op.f("fk_source_article_posts_article_id_source_articles"),
        ),
        sa.PrimaryKeyConstraint("article_id", "post_pk", name=op.f("pk_source_article_posts")),
    )
    op.create_index(op.f("ix_source_article_posts_post_pk"), "source_article_posts", ["post_pk"])


def downgrade() -> None:
    for table in (
        "source_article_posts",
        "source_articles",
        "source_clusters",
        "source_image_bands",
        "source_images",
        "source_links",
        "source_bands",
        "source_posts",
        "source_meta",
    ):
        op.drop_table(table)
