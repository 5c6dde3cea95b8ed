"""Tables of the web app and HTTP API: users and their roles, API tokens, browser sessions.

Secrets never sit in the database in a usable form: passwords are argon2id hashes, API tokens and
session ids are stored as the sha256 of the random value handed out (they are 256-bit random, so a
fast hash is enough and lets every request find its token by index). Revoking is a timestamp, not a
delete, so the audit of who had access stays readable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .schema import Base


class WebUser(Base):
    """A person who signs in to the web UI or owns API tokens; `role` is viewer, reviewer or admin."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebToken(Base):
    """An API token (`Authorization: Bearer …`), kept as the sha256 of the token."""

    __tablename__ = "web_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("web_users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in browser: the cookie holds a random id, the table its sha256 and the CSRF token."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("web_users.id"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebLoginFailure(Base):
    """A failed sign-in (migration web_0002): kept in the database so that every `serve` worker
    behind a load balancer counts the same failures; rows older than the limiter's window are pruned."""

    __tablename__ = "web_login_failures"
    __table_args__ = (Index(None, "address", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))  # lower-cased
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
