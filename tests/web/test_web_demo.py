"""Every page and GET endpoint answers on a fresh `trustwatch demo` database."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from conftest import PASSWORD, bearer
from helpers import run_cli
from trustwatch.web import ROUTERS, WebSettings, create_app

FILL = {"scan_id": "1", "pk": "1", "name": "ana", "code": "vi"}


def test_every_page_and_endpoint_on_the_demo_database(tmp_path: Path, db_url: str) -> None:
    res = run_cli("demo", "--db", db_url, "--out-dir", str(tmp_path / "out"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    app = create_app(WebSettings(db=db_url))
    app.state.accounts.add_user("ana", "admin", PASSWORD)
    h = bearer(app.state.accounts.create_token("ana"))
    checked = 0
    with TestClient(app, raise_server_exceptions=False) as c:
        for router in ROUTERS:
            for r in router.routes:
                if not isinstance(r, APIRoute) or "GET" not in r.methods:
                    continue
                params = [k for k in r.param_convertors]
                if any(k not in FILL for k in params) or any(q.field_info.is_required() for q in r.dependant.query_params):
                    continue  # ids of other areas' records, which a fresh demo has none of
                url = r.path.format(**{k: FILL[k] for k in params})
                resp = c.get(url, headers=h, follow_redirects=False)
                assert resp.status_code == (303 if url.startswith("/lang/") else 200), (url, resp.text[:300])
                checked += 1
        assert checked >= 24
        page = c.get("/queue", headers=h).text
        assert "/posts/" in page  # the demo's flagged posts are in the queue
