"""Turn a `--db` value into a ready engine: resolve paths and URLs, tune SQLite, migrate to head.

Kept apart from the `Store` so the CLI's `--db` rules (a path or a SQLAlchemy URL, default
`./trustwatch.db`) live in one place, and so every way of opening a database goes through the same
checks and produces the same one-sentence errors.

SQLite notes:
- WAL lets readers (the web UI, reports) work while a scan writes; `synchronous=NORMAL` is durable
  across application crashes in WAL mode and much faster than FULL.
- pysqlite's own transaction handling starts transactions late (only before a DML statement), so a
  batch's SELECT would run outside the transaction that writes. We switch pysqlite to autocommit and
  emit BEGIN ourselves; writers use BEGIN IMMEDIATE so a concurrent writer waits (busy_timeout)
  instead of failing halfway through a batch.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from .errors import StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Execution option a connection sets when it is about to write (see `_sqlite_begin`).
WRITE_OPTION = "trustwatch_write"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# PostgreSQL advisory lock keys (one bigint namespace per database; see `serialize_writes`).
WRITERS_LOCK = 0x7472_7573_7477_0001  # "trustw" + 1: scan batches and the sources index
MIGRATE_LOCK = 0x7472_7573_7477_0002  # schema upgrades


def _json_default(value: Any) -> Any:
    # Parquet rows can carry Decimals, bytes or numpy scalars in `raw`; keep them as text rather
    # than failing a whole batch.
    return str(value)


def json_dumps(value: Any) -> str:
    return orjson.dumps(
        value,
        default=_json_default,
        option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY,
    ).decode()


# PostgreSQL text and jsonb cannot hold U+0000, which scraped text sometimes carries; rather than
# failing a whole batch we store U+FFFD (the replacement character) there. SQLite keeps it as is.
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def json_dumps_pg(value: Any) -> str:
    text = json_dumps(value)
    return _JSON_NUL.sub(r"\1\\ufffd", text) if "\\u0000" in text else text


@cache
def _nul_safe_dumpers() -> tuple[type, ...]:
    # psycopg is an optional dependency: imported only when a PostgreSQL URL is opened.
    from psycopg.types.string import StrBinaryDumper, StrDumperUnknown

    class NulSafeStrBinaryDumper(StrBinaryDumper):
        def dump(self, obj: str) -> Any:
            return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)

    class NulSafeStrDumper(StrDumperUnknown):
        def dump(self, obj: str) -> Any:
            return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)

    return NulSafeStrBinaryDumper, NulSafeStrDumper  # the text one last: it is the default


def _register_nul_safe_dumpers(dbapi_conn: Any, _record: object = None) -> None:
    for dumper in _nul_safe_dumpers():
        dbapi_conn.adapters.register_dumper(str, dumper)


def resolve_url(url_or_path: str) -> URL:
    """A SQLAlchemy URL for `url_or_path`; a plain path means a SQLite file."""
    if not url_or_path or not url_or_path.strip():
        raise StoreError(
            "The database location is empty; pass a file path such as ./trustwatch.db or a URL "
            "such as postgresql+psycopg://user@host/dbname."
        )
    if "://" not in url_or_path:
        path = Path(url_or_path).expanduser()
        _check_sqlite_folder(path, url_or_path)
        return URL.create("sqlite", database=str(path))
    try:
        url = make_url(url_or_path)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(
            f"The database URL {url_or_path!r} cannot be parsed ({exc}); write it as "
            "dialect+driver://user:password@host:port/dbname, e.g. "
            "postgresql+psycopg://trustwatch@localhost/trustwatch, or give a file path for SQLite."
        ) from exc
    if url.drivername in ("postgresql", "postgres"):
        # psycopg (3) is the driver trustwatch ships with; SQLAlchemy would pick psycopg2.
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        _check_sqlite_folder(Path(url.database).expanduser(), url_or_path)
    return url


def _check_sqlite_folder(path: Path, given: str) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise StoreError(
            f"The folder {str(folder)!r} for the database file {given!r} does not exist; create it "
            f"first (mkdir -p {folder}) or pass a path in an existing folder."
        )
    if path.is_dir():
        raise StoreError(
            f"The database path {given!r} is a folder, not a file; pass a file path inside it, "
            f"e.g. {str(path / 'trustwatch.db')!r}."
        )


def make_engine(url: URL) -> Engine:
    """An engine for `url` with trustwatch's JSON codec and, for SQLite, its pragmas."""
    display = url.render_as_string(hide_password=True)
    kwargs: dict[str, Any] = {"json_serializer": json_dumps, "json_deserializer": orjson.loads}
    backend = url.get_backend_name()
    if backend == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    elif backend == "postgresql":
        kwargs["json_serializer"] = json_dumps_pg
    try:
        engine = create_engine(url, **kwargs)
    except NoSuchModuleError as exc:
        raise StoreError(
            f"The database URL {display!r} names the dialect or driver {url.drivername!r}, which "
            "is not installed; use sqlite:///path/to/file.db or postgresql+psycopg://... "
            "(pip install 'trustwatch[postgres]')."
        ) from exc
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"The database driver for {display!r} is not installed ({exc.name}); install it, "
            "e.g. pip install 'trustwatch[postgres]' for PostgreSQL."
        ) from exc
    except (ArgumentError, TypeError) as exc:
        raise StoreError(
            f"The database URL {display!r} is not valid ({exc}); check its options."
        ) from exc
    if backend == "sqlite":
        _tune_sqlite(engine)
    elif url.get_driver_name() == "psycopg":
        event.listen(engine, "connect", _register_nul_safe_dumpers)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see module docstring)
        cur = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "temp_store=MEMORY",
            "cache_size=-65536",  # 64 MiB
            # Checkpoint every ~40 MB of WAL instead of ~4 MB: a scan rewrites the same index
            # pages batch after batch, and each checkpoint syncs to disk (+30% scan throughput).
            "wal_autocheckpoint=10000",
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def serialize_writes(conn: Connection, key: int = WRITERS_LOCK) -> None:
    """Make the caller's transaction the only one holding `key` until it commits or rolls back.

    Why a lock and not only ON CONFLICT: a scan batch reads what the database already holds
    (posts, their current version and hash, authors, clusters of the sources index) and decides
    from that what to insert, version, replace or merge. Under PostgreSQL's READ COMMITTED two
    such batches can each decide from a snapshot without the other's uncommitted rows: both
    insert the same post's version 2, both delete-then-insert the findings of one version (each
    deleting only what it saw, so both sets stay), both create the sources index settings, and
    the row locks they do take (new authors, new posts, existing posts FOR UPDATE) are taken in
    different orders, so they can deadlock. A transaction-scoped advisory lock taken first makes
    the batches of concurrent writers run one after another, each seeing everything committed
    before it: the same rule SQLite enforces with BEGIN IMMEDIATE. The lock covers only the
    write of one batch (a few tens of milliseconds); parsing and detection, where a scan spends
    its time, still run in parallel. It is released by COMMIT/ROLLBACK, so a crashed writer
    cannot leave it held. On SQLite this does nothing: its write lock already serializes writers.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic configuration pointing at the migrations shipped inside this package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return cfg


def check_connection(engine: Engine) -> None:
    """Open one connection now, so a wrong URL fails here with a sentence, not deep in a scan."""
    display = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        if engine.url.get_backend_name() == "sqlite":
            raise StoreError(
                f"Could not open the SQLite database {engine.url.database!r}: {_first_line(exc.orig)}. "
                "Pass the path of a trustwatch database, or of a file that does not exist yet."
            ) from exc
        raise StoreError(
            f"Could not connect to the database at {display!r}: {_first_line(exc.orig)}. Check the "
            "host, port, database name, user and password in the URL, and that the server is "
            "running and reachable."
        ) from exc


def migrate(engine: Engine) -> None:
    """Bring the schema to every newest revision (features add their tables on branches of their own)."""
    display = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn, conn.execution_options(**{WRITE_OPTION: True}).begin():
            # Two scans opening one new PostgreSQL database at once would both create the
            # tables; the second waits here (SQLite: at BEGIN IMMEDIATE) and then finds them made.
            serialize_writes(conn, MIGRATE_LOCK)
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    except SQLAlchemyError as exc:
        reason = _first_line(exc.orig if isinstance(exc, DBAPIError) else exc)
        raise StoreError(
            f"Could not bring the database at {display!r} up to the current schema: {reason}. "
            "Check that the URL points at a trustwatch database or an empty one, and that its "
            "user may create tables."
        ) from exc


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


@contextmanager
def transaction(engine: Engine, action: str, write: bool = False) -> Iterator[Connection]:
    """One transaction; a database failure inside it becomes a one-sentence StoreError naming
    `action`. `write` marks it for SQLite's immediate locking (writers queue instead of failing)."""
    try:
        with engine.connect() as conn:
            if write:
                conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0].rstrip(".")
        display = engine.url.render_as_string(hide_password=True)
        raise StoreError(
            f"Could not {action} in {display}: {reason}. Check that the database is reachable, "
            "writable and not full, and that no other program changed its tables."
        ) from exc
