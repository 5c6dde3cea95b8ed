"""The PostgreSQL server the tests use: one they start themselves, or the one `DATABASE_URL` names.

Either way the tests get the same object, whose `create_database` makes a fresh, empty database
and returns its SQLAlchemy URL; `drop_all` removes every database it made. Kept apart from
conftest.py so the URL handling can be tested on its own (tests/store/test_database_url.py).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

ENV = "DATABASE_URL"
BACKENDS = ["sqlite", "postgresql"]


class DatabaseUrlError(ValueError):
    """DATABASE_URL is set but cannot be used for the tests."""


def server_url(value: str) -> URL:
    """The SQLAlchemy URL of the server named by a DATABASE_URL value, with the psycopg driver.

    Accepts postgresql://, postgres:// and postgresql+psycopg:// URLs (the database part names the
    database to connect to for CREATE/DROP DATABASE; `postgres` when absent). Anything else is
    refused with a sentence: the tests create databases there, so it must be a PostgreSQL server.
    """
    try:
        url = make_url(value.strip())
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises ArgumentError or ValueError
        raise DatabaseUrlError(
            f"{ENV}={value!r} cannot be parsed ({exc}); write it as "
            "postgresql://user:password@host:port/dbname."
        ) from None
    backend, _, driver = url.drivername.partition("+")
    if backend not in ("postgresql", "postgres"):
        raise DatabaseUrlError(
            f"{ENV}={value!r} is not a PostgreSQL URL; the tests create their databases on that "
            "server, so give postgresql://user:password@host:port/dbname (or unset it to let the "
            "tests start their own server)."
        )
    if driver not in ("", "psycopg"):
        raise DatabaseUrlError(
            f"{ENV}={value!r} names the driver {driver!r}; the tests use psycopg "
            "(postgresql+psycopg:// or plain postgresql://)."
        )
    return url.set(drivername="postgresql+psycopg", database=url.database or "postgres")


def database_url(server: URL, name: str) -> str:
    """The URL of database `name` on `server` (user, password, host, port and query kept)."""
    return server.set(database=name).render_as_string(hide_password=False)


def connect_kwargs(server: URL) -> dict[str, Any]:
    """psycopg.connect() arguments for the server's own database (for CREATE/DROP DATABASE)."""
    kw: dict[str, Any] = {"dbname": server.database or "postgres", "autocommit": True}
    if server.username:
        kw["user"] = server.username
    if server.password:
        kw["password"] = server.password
    if server.host:
        kw["host"] = server.host
    if server.port:
        kw["port"] = server.port
    for key, value in server.query.items():  # e.g. ?host=/run/postgresql for a Unix socket
        kw[key] = value if isinstance(value, str) else value[-1]
    return kw


@dataclass
class PostgresServer:
    """A PostgreSQL server the tests may CREATE DATABASE on; `create_database` gives each caller a
    fresh one, with a name unique to this session, so several sessions can share one server."""

    server: URL
    socket_dir: Path | None = None  # set when the tests started the server themselves
    port: int | None = None
    _created: list[str] = field(default_factory=list)
    _tag: str = field(default_factory=lambda: f"{os.getpid()}_{uuid.uuid4().hex[:6]}")

    @classmethod
    def local(cls, socket_dir: Path, port: int) -> PostgresServer:
        url = URL.create(
            "postgresql+psycopg",
            username="postgres",
            database="postgres",
            query={"host": str(socket_dir), "port": str(port)},
        )
        return cls(url, socket_dir, port)

    @classmethod
    def from_env(cls, value: str) -> PostgresServer:
        return cls(server_url(value))

    def url(self, dbname: str) -> str:
        return database_url(self.server, dbname)

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(**connect_kwargs(self.server))

    def create_database(self, prefix: str = "trustwatch") -> str:
        """Create a new, empty database and return its SQLAlchemy URL."""
        name = f"tw_{prefix}_{self._tag}_{len(self._created) + 1}".lower()[:63]
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return self.url(name)

    def drop_all(self) -> list[str]:
        """Drop every database this object created; returns the names it could not drop."""
        left = []
        with self._admin() as conn:
            for name in self._created:
                try:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                except Exception:  # noqa: BLE001 - report, do not hide the session's result
                    left.append(name)
        self._created = []
        return left


def new_database(request: Any, backend: str, prefix: str = "test") -> str:
    """A fresh, empty database of `backend` ("sqlite" or "postgresql") for the requesting fixture."""
    if backend == "sqlite":
        folder = request.getfixturevalue("tmp_path_factory").mktemp(prefix)
        return f"sqlite:///{folder / 'trustwatch.db'}"
    return str(request.getfixturevalue("pg_server").create_database(prefix))
