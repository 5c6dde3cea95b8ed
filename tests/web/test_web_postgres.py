"""The web app on the real PostgreSQL server: the same queries, users, tokens and sessions as on
SQLite, against a database filled by a real `trustwatch scan`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from conftest import HOSTILE, PASSWORD, bearer, login
from helpers import EXAMPLES, run_cli, write_jsonl
from trustwatch.web import WebSettings, create_app


def test_api_and_pages_on_postgresql(pg_server: Any, tmp_path: Path) -> None:
    url = pg_server.create_database("web")
    hostile = write_jsonl(tmp_path / "hostile.jsonl", HOSTILE)
    res = run_cli("scan", str(EXAMPLES), str(hostile), "--db", url, "--out", str(tmp_path / "r.jsonl"))
    assert res.returncode == 0, res.stderr
    app = create_app(WebSettings(db=url))
    app.state.accounts.add_user("pg1", "reviewer", PASSWORD)
    h = bearer(app.state.accounts.create_token("pg1"))
    with TestClient(app, raise_server_exceptions=False) as c:
        scam = c.get("/v1/posts", params={"category": "scam", "min_score": 0.5, "limit": 500}, headers=h).json()
        assert scam["total"] > 10 and all(p["result"]["category_scores"]["scam"] >= 0.5 for p in scam["items"])
        texts = c.get("/v1/posts", params={"q": "50%_", "limit": 5}, headers=h).json()  # LIKE wildcards are literal
        assert all("50%_" in p["text"] for p in texts["items"])
        post = c.get(f"/v1/posts/{scam['items'][0]['post_pk']}", headers=h).json()["item"]
        assert post["findings"] and all(post["text"][f["start"]:f["end"]] == f["excerpt"] for f in post["findings"] if f["source"] == "text")
        assert c.get("/v1/findings", params={"category": "scam", "limit": 3}, headers=h).json()["total"] > 0
        assert c.get("/v1/authors", params={"q": "evil2"}, headers=h).json()["total"] == 1
        assert c.get("/v1/dashboard", headers=h).json()["counts"]["posts"] == 467
        assert login(c, "pg1").status_code == 303
        page = c.get("/queue?q=alert&all=true")
        assert page.status_code == 200 and "&lt;script&gt;" in page.text and "<script" not in page.text
        assert c.post("/v1/moderations", json={"input": "xem bói giải hạn ib zalo 0912345678"}, headers=h).json()["results"][0]["flagged"]
