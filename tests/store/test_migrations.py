"""Alembic migrations up and down on SQLite and PostgreSQL: every branch off 0001 can be taken
down and put back on its own, the whole schema can go down to base (no trustwatch table left, with
data in it) and come back up, and what comes back matches the models exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from helpers import EXAMPLES
from trustwatch.pipeline import run_scan
from trustwatch.store.engine import alembic_config, make_engine, resolve_url
from trustwatch.store.schema import metadata

SCRIPTS = ScriptDirectory.from_config(alembic_config())
HEADS = set(SCRIPTS.get_heads())
BRANCHES = sorted(r.revision for r in SCRIPTS.walk_revisions() if r.down_revision == "0001")
DOWN = {r.revision: r.down_revision for r in SCRIPTS.walk_revisions()}


def alembic(engine: Engine, verb: str, target: str) -> None:
    """Run `alembic upgrade|downgrade target` on the engine (its pragmas and codec apply)."""
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, target)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def schema(engine: Engine) -> dict[str, tuple[list[str], list[str]]]:
    """Each table's columns and index names: what any migration changes."""
    insp = inspect(engine)
    return {t: (sorted(c["name"] for c in insp.get_columns(t)), sorted(str(i["name"]) for i in insp.get_indexes(t)))
            for t in tables(engine)}


def current(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return set()
        return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def drift(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(ctx, metadata))


@pytest.fixture
def engine(db_url: str) -> Engine:
    e = make_engine(resolve_url(db_url))
    yield e
    e.dispose()


def test_every_feature_branch_starts_at_0001() -> None:
    assert BRANCHES and {"cases_0001", "media_0001", "sources_0001", "web_0001", "scale_0001"} <= set(BRANCHES)
    for head in HEADS:  # each head is a chain of revisions down to a branch that starts at 0001
        rev = head
        while DOWN[rev] != "0001":
            rev = DOWN[rev]
            assert isinstance(rev, str), f"{head} merges branches; each area keeps a line of its own"
        assert rev in BRANCHES


def test_up_to_heads_down_to_base_and_up_again(engine: Engine, db_url: str, tmp_path: Path) -> None:
    alembic(engine, "upgrade", "heads")
    assert current(engine) == HEADS
    full = tables(engine)
    assert drift(engine) == []
    # With data in every main table (a real scan, the sources index included), down to nothing.
    run_scan([str(EXAMPLES)], db=db_url, out=str(tmp_path / "r.jsonl"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM source_posts")).scalar_one() > 0
    alembic(engine, "downgrade", "base")
    assert current(engine) == set()
    assert tables(engine) == set(), "downgrade to base must leave no trustwatch table"
    alembic(engine, "upgrade", "heads")
    assert current(engine) == HEADS and tables(engine) == full
    assert drift(engine) == []


@pytest.mark.parametrize("head", sorted(HEADS))
def test_each_branch_steps_down_and_up_alone(engine: Engine, head: str) -> None:
    alembic(engine, "upgrade", "heads")
    full = schema(engine)
    alembic(engine, "downgrade", f"{head}@-1")  # one step on that branch only
    below = DOWN[head]
    assert current(engine) == (HEADS - {head}) | ({below} if below != "0001" else set())
    assert schema(engine) != full, f"{head} down changed nothing"
    alembic(engine, "upgrade", head)
    assert current(engine) == HEADS and schema(engine) == full
    assert drift(engine) == []
