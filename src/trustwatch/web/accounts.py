"""Users, roles, API tokens and browser sessions, on the store's database.

Kept apart from the HTTP layer so the CLI (`trustwatch users add`, `trustwatch tokens create`) and
the web app share one implementation. Passwords are hashed with argon2id (argon2-cffi's defaults:
memory-hard, salted, self-describing); API tokens and session ids are 256-bit random values stored
as their sha256, so a stolen database does not hand out working credentials.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import TrustwatchError
from ..store.engine import WRITE_OPTION
from ..store.schema_web import WebSession, WebToken, WebUser

users_t: Table = WebUser.__table__  # type: ignore[assignment]
tokens_t: Table = WebToken.__table__  # type: ignore[assignment]
sessions_t: Table = WebSession.__table__  # type: ignore[assignment]

ROLES = ("viewer", "reviewer", "admin")
ROLE_RANK = {r: i for i, r in enumerate(ROLES)}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "tw_"
SESSION_DAYS = 7

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the time of a failed login the same
# whether or not the name is known.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a user, their role, and how they proved it (session or token)."""

    user_pk: int
    name: str
    role: str
    via: str  # "session" | "token"
    csrf_token: str | None = None

    def can(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite keeps no zone; we write UTC


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise TrustwatchError(
            f"The user name {name!r} is not valid.",
            "Use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit.",
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLE_RANK:
        raise TrustwatchError(f"The role {role!r} does not exist.", f"Use one of {', '.join(ROLES)}.")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise TrustwatchError(
            f"The password is {len(password)} characters long; it needs at least {MIN_PASSWORD}.",
            "Choose a longer one (a passphrase of several words works well).",
        )
    return password


class Accounts:
    """Verb-based access to users, tokens and sessions; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _write(self) -> Any:
        return self.engine.connect().execution_options(**{WRITE_OPTION: True})

    # -- users -----------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str) -> int:
        check_name(name)
        check_role(role)
        check_password(password)
        try:
            with self._write() as conn, conn.begin():
                return int(
                    conn.execute(
                        insert(users_t).returning(users_t.c.id),
                        {"name": name, "role": role, "password_hash": _hasher.hash(password),
                         "active": True, "created_at": _now()},
                    ).scalar_one()
                )
        except IntegrityError:
            raise TrustwatchError(
                f"A user named {name!r} already exists.",
                "Pick another name, or change this user's role with `trustwatch users role`.",
            ) from None

    def set_role(self, name: str, role: str) -> None:
        check_role(role)
        with self._write() as conn, conn.begin():
            n = conn.execute(update(users_t).where(users_t.c.name == name).values(role=role)).rowcount
        if not n:
            raise TrustwatchError(f"There is no user named {name!r}.", "List them with `trustwatch users list`.")

    def set_active(self, name: str, active: bool) -> None:
        with self._write() as conn, conn.begin():
            row = conn.execute(select(users_t.c.id).where(users_t.c.name == name)).first()
            if row is None:
                raise TrustwatchError(f"There is no user named {name!r}.", "List them with `trustwatch users list`.")
            conn.execute(update(users_t).where(users_t.c.id == row[0]).values(active=active))
            if not active:  # a disabled user is signed out everywhere at once
                conn.execute(delete(sessions_t).where(sessions_t.c.user_pk == row[0]))

    def list_users(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(users_t.c.id, users_t.c.name, users_t.c.role, users_t.c.active, users_t.c.created_at)
                .order_by(users_t.c.name)
            ).mappings().all()
            tokens: dict[int, int] = {}
            for (user_pk,) in conn.execute(select(tokens_t.c.user_pk).where(tokens_t.c.revoked_at.is_(None))):
                tokens[user_pk] = tokens.get(user_pk, 0) + 1
        return [
            {"id": r["id"], "name": r["name"], "role": r["role"], "active": bool(r["active"]),
             "created_at": _aware(r["created_at"]).isoformat(), "tokens": tokens.get(r["id"], 0)}
            for r in rows
        ]

    def _user(self, conn: Any, name: str) -> Any:
        return conn.execute(select(users_t).where(users_t.c.name == name)).mappings().first()

    def verify_password(self, name: str, password: str) -> Principal | None:
        """The user when the name and password match an active user; None otherwise."""
        with self.engine.connect() as conn:
            row = self._user(conn, name)
        stored = row["password_hash"] if row is not None and row["active"] else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if stored is None or row is None:
            return None
        if _hasher.check_needs_rehash(stored):
            with self._write() as conn, conn.begin():
                conn.execute(update(users_t).where(users_t.c.id == row["id"]).values(password_hash=_hasher.hash(password)))
        return Principal(row["id"], row["name"], row["role"], "password")

    # -- API tokens ------------------------------------------------------------------------

    def create_token(self, name: str, label: str | None = None) -> str:
        """A new token for the user; only its hash is kept, so this is the one time it is seen."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._write() as conn, conn.begin():
            row = self._user(conn, name)
            if row is None:
                raise TrustwatchError(f"There is no user named {name!r}.", "Create it first with `trustwatch users add NAME --role ROLE`.")
            if not row["active"]:
                raise TrustwatchError(f"The user {name!r} is disabled.", "Enable it with `trustwatch users enable` first.")
            conn.execute(insert(tokens_t), {"user_pk": row["id"], "token_hash": sha256_hex(token), "label": label, "created_at": _now()})
        return token

    def revoke_tokens(self, name: str) -> int:
        with self._write() as conn, conn.begin():
            row = self._user(conn, name)
            if row is None:
                raise TrustwatchError(f"There is no user named {name!r}.", "List them with `trustwatch users list`.")
            return int(
                conn.execute(
                    update(tokens_t).where(tokens_t.c.user_pk == row["id"], tokens_t.c.revoked_at.is_(None)).values(revoked_at=_now())
                ).rowcount
            )

    def principal_for_token(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users_t.c.id, users_t.c.name, users_t.c.role, users_t.c.active, tokens_t.c.revoked_at)
                .join(tokens_t, tokens_t.c.user_pk == users_t.c.id)
                .where(tokens_t.c.token_hash == sha256_hex(token))
            ).first()
        if row is None or row.revoked_at is not None or not row.active:
            return None
        return Principal(row.id, row.name, row.role, "token")

    # -- sessions --------------------------------------------------------------------------

    def create_session(self, user_pk: int) -> tuple[str, str]:
        """A new session id (for the cookie) and its CSRF token."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = _now()
        with self._write() as conn, conn.begin():
            conn.execute(delete(sessions_t).where(sessions_t.c.expires_at < now))
            conn.execute(
                insert(sessions_t),
                {"user_pk": user_pk, "session_hash": sha256_hex(sid), "csrf_token": csrf,
                 "created_at": now, "expires_at": now + timedelta(days=SESSION_DAYS)},
            )
        return sid, csrf

    def principal_for_session(self, sid: str) -> Principal | None:
        if not sid or len(sid) > 128:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users_t.c.id, users_t.c.name, users_t.c.role, users_t.c.active,
                       sessions_t.c.csrf_token, sessions_t.c.expires_at)
                .join(sessions_t, sessions_t.c.user_pk == users_t.c.id)
                .where(sessions_t.c.session_hash == sha256_hex(sid))
            ).first()
        if row is None or not row.active or _aware(row.expires_at) < _now():
            return None
        return Principal(row.id, row.name, row.role, "session", row.csrf_token)

    def end_session(self, sid: str) -> None:
        with self._write() as conn, conn.begin():
            conn.execute(delete(sessions_t).where(sessions_t.c.session_hash == sha256_hex(sid)))
