"""Tables of the sources area: the persistent near-duplicate index, clusters, image hashes, articles.

The index lives in the database, not in memory, so it grows scan after scan and any process can
query it:
- ``source_bands`` is the banded MinHash-LSH table: one row per (band key, post). A band key is a
  64-bit hash of one band of a post's signature, salted per band, so all bands share one table and
  one primary-key index, and a lookup is ``key IN (...)``.
- ``source_posts`` keeps, per indexed post, its cluster, its shingle set (sorted uint32, for exact
  Jaccard verification of candidates), its time, reach and flags.
- ``source_clusters`` holds each cluster's running totals (size, reach, earliest post), updated as
  posts join and clusters merge, so ranking clusters never scans posts.
- ``source_links`` / ``source_image_bands`` join posts sharing a normalized link or a similar image
  (PDQ hashes come in through `SourceIndex.add_image_hashes`).
- ``source_articles`` / ``source_article_posts`` group posts under news articles.
Band and link rows carry no foreign keys: they are written in bulk at scan speed and deleted only
with their post's index entry.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .schema import Base, BigKey


class SourceMeta(Base):
    """Settings the index was built with (threshold, bands, rows, seed): changing them needs a rebuild."""

    __tablename__ = "source_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column()


class SourcePost(Base):
    """One indexed post: its cluster, shingles and what the cluster totals need."""

    __tablename__ = "source_posts"
    __table_args__ = (Index(None, "cluster_id"),)

    post_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("posts.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    cluster_id: Mapped[int] = mapped_column(BigInteger)
    created_ts: Mapped[float | None] = mapped_column(Float)  # UTC epoch seconds of created_at
    shingles: Mapped[bytes] = mapped_column(LargeBinary)
    reach: Mapped[int] = mapped_column(BigInteger)
    flags: Mapped[str] = mapped_column(Text)  # ",scam,gambling," or ""


class SourceBand(Base):
    """A banded LSH entry: posts with equal `key` share one band of their MinHash signature."""

    __tablename__ = "source_bands"
    # SQLite: the table *is* its primary-key b-tree (no separate rowid table): half the bytes.
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    post_pk: Mapped[int] = mapped_column(BigKey, primary_key=True)


class SourceLink(Base):
    """A normalized link a post shares (tracking parameters stripped, host lowercased)."""

    __tablename__ = "source_links"
    __table_args__ = (Index(None, "post_pk"),)

    url_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    post_pk: Mapped[int] = mapped_column(BigKey, primary_key=True)
    url: Mapped[str] = mapped_column(Text)


class SourceImage(Base):
    """A PDQ hash of an image or video frame of a post, from the media extractors."""

    __tablename__ = "source_images"
    __table_args__ = (Index(None, "post_pk"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    post_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("posts.id"))
    pdq: Mapped[str] = mapped_column(String(64))
    quality: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(Text)


class SourceImageBand(Base):
    """One 16-bit chunk of a PDQ hash (with its position): the multi-index for Hamming search."""

    __tablename__ = "source_image_bands"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    image_id: Mapped[int] = mapped_column(BigKey, primary_key=True)


class SourceCluster(Base):
    """A cluster's running totals; its id is the smallest post key that ever founded it."""

    __tablename__ = "source_clusters"
    __table_args__ = (Index(None, "size"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    reach: Mapped[int] = mapped_column(BigInteger)
    flagged: Mapped[int] = mapped_column(Integer)
    earliest_post_pk: Mapped[int] = mapped_column(BigKey)
    earliest_ts: Mapped[float | None] = mapped_column(Float)
    latest_ts: Mapped[float | None] = mapped_column(Float)


class SourceArticle(Base):
    """A news article: from an articles file (with text) or a news-domain link seen in posts."""

    __tablename__ = "source_articles"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    url_key: Mapped[int] = mapped_column(BigInteger, unique=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(16))  # file | link
    shingles: Mapped[bytes | None] = mapped_column(LargeBinary)


class SourceArticlePost(Base):
    """A post that links to an article (`how` = link) or repeats its text (`how` = text)."""

    __tablename__ = "source_article_posts"
    __table_args__ = (Index(None, "post_pk"),)

    article_id: Mapped[int] = mapped_column(BigKey, ForeignKey("source_articles.id"), primary_key=True)
    post_pk: Mapped[int] = mapped_column(BigKey, primary_key=True)
    how: Mapped[str] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)
