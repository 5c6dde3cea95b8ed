"""Shared fixtures: a real PostgreSQL server for the session, SQLite file URLs, and `db_url`,
a fresh database of each kind for every test that uses one.

The store must behave the same on SQLite and PostgreSQL, so every test that uses a database runs
on both, against real servers rather than mocks. With `DATABASE_URL` set (a postgresql:// URL of
a server where the user may CREATE DATABASE), the tests create their databases there, under names
unique to the session, and drop them at the end. Otherwise the server is started from the Debian
`postgresql` package's binaries into a temporary directory, listens only on a Unix socket there
(no TCP port is opened, so parallel sessions cannot collide), runs with fsync off for speed, and
is stopped when the session ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pgserver import BACKENDS, ENV, DatabaseUrlError, PostgresServer, new_database


def _pg_bin() -> Path:
    """The newest installed PostgreSQL server's binaries (Debian puts each major version apart)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def _free_port() -> int:
    # The server listens on no TCP port; the number only names its socket file, but a number no
    # local server uses keeps tools that look at sockets from being confused.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], as_postgres: bool, **kwargs: object) -> subprocess.CompletedProcess[str]:
    if as_postgres:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole test session: DATABASE_URL's, or one started here."""
    if os.environ.get(ENV, "").strip():
        try:
            server = PostgresServer.from_env(os.environ[ENV])
        except DatabaseUrlError as exc:
            pytest.fail(str(exc))
        yield server
        left = server.drop_all()
        if left:
            print(f"\nCould not drop test databases on the {ENV} server: {', '.join(left)}")
        return
    yield from _local_server()


def _local_server() -> Iterator[PostgresServer]:
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        pytest.fail(
            f"PostgreSQL server binaries were not found in {PG_BIN}; install the Debian package "
            "`postgresql` (apt-get install -y postgresql) so the store tests can run against a real server."
        )
    as_postgres = os.geteuid() == 0  # initdb refuses to run as root
    if as_postgres and shutil.which("runuser") is None:
        pytest.fail(
            "Running as root needs `runuser` (Debian package util-linux) to start PostgreSQL as user postgres."
        )
    tmp = Path(tempfile.mkdtemp(prefix="trustwatch-pg-"))
    data, log = tmp / "data", tmp / "server.log"
    if as_postgres:
        shutil.chown(tmp, user="postgres", group="postgres")
    port = _free_port()
    try:
        init = _run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            as_postgres,
        )
        if init.returncode != 0:
            pytest.fail(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        options = f"-c listen_addresses='' -k {tmp} -p {port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        start = _run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            as_postgres,
        )
        if start.returncode != 0:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"PostgreSQL did not start:\n{start.stdout}\n{start.stderr}\n{server_log}")
        yield PostgresServer.local(tmp, port)
    finally:
        if (data / "postmaster.pid").exists():
            _run(
                [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                as_postgres,
            )
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url(pg_server: PostgresServer) -> str:
    """URL of a database on the session's PostgreSQL server (shared by the session's tests)."""
    return pg_server.create_database("trustwatch")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a new SQLite database file in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'trustwatch.db'}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database of each kind for every test: a SQLite file and a database on the
    session's real PostgreSQL server."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return new_database(request, request.param, request.node.module.__name__.rsplit(".", 1)[-1][:20])


@pytest.fixture(scope="module", params=BACKENDS)
def module_db_url(request: pytest.FixtureRequest) -> str:
    """Like `db_url`, one per module and backend, for modules whose tests share one database
    (an expensive scan made once); the module's tests run once on each backend."""
    return new_database(request, request.param, request.module.__name__.rsplit(".", 1)[-1][:20])


@pytest.fixture
def backend(db_url: str) -> str:
    """"sqlite" or "postgresql": the kind of `db_url`."""
    return "sqlite" if db_url.startswith("sqlite") else "postgresql"


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The process-wide embedder of the semantic signals, caching into a temporary file for the
    module's tests (never the user's cache), and unset afterwards."""
    from trustwatch.detect.embed import Embedder, set_shared_embedder

    emb = Embedder(str(tmp_path_factory.mktemp("emb") / "cache.sqlite"))
    set_shared_embedder(emb)
    yield emb
    set_shared_embedder(None)
