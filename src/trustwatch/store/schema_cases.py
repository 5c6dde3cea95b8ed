"""Tables of the review workflow: cases, decisions, appeals, notices, the audit log and alerts.

Kept apart from `schema.py` (the scan's tables) so the cases area migrates on a branch of its own
(`cases_0001`). Conventions follow `schema.py`: surrogate keys that point at another table end in
``_pk``; platform ids stay text.

Design notes:
- ``cases.version`` is an optimistic-lock counter: every change is ``UPDATE ... WHERE id = ? AND
  version = ?``, so two reviewers deciding at once can never overwrite each other.
- A case groups one or more posts (``case_items``): one post normally, a whole near-duplicate
  cluster when a cluster key is known (``cases.cluster_key``).
- ``audit_log`` is append-only and hash-chained; ``audit_head`` (one row) holds the newest sequence
  number and hash. Writers lock that row, so appends are serialized and the chain never forks, and
  `audit verify` compares it with the last entry, so cutting entries off the end is detected too.
  Times and before/after states are stored as the exact text that was hashed, so no database
  round trip (time zones, JSONB key order) can change what verification recomputes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .schema import Base, BigKey


class CaseRow(Base):
    """A question for a person: does this post (or cluster of posts) break this policy?"""

    __tablename__ = "cases"
    __table_args__ = (
        Index(None, "status", "category"),
        Index(None, "platform", "author_id"),
        Index(None, "cluster_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # open | confirmed | dismissed | overturned
    category: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(8))
    priority: Mapped[float] = mapped_column(Float)
    platform: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(Text)
    cluster_key: Mapped[str | None] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(Text)
    required_reviews: Mapped[int] = mapped_column(Integer)
    scan_run_id: Mapped[int | None] = mapped_column(ForeignKey("scan_runs.id"))
    pack_version: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_category: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)


class CaseItemRow(Base):
    """One post of a case, with the evidence the scan had for it when the case was opened."""

    __tablename__ = "case_items"
    __table_args__ = (UniqueConstraint("case_pk", "post_pk"), Index(None, "platform", "post_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    post_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("posts.id"))
    post_version_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("post_versions.id"))
    platform: Mapped[str] = mapped_column(Text)
    post_id: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    reach: Mapped[int] = mapped_column(BigInteger)
    evidence: Mapped[list[Any]] = mapped_column()


class DecisionRow(Base):
    """A reviewer's confirm/dismiss on a case, or an appeal's uphold/overturn, with its statement."""

    __tablename__ = "decisions"
    __table_args__ = (Index(None, "case_pk"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    appeal_pk: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"))
    kind: Mapped[str] = mapped_column(String(8))  # review | appeal
    outcome: Mapped[str] = mapped_column(String(16))  # confirm | dismiss | uphold | overturn
    reviewer: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    statement: Mapped[dict[str, Any]] = mapped_column()


class AppealRow(Base):
    """A creator or platform contesting a final decision; a different reviewer re-decides."""

    __tablename__ = "appeals"
    __table_args__ = (Index(None, "case_pk"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    appellant: Mapped[str] = mapped_column(String(16))  # creator | platform
    filed_by: Mapped[str] = mapped_column(Text)
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # open | upheld | overturned
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)


class NoticeRow(Base):
    """A batch of requests sent to one platform, with the deadline it was given."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class NoticeItemRow(Base):
    """One request in a notice: remove a post, or restrict/close a repeat violator's account."""

    __tablename__ = "notice_items"
    __table_args__ = (
        Index(None, "notice_pk"),
        Index(None, "platform", "post_id"),
        Index(None, "case_pk"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_pk: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    case_pk: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    request: Mapped[str] = mapped_column(String(24))  # remove_content | restrict_account | close_account
    platform: Mapped[str] = mapped_column(Text)
    post_id: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    # pending | complied | declined | not_complied | withdrawn
    status: Mapped[str] = mapped_column(String(16))
    response: Mapped[str | None] = mapped_column(String(16))  # removed | restricted | declined | no_response
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    # account requests: the confirmed cases they rest on and the count that triggered them
    basis: Mapped[list[Any]] = mapped_column()
    threshold: Mapped[int | None] = mapped_column(Integer)
    seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("scan_runs.id"))
    version: Mapped[int] = mapped_column(Integer)


class AuditEntryRow(Base):
    """One action: who, when, what, the state before and after, and why; hash-chained."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(Text)  # ISO 8601 UTC, exactly as hashed
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    entity: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    after: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The newest audit entry's sequence number and hash (one row, id 1): the lock appenders take."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AlertRuleRow(Base):
    """Who is told about what: filters on category, severity, reach and platform, and a channel."""

    __tablename__ = "alert_rules"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(8))  # webhook | email
    config: Mapped[dict[str, Any]] = mapped_column()  # url+secret, or smtp host/port/from/to
    categories: Mapped[list[Any]] = mapped_column()  # [] = every category
    platforms: Mapped[list[Any]] = mapped_column()  # [] = every platform
    events: Mapped[list[Any]] = mapped_column()  # case_opened | case_confirmed
    min_severity: Mapped[str | None] = mapped_column(String(8))
    min_reach: Mapped[int | None] = mapped_column(BigInteger)
    digest: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertEventRow(Base):
    """An event owed to one rule (the outbox): written in the transaction of the change it reports,
    so an event can fail to arrive but can never vanish."""

    __tablename__ = "alert_events"
    __table_args__ = (Index(None, "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_pk: Mapped[int] = mapped_column(ForeignKey("alert_rules.id"))
    event: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12))  # pending | queued | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AlertDeliveryRow(Base):
    """One delivery attempt (every failure included) of one event, or of a digest of several."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index(None, "rule_pk"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_pk: Mapped[int] = mapped_column(ForeignKey("alert_rules.id"))
    event_ids: Mapped[list[Any]] = mapped_column()
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
