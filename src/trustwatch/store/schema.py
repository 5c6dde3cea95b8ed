"""The database schema, as SQLAlchemy 2 declarative models.

The models are the single description of the tables: the Alembic migrations are written to match
them, and a test runs Alembic's autogenerate comparison to prove the two never drift apart. The
store itself writes through SQLAlchemy Core (``Model.__table__``) because bulk ``executemany`` is an
order of magnitude faster than the ORM unit of work at scan speed; the ORM classes still give typed
columns and a place to read the schema.

Identity and versioning:
- a post is ``(platform, post_id)``; ``platform`` is ``''`` when the input had none, so the unique
  constraint also holds for platform-less posts (NULLs would never collide);
- every distinct content (``content_hash``) of a post is a row of ``post_versions``; ``posts.version``
  points at the newest one and ``posts.metrics`` holds the newest counters, which change without
  making a new version;
- findings belong to a post version *and* the fingerprint of the policy packs that produced them, so
  rescanning with the same packs replaces them instead of piling up duplicates.

Integer surrogate keys that point at another table end in ``_pk`` (``post_pk``), to keep them apart
from the platform's own string ids (``post_id``, ``author_id``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# JSONB on PostgreSQL (indexable, compact); JSON text elsewhere.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
# 64-bit keys for the tables that grow with every scanned post; SQLite needs plain INTEGER for its
# primary keys to alias the rowid (and auto-increment), and its INTEGER is 64-bit anyway.
BigKey = BigInteger().with_variant(Integer(), "sqlite")

# Explicit constraint names, so migrations and every backend agree on them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSONType, list[Any]: JSONType}


class ScanRun(Base):
    """One `trustwatch scan`: what it read, with which packs and settings, and how it went."""

    __tablename__ = "scan_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # running | finished
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    inputs: Mapped[list[Any]] = mapped_column()
    packs: Mapped[list[Any]] = mapped_column()
    pack_fingerprint: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column()
    # The summary is kept whole as JSON; its counters are also columns so runs can be listed and
    # compared in SQL without parsing JSON.
    summary: Mapped[dict[str, Any] | None] = mapped_column()
    records_read: Mapped[int | None] = mapped_column(BigInteger)
    results_ok: Mapped[int | None] = mapped_column(BigInteger)
    quarantined: Mapped[int | None] = mapped_column(BigInteger)
    flagged: Mapped[int | None] = mapped_column(BigInteger)
    seconds: Mapped[float | None] = mapped_column(Float)
    posts_per_s: Mapped[float | None] = mapped_column(Float)
    # Crash safety (migration scale_0001): a hash of what the scan reads and how, so running the same
    # scan again finds this run; the last durable checkpoint (shards done, counters, output sizes);
    # which process holds the run, and when it last checkpointed.
    identity: Mapped[str | None] = mapped_column(String(64), index=True)
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column()
    owner: Mapped[str | None] = mapped_column(Text)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuthorRow(Base):
    """An account that published posts, as last seen; first/last seen are scan run ids."""

    __tablename__ = "authors"
    __table_args__ = (UniqueConstraint("platform", "author_id"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    platform: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    mcn: Mapped[str | None] = mapped_column(Text)
    verified: Mapped[bool | None] = mapped_column(Boolean)
    first_seen_run: Mapped[int] = mapped_column(ForeignKey("scan_runs.id"))
    last_seen_run: Mapped[int] = mapped_column(ForeignKey("scan_runs.id"))


class PostRow(Base):
    """A post's identity and its latest state (current version, latest metrics)."""

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("platform", "post_id"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    platform: Mapped[str] = mapped_column(Text)
    post_id: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    author_pk: Mapped[int | None] = mapped_column(BigKey, ForeignKey("authors.id"), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str | None] = mapped_column(Text)  # as given; inputs vary in format
    lang: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column()


class PostVersionRow(Base):
    """One distinct content of a post; `raw` is the whole input record that first carried it."""

    __tablename__ = "post_versions"
    __table_args__ = (UniqueConstraint("post_pk", "version"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    post_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("posts.id"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column()
    first_seen_run: Mapped[int] = mapped_column(ForeignKey("scan_runs.id"))


class MediaRow(Base):
    """An image, audio or video attached to one post version, in input order (`idx`)."""

    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("post_version_pk", "idx"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    post_version_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("post_versions.id"))
    idx: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)


class ScanResultRow(Base):
    """The decision of one scan run about one post version."""

    __tablename__ = "scan_results"
    # Results are read per run in insertion (= input) order, page by page. No unique constraint on
    # (run_id, post_version_pk): the writer deduplicates each batch and the scanner sends each id
    # once per run, and a second index would slow every insert.
    __table_args__ = (Index(None, "run_id", "id"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scan_runs.id"))
    post_version_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("post_versions.id"))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    flagged: Mapped[bool] = mapped_column(Boolean)
    categories: Mapped[dict[str, Any]] = mapped_column()
    scores: Mapped[dict[str, Any]] = mapped_column()


class FindingRow(Base):
    """One piece of evidence for one post version under one set of policy packs."""

    __tablename__ = "findings"
    __table_args__ = (Index(None, "post_version_pk", "pack_fingerprint"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    post_version_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("post_versions.id"))
    pack_fingerprint: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(Text)
    signal: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    excerpt: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text)


class QuarantineRow(Base):
    """An input record a scan run could not read, with where it was and why."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scan_runs.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    line: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)


metadata = Base.metadata

# Feature areas keep their models in modules of their own; importing them here puts their tables
# in `metadata`, which the migrations' drift test and Alembic compare against.
from . import schema_cases, schema_media, schema_sources, schema_web  # noqa: F401
