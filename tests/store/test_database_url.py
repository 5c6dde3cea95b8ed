"""`DATABASE_URL`: the tests create their databases on the server it names, under unique names,
and drop them at the end; the URL handling itself, and a real child test session pointed at this
session's own server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from pgserver import DatabaseUrlError, PostgresServer, connect_kwargs, database_url, server_url

PROBE_OUT = "TRUSTWATCH_TEST_PROBE_OUT"


def test_server_url_takes_every_postgresql_spelling() -> None:
    for given in ("postgresql://u:p@db.example:5433/admin", "postgres://u:p@db.example:5433/admin",
                  "postgresql+psycopg://u:p@db.example:5433/admin"):
        url = server_url(given)
        assert url.drivername == "postgresql+psycopg" and url.host == "db.example"
        assert (url.username, url.password, url.port, url.database) == ("u", "p", 5433, "admin")
    assert server_url("postgresql://u@h").database == "postgres"  # none given: connect to postgres


@pytest.mark.parametrize("bad", ["sqlite:///x.db", "mysql://u@h/db", "not a url", "postgresql+asyncpg://u@h/db"])
def test_server_url_refuses_what_is_not_a_postgresql_server(bad: str) -> None:
    with pytest.raises(DatabaseUrlError, match="DATABASE_URL"):
        server_url(bad)


def test_database_urls_keep_credentials_host_and_socket_options() -> None:
    server = server_url("postgresql://tw:s%40cret@db.example:5433/postgres?sslmode=require")
    url = make_url(database_url(server, "tw_store_1"))
    assert (url.username, url.password, url.host, url.port) == ("tw", "s@cret", "db.example", 5433)
    assert url.database == "tw_store_1" and url.query == {"sslmode": "require"}
    kw = connect_kwargs(server)
    assert kw == {"dbname": "postgres", "autocommit": True, "user": "tw", "password": "s@cret",
                  "host": "db.example", "port": 5433, "sslmode": "require"}
    socket = server_url("postgresql://postgres@/postgres?host=/run/pg&port=6000")
    assert connect_kwargs(socket) == {"dbname": "postgres", "autocommit": True,
                                          "user": "postgres", "host": "/run/pg", "port": "6000"}


def test_databases_are_unique_per_session_and_dropped(pg_server: PostgresServer) -> None:
    """Two sessions sharing one server (two PostgresServer objects) never pick the same name."""
    a, b = PostgresServer(pg_server.server), PostgresServer(pg_server.server)
    urls = [a.create_database("same"), b.create_database("same"), a.create_database("same")]
    names = [make_url(u).database for u in urls]
    assert len(set(names)) == 3 and all(n.startswith("tw_same_") for n in names)
    for u in urls:  # each is a real, empty database
        with psycopg.connect(**connect_kwargs(make_url(u))) as conn:
            assert conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone() == (0,)
    assert a.drop_all() == [] and b.drop_all() == []
    assert not set(names) & _databases(pg_server)


def _databases(pg_server: PostgresServer) -> set[str]:
    with psycopg.connect(**connect_kwargs(pg_server.server)) as conn:
        return {r[0] for r in conn.execute("select datname from pg_database")}


def test_probe_where_the_databases_are_made(db_url: str, pg_server: PostgresServer) -> None:
    """Run by the child session below (and in every session): where db_url's database lives."""
    if db_url.startswith("sqlite"):
        return
    given = os.environ.get("DATABASE_URL", "").strip()
    if given:  # on the named server, not on one this session started
        assert pg_server.socket_dir is None
        assert make_url(db_url).set(database="x") == server_url(given).set(database="x")
    else:
        assert pg_server.socket_dir is not None
        assert make_url(db_url).query["host"] == str(pg_server.socket_dir)
    out = os.environ.get(PROBE_OUT)
    if out:
        Path(out).write_text(make_url(db_url).database or "", encoding="utf-8")


def test_a_session_with_database_url_uses_that_server_and_cleans_up(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    given = pg_server.url("postgres").replace("postgresql+psycopg://", "postgresql://")
    before = _databases(pg_server)
    probe = tmp_path / "probe.txt"
    env = dict(os.environ, DATABASE_URL=given, **{PROBE_OUT: str(probe)})
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"{Path(__file__).name}::test_probe_where_the_databases_are_made"],
        cwd=Path(__file__).parent, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "2 passed" in proc.stdout
    made = probe.read_text(encoding="utf-8")
    assert made.startswith("tw_test_database_url_"), made  # it was made on this very server ...
    assert _databases(pg_server) == before  # ... and dropped at the end of the child session


def test_a_bad_database_url_stops_the_session_with_a_sentence(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL="sqlite:///nope.db")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"{Path(__file__).name}::test_probe_where_the_databases_are_made"],
        cwd=Path(__file__).parent, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode != 0
    assert "DATABASE_URL='sqlite:///nope.db' is not a PostgreSQL URL" in proc.stdout
