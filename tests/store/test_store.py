"""The store against real SQLite files and a real PostgreSQL 15 server: same calls, same answers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from trustwatch.errors import TrustwatchError
from trustwatch.models import Author, Finding, Media, Post, Quarantined
from trustwatch.store import Store, StoreError, content_hash
from trustwatch.store.engine import alembic_config
from trustwatch.store.schema import metadata

PACKS = [
    {"id": "scam", "version": "1.0", "sha256": "a" * 64},
    {"id": "toxic", "version": "2.1", "sha256": "b" * 64},
]
SETTINGS = {"threshold": 0.5, "workers": 2}
SUMMARY = {
    "records_read": 3,
    "results_ok": 3,
    "quarantined": 1,
    "flagged": 1,
    "per_category": {"scam": 1},
    "seconds": 0.25,
    "posts_per_s": 12.0,
}
TABLES = {
    "scan_runs",
    "authors",
    "posts",
    "post_versions",
    "media",
    "scan_results",
    "findings",
    "quarantine",
}


@pytest.fixture
def store(db_url: str) -> Any:
    s = Store.open(db_url)
    yield s
    s.close()


def make_post(i: int, text: str = "", **changes: Any) -> Post:
    fields: dict[str, Any] = {
        "id": f"fb:{i}",
        "platform": "facebook",
        "text": text or f"Xem bói giải hạn, liên hệ 0901 234 56{i}",
        "title": f"Bài {i}",
        "url": f"https://facebook.com/posts/{i}",
        "created_at": "2026-05-01T10:00:00+07:00",
        "lang": "vi",
        "author": Author(
            id=f"page:{i % 2}", name=f"Trang {i % 2}", followers=1000 + i, mcn=None, verified=True
        ),
        "media": (Media("image", f"media/{i}.jpg"),),
        "metrics": {"views": 10 * i, "likes": i, "comments": 0, "shares": 1},
        "hashtags": ("xembói",),
        "links": (),
    }
    fields.update(changes)
    fields.setdefault(
        "raw",
        {
            "id": fields["id"],
            "platform": fields["platform"],
            "text": fields["text"],
            "extra": [1, 2],
        },
    )
    return Post(**fields)


def make_result(post: Post, flagged: bool = True, excerpt: str = "Xem bói") -> dict[str, Any]:
    found = [
        Finding(
            "scam", "lexicon", 0.9, "text", 0, len(excerpt), excerpt, "lexicon term 'xem bói'"
        ).as_dict()
    ]
    return {
        "post_id": post.id,
        "status": "ok",
        "error": None,
        "flagged": flagged,
        "categories": {"scam": flagged, "toxic": False},
        "category_scores": {"scam": 0.93 if flagged else 0.02, "toxic": 0.01},
        "findings": found if flagged else [],
    }


def rows(*posts: Post) -> list[tuple[Post, dict[str, Any]]]:
    return [(p, make_result(p, flagged=i == 0)) for i, p in enumerate(posts)]


def scan(
    store: Store, batch: list[tuple[Post, dict[str, Any]]], packs: list[dict[str, Any]] = PACKS
) -> int:
    run = store.begin_scan(["posts.jsonl"], packs, SETTINGS)
    store.save_results(run, batch)
    store.finish_scan(run, SUMMARY)
    return run


# -- schema ------------------------------------------------------------------------------------


def test_migrations_create_every_table_at_head(store: Store, db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        assert TABLES | {"alembic_version"} <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        assert current == set(ScriptDirectory.from_config(alembic_config()).get_heads())
    finally:
        engine.dispose()


def test_models_match_the_migrations(store: Store, db_url: str) -> None:
    """Alembic autogenerate finds nothing to change: the models and 0001_initial agree."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(ctx, metadata) == []
    finally:
        engine.dispose()


def test_reopening_keeps_data_and_migrates_nothing(db_url: str) -> None:
    with Store.open(db_url) as s:
        scan(s, rows(make_post(1)))
    with Store.open(db_url) as s:
        assert s.counts()["posts"] == 1


def test_sqlite_is_tuned(tmp_path: Path) -> None:
    path = tmp_path / "tuned.db"
    with Store.open(str(path)) as s:  # a plain path means a SQLite file
        scan(s, rows(make_post(1)))
        with s._engine.connect() as conn:  # the pragmas of a pooled connection
            pragma = {
                p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                for p in ("journal_mode", "synchronous", "foreign_keys")
            }
    assert pragma == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1}  # 1 = NORMAL
    assert sqlite3.connect(path).execute("SELECT count(*) FROM posts").fetchone() == (1,)


# -- saving and reading ------------------------------------------------------------------------


def test_save_and_read_back(store: Store) -> None:
    posts = [make_post(1), make_post(2), make_post(3, platform=None, author=Author(), media=())]
    batch = rows(*posts)
    run = scan(store, batch)

    got = list(store.iter_results(run))
    assert [g["post"]["id"] for g in got] == ["fb:1", "fb:2", "fb:3"]  # input order
    first = got[0]
    assert first["post"] == {
        "id": "fb:1",
        "platform": "facebook",
        "url": "https://facebook.com/posts/1",
        "created_at": "2026-05-01T10:00:00+07:00",
        "author_id": "page:1",
        "author_name": "Trang 1",
        "text": posts[0].text,
        "title": "Bài 1",
        "lang": "vi",
        "metrics": {"views": 10, "likes": 1, "comments": 0, "shares": 1},
        "version": 1,
    }
    for (_, result), g in zip(batch, got, strict=True):
        assert g["result"] == result  # the stored result is the result line that was saved
    assert got[2]["post"]["platform"] is None and got[2]["post"]["author_id"] is None

    assert [g["post"]["id"] for g in store.iter_results(run, flagged_only=True)] == ["fb:1"]
    assert [g["post"]["id"] for g in store.iter_results(run, category="scam")] == ["fb:1"]
    assert list(store.iter_results(run, category="toxic")) == []
    assert len(list(store.iter_results(run, limit=2))) == 2

    versions = store.post_versions("facebook", "fb:1")
    assert versions == [
        {
            "version": 1,
            "content_hash": content_hash(posts[0]),
            "text": posts[0].text,
            "title": "Bài 1",
            "first_seen_run": run,
            "media": [{"type": "image", "path": "media/1.jpg"}],
        }
    ]
    assert store.post_versions(None, "fb:3")[0]["version"] == 1
    assert store.post_versions("facebook", "nope") == []
    assert store.counts() == {
        "posts": 3,
        "post_versions": 3,
        "authors": 2,
        "media": 2,
        "findings": 1,
        "scan_runs": 1,
        "scan_results": 3,
        "quarantine": 0,
    }


def test_summary_and_scan_runs_are_stored(store: Store) -> None:
    assert store.get_scan() is None and store.list_scans() == []
    first = scan(store, rows(make_post(1)))
    second = store.begin_scan(["a.jsonl", "b.csv"], PACKS[:1], {"x": [1, 2]})

    latest = store.get_scan()
    assert latest is not None and latest["id"] == second
    assert (
        latest["status"] == "running"
        and latest["finished_at"] is None
        and latest["summary"] is None
    )
    assert latest["inputs"] == ["a.jsonl", "b.csv"] and latest["packs"] == PACKS[:1]
    assert latest["settings"] == {"x": [1, 2]}

    done = store.get_scan(first)
    assert done is not None
    assert done["status"] == "finished" and done["summary"] == SUMMARY
    assert (
        done["inputs"] == ["posts.jsonl"]
        and done["packs"] == PACKS
        and done["settings"] == SETTINGS
    )
    assert done["started_at"] <= done["finished_at"] and done["started_at"].endswith("+00:00")
    assert [r["id"] for r in store.list_scans()] == [second, first]  # newest first
    assert store.get_scan(9999) is None


def test_quarantine_is_stored_per_run(store: Store) -> None:
    run = store.begin_scan(["posts.jsonl"], PACKS, SETTINGS)
    items = [
        Quarantined("posts.jsonl", 7, "Line 7 is not valid JSON.", '{"id": '),
        Quarantined("-", 9, "The record has no id.", '{"text": "xin chào 👋"}'),
    ]
    store.save_quarantine(run, items)
    assert store.quarantine(run) == [q.as_dict() for q in items]
    assert store.counts()["quarantine"] == 2
    assert store.quarantine(store.begin_scan([], [], {})) == []


# -- versions, idempotency, findings -----------------------------------------------------------


def test_rescanning_the_same_file_is_idempotent(store: Store) -> None:
    batch = rows(make_post(1), make_post(2), make_post(3))
    scan(store, batch)
    before = store.counts()
    run2 = scan(store, batch)
    after = store.counts()
    assert after == before | {"scan_runs": 2, "scan_results": 6}
    assert [g["post"]["version"] for g in store.iter_results(run2)] == [1, 1, 1]
    assert len(next(store.iter_results(run2))["result"]["findings"]) == 1


def test_a_changed_post_keeps_its_earlier_version(store: Store) -> None:
    run1 = scan(store, rows(make_post(1, text="Bản đầu tiên")))
    run2 = scan(store, rows(make_post(1, text="Bản đã sửa, liên hệ inbox")))
    versions = store.post_versions("facebook", "fb:1")
    assert [(v["version"], v["text"], v["first_seen_run"]) for v in versions] == [
        (1, "Bản đầu tiên", run1),
        (2, "Bản đã sửa, liên hệ inbox", run2),
    ]
    assert versions[0]["content_hash"] != versions[1]["content_hash"]
    # Each run still shows the version it saw.
    assert next(store.iter_results(run1))["post"]["text"] == "Bản đầu tiên"
    assert next(store.iter_results(run2))["post"]["version"] == 2
    assert store.counts()["posts"] == 1 and store.counts()["post_versions"] == 2
    # Going back to the first text is a change too: version 3, nothing overwritten.
    scan(store, rows(make_post(1, text="Bản đầu tiên")))
    assert [v["version"] for v in store.post_versions("facebook", "fb:1")] == [1, 2, 3]


def test_media_or_hashtags_changes_make_a_new_version(store: Store) -> None:
    scan(store, rows(make_post(1)))
    scan(store, rows(make_post(1, media=(Media("video", "media/1.mp4"),))))
    scan(store, rows(make_post(1, media=(Media("video", "media/1.mp4"),), hashtags=("khác",))))
    versions = store.post_versions("facebook", "fb:1")
    assert [v["media"] for v in versions] == [
        [{"type": "image", "path": "media/1.jpg"}],
        [{"type": "video", "path": "media/1.mp4"}],
        [{"type": "video", "path": "media/1.mp4"}],
    ]


def test_metric_changes_update_the_latest_metrics_only(store: Store) -> None:
    run1 = scan(store, rows(make_post(1)))
    before = store.counts()
    run2 = scan(store, rows(make_post(1, metrics={"views": 999, "likes": 5})))
    assert store.counts() == before | {"scan_runs": 2, "scan_results": 2}
    assert next(store.iter_results(run2))["post"]["metrics"] == {"views": 999, "likes": 5}
    assert next(store.iter_results(run1))["post"]["metrics"] == {"views": 999, "likes": 5}  # latest


def test_findings_are_replaced_not_duplicated(store: Store) -> None:
    post = make_post(1)
    scan(store, [(post, make_result(post, excerpt="Xem bói"))])
    run2 = scan(store, [(post, make_result(post, excerpt="Xem"))])
    assert store.counts()["findings"] == 1
    assert [f["excerpt"] for f in next(store.iter_results(run2))["result"]["findings"]] == ["Xem"]
    # Other packs keep their own findings for the same version.
    other = [{"id": "scam", "version": "1.1", "sha256": "c" * 64}]
    run3 = scan(store, [(post, make_result(post, excerpt="Xem b"))], packs=other)
    assert store.counts()["findings"] == 2
    assert [f["excerpt"] for f in next(store.iter_results(run3))["result"]["findings"]] == ["Xem b"]
    assert [f["excerpt"] for f in next(store.iter_results(run2))["result"]["findings"]] == ["Xem"]
    # A rescan that finds nothing clears the findings of those packs.
    scan(store, [(post, make_result(post, flagged=False))])
    assert store.counts()["findings"] == 1


def test_duplicate_ids_in_one_batch_last_one_wins(store: Store) -> None:
    batch = [
        (make_post(1, text="một"), make_result(make_post(1), excerpt="m")),
        (make_post(2), make_result(make_post(2), flagged=False)),
        (make_post(1, text="hai"), make_result(make_post(1), excerpt="h")),
    ]
    run = scan(store, batch)
    got = list(store.iter_results(run))
    assert [(g["post"]["id"], g["post"]["text"]) for g in got] == [
        ("fb:2", make_post(2).text),
        ("fb:1", "hai"),
    ]
    assert [f["excerpt"] for f in got[1]["result"]["findings"]] == ["h"]
    assert store.counts()["post_versions"] == 2


def test_large_batches_and_paged_reading(store: Store) -> None:
    posts = [make_post(i, text=f"bài số {i}", author=Author(id=f"a{i % 700}")) for i in range(2500)]
    run = store.begin_scan(["big.jsonl"], PACKS, SETTINGS)
    batch = [(p, make_result(p, flagged=i % 3 == 0)) for i, p in enumerate(posts)]
    store.save_results(run, batch[:2200])  # more ids than SQLite's old 999-variable limit
    store.save_results(run, batch[2200:])
    got = list(store.iter_results(run))
    assert len(got) == 2500 and [g["post"]["id"] for g in got] == [p.id for p in posts]
    assert [g["result"] for g in got] == [r for _, r in batch]
    assert sum(1 for _ in store.iter_results(run, flagged_only=True)) == len(range(0, 2500, 3))
    assert len(list(store.iter_results(run, limit=1001))) == 1001
    assert store.counts()["authors"] == 700


def test_unicode_round_trips(store: Store) -> None:
    text = (
        "Thầy bói Huyền Trang 🔮✨ giải hạn, cắt tiền duyên — x\u200be\u200bm b\u200bó\u200bi "
        "👨\u200d👩\u200d👧 \u202eđảo\u202c Tiếng Việt có dấu: ắ ằ ẳ ẵ ặ ơ ư đ; hoá/hóa "
        "combining: a\u0301 \ufeff soft\u00adhyphen 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"
    )
    post = make_post(
        1,
        text=text,
        id="tt:ảnh-🔮",
        title="Tiêu đề 🌙\u200d",
        author=Author(id="người-dùng-₫", name="Cô Đồng 🧿"),
        media=(Media("image", "ảnh/bùa yêu 💕.jpg"),),
        hashtags=("#bùayêu", "#🔮"),
    )
    post = Post(
        **{
            **{f: getattr(post, f) for f in Post.__slots__},
            "raw": {"id": post.id, "text": text, "ghi chú": "🙏"},
        }
    )
    result = make_result(post, excerpt="x\u200be\u200bm b\u200bó\u200bi")
    run = scan(store, [(post, result)])
    got = next(store.iter_results(run))
    assert got["post"]["id"] == "tt:ảnh-🔮"
    assert got["post"]["text"] == text and got["post"]["title"] == "Tiêu đề 🌙\u200d"
    assert got["post"]["author_id"] == "người-dùng-₫" and got["post"]["author_name"] == "Cô Đồng 🧿"
    assert got["result"] == result
    versions = store.post_versions("facebook", "tt:ảnh-🔮")
    assert versions[0]["text"] == text and versions[0]["media"] == [
        {"type": "image", "path": "ảnh/bùa yêu 💕.jpg"}
    ]
    scan(store, [(post, result)])
    assert store.counts()["post_versions"] == 1  # the hash of unicode text is stable


# -- errors --------------------------------------------------------------------------------------


def test_unknown_runs_raise(store: Store) -> None:
    with pytest.raises(StoreError, match="no scan run 42"):
        store.save_results(42, rows(make_post(1)))
    with pytest.raises(StoreError, match="no scan run 42"):
        store.iter_results(42)
    with pytest.raises(StoreError, match="no scan run 42"):
        store.finish_scan(42, SUMMARY)


def test_bad_arguments_raise_helpful_errors(store: Store) -> None:
    with pytest.raises(StoreError, match="each pack must be a dict with id, version, sha256"):
        store.begin_scan([], [{"id": "scam"}], {})
    run = store.begin_scan([], PACKS, {})
    with pytest.raises(StoreError, match="lacks flagged"):
        store.finish_scan(run, {k: v for k, v in SUMMARY.items() if k != "flagged"})
    with pytest.raises(StoreError, match="lacks explanation"):
        bad = make_result(make_post(1))
        del bad["findings"][0]["explanation"]
        store.save_results(run, [(make_post(1), bad)])
    with pytest.raises(StoreError, match=r"\(Post, result dict\) pair"):
        store.save_results(run, [make_post(1)])  # type: ignore[list-item]
    assert store.counts()["posts"] == 0  # a failed batch leaves nothing behind


def test_store_error_is_a_trustwatch_error() -> None:
    assert issubclass(StoreError, TrustwatchError)


def test_unreachable_postgresql_url_raises(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@/trustwatch?host={tmp_path / 'nowhere'}&port=5999"
    with pytest.raises(StoreError) as err:
        Store.open(url)
    message = str(err.value)
    assert message.startswith(
        "Could not connect to the database at 'postgresql+psycopg://postgres@/trustwatch"
    )
    assert "Check the host, port" in message and "server is running" in message


def test_password_is_hidden_in_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as err:
        Store.open(f"postgresql://scanner:s3cret@/db?host={tmp_path}&port=5999")
    assert "s3cret" not in str(err.value) and "***" in str(err.value)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("no/such/folder/trustwatch.db", "The folder 'no/such/folder' for the database file"),
        ("sqlite:///no/such/folder/x.db", "does not exist; create it first"),
        ("", "The database location is empty"),
        ("mysqlx://u@h/db", "names the dialect or driver 'mysqlx'"),
        ("postgresql+psycopg://u@host:notaport/db", "cannot be parsed"),
    ],
)
def test_bad_sqlite_locations_raise_store_error(
    given: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=expected.replace("(", r"\(")):
        Store.open(given)


def test_a_sqlite_path_that_is_a_folder_or_a_foreign_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder, not a file"):
        Store.open(str(tmp_path))
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"this is not a database, just some text " * 200)
    with pytest.raises(
        StoreError, match="Could not open the SQLite database .*notes.txt.*not a database"
    ):
        Store.open(str(junk))


def test_nul_characters_do_not_break_a_batch(store: Store, db_url: str) -> None:
    """PostgreSQL cannot store U+0000 in text or jsonb: it becomes U+FFFD there; SQLite keeps it."""
    text = "trước\x00sau"
    post = make_post(1, text=text, raw={"id": "fb:1", "text": text, "note": "a\\u0000b"})
    run = scan(store, [(post, make_result(post, excerpt="trước\x00"))])
    got = next(store.iter_results(run))
    kept = text if db_url.startswith("sqlite") else "trước\ufffdsau"
    assert got["post"]["text"] == kept
    assert got["result"]["findings"][0]["excerpt"] == kept[:6]
    scan(store, [(post, make_result(post))])
    assert store.counts()["post_versions"] == 1  # the hash is taken before storage


def test_rows_another_writer_inserted_meanwhile_are_used(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if another writer committed post 1 and its author between our SELECT and our INSERT."""
    scan(store, rows(make_post(1)))
    writer = store._writer
    real_posts, real_authors = writer._select_posts, writer._select_authors
    blind = {"posts": True, "authors": True}

    def stale_posts(conn: Any, keys: Any) -> Any:  # the first look misses what the other wrote
        found = real_posts(conn, keys)
        return {} if blind.pop("posts", False) else found

    def stale_authors(conn: Any, keys: Any) -> Any:
        found = real_authors(conn, keys)
        return {} if blind.pop("authors", False) else found

    monkeypatch.setattr(writer, "_select_posts", stale_posts)
    monkeypatch.setattr(writer, "_select_authors", stale_authors)
    run = scan(store, rows(make_post(1), make_post(2)))
    assert not blind  # both stale looks happened
    counts = store.counts()
    assert (counts["posts"], counts["post_versions"], counts["authors"], counts["findings"]) == (
        2,
        2,
        2,
        1,
    )
    assert [g["post"]["version"] for g in store.iter_results(run)] == [1, 1]
