"""Tables of the media area: operator hash banks for known-image matching, and the evidence the
report shows for media findings (the image or frame, the transcript line).

Same `Base` as store/schema.py; the migration is `media_0001` (a branch from `0001`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .schema import Base, BigKey


class HashBankRow(Base):
    """A list of known images: `bad` (a match is a finding in `category`) or `negative` (known fine)."""

    __tablename__ = "hash_banks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(Text)
    max_distance: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HashBankEntryRow(Base):
    """One PDQ hash of a bank, with the quality and metadata its source gave."""

    __tablename__ = "hash_bank_entries"
    __table_args__ = (UniqueConstraint("bank_pk", "hash"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    bank_pk: Mapped[int] = mapped_column(ForeignKey("hash_banks.id", ondelete="CASCADE"))
    hash: Mapped[str] = mapped_column(String(64))
    quality: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(Text)


class MediaEvidenceRow(Base):
    """What a reviewer needs to check a media finding: the segment's text, its time, and a small
    JPEG of the image or frame. Keyed by the post and the finding's `source`, per media content."""

    __tablename__ = "media_evidence"
    __table_args__ = (UniqueConstraint("platform", "post_id", "source", "media_sha256"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    platform: Mapped[str] = mapped_column(Text)
    post_id: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    media_sha256: Mapped[str] = mapped_column(String(64))
    media_path: Mapped[str] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    t: Mapped[float | None] = mapped_column(Float)
    end_t: Mapped[float | None] = mapped_column(Float)
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary)
