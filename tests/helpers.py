"""Shared helpers for the tests (plain functions; fixtures live in the test modules)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "posts.jsonl"
HOLDOUT = REPO / "tests" / "data" / "holdout_posts.jsonl"
TRUSTWATCH = Path(sys.executable).with_name("trustwatch")


def load_jsonl(path: Path) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def run_cli(
    *args: str, cwd: Path | None = None, stdin: bytes | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """Run the installed `trustwatch` command for real, as a user would."""
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")
    return subprocess.run(
        [str(TRUSTWATCH), *args],
        cwd=cwd,
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def dump_text(db: str) -> str:
    """Every row of every table of the database at `db` (SQLite or PostgreSQL URL, or a SQLite
    path) as text: what an attacker holding a copy of the database would see."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(db if "://" in db else f"sqlite:///{db}")
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return "\n".join(
                repr(tuple(row)) for t in meta.sorted_tables for row in conn.execute(select(t))
            )
    finally:
        engine.dispose()


def scalars(db: str, sql: str) -> list[object]:
    """The first column of `sql`'s rows in the database at `db` (a SQLAlchemy URL or SQLite path)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db if "://" in db else f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)).scalars())
    finally:
        engine.dispose()
