"""Source clusters over HTTP: a planted family of copies ranked, its earliest post, its spread tree
drawn as an inert server-side picture. Runs when the sources area (trustwatch.dedupe) is present."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import PASSWORD, bearer, login
from helpers import run_cli, write_jsonl
from trustwatch.cli_web import _accounts
from trustwatch.web import WebSettings, create_app
from trustwatch.web.app import routes_clusters

pytestmark = pytest.mark.skipif(routes_clusters is None, reason="the sources area (trustwatch.dedupe) is not merged in this tree")
BASE = "Tuyển cộng tác viên làm nhiệm vụ like video, hoa hồng 30% mỗi đơn, nạp trước 500k, ib zalo 0912 345 678 để nhận việc ngay hôm nay"


def _family() -> list[dict[str, Any]]:
    posts = [{"id": "fam:0", "platform": "facebook", "created_at": "2026-05-01T08:00:00+07:00",
              "author": {"id": "page:origin", "name": "<b>Origin</b>"}, "text": BASE, "metrics": {"views": 1000}}]
    for i in range(1, 7):
        posts.append({"id": f"fam:{i}", "platform": "facebook", "created_at": f"2026-05-0{1 + i // 3}T08:{10 + i}:00+07:00",
                      "author": {"id": f"page:copy{i}" if i != 3 else "page:<img src=x onerror=alert(1)>\u202e", "name": f"Copy {i}"}, "text": BASE + f" (chia sẻ {i})",
                      "shared_from": "fam:0" if i % 2 else None, "metrics": {"views": 100 * i}})
    posts.append({"id": "other:1", "platform": "facebook", "text": "Hôm nay trời đẹp, đi dạo hồ Gươm thôi."})
    return posts


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, module_db_url: str) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("clusters")
    db = module_db_url  # a fresh database of each kind: the module runs on both
    assert run_cli("scan", str(write_jsonl(root / "fam.jsonl", _family())), "--db", str(db)).returncode == 0
    accounts = _accounts(str(db))
    accounts.add_user("viewer1", "viewer", PASSWORD)
    token = accounts.create_token("viewer1")
    app = create_app(WebSettings(db=str(db)))
    app.state.sources.index_pending()  # what a scan with the sources area does as it stores posts
    with TestClient(app, raise_server_exceptions=False) as c:
        yield {"client": c, "h": bearer(token)}


def test_the_planted_family_is_one_cluster_with_its_earliest_post(env: dict[str, Any]) -> None:
    c: TestClient = env["client"]
    items = c.get("/v1/clusters", headers=env["h"]).json()["items"]
    assert len(items) == 1 and items[0]["size"] == 7 and items[0]["earliest_post_id"] == "fam:0"
    one = c.get(f"/v1/clusters/{items[0]['cluster_id']}", headers=env["h"]).json()["item"]
    tree = {n["post_id"]: n for n in one["spread_tree"]}
    assert tree["fam:0"]["parent_kind"] == "root" and tree["fam:1"]["parent"] == "fam:0"
    assert c.get("/v1/clusters/999999", headers=env["h"]).status_code == 404
    assert c.get("/v1/clusters", params={"category": "nope"}, headers=env["h"]).status_code == 422


def test_cluster_page_draws_the_tree_inert(env: dict[str, Any]) -> None:
    c: TestClient = env["client"]
    login(c, "viewer1")
    listing = c.get("/clusters").text
    cid = re.search(r'href="/clusters/(\d+)"', listing).group(1)  # type: ignore[union-attr]
    page = c.get(f"/clusters/{cid}").text
    tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    class P(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append((tag, attrs))

    P().feed(page)
    assert sum(1 for t, a in tags if t == "circle") == 7 and sum(1 for t, a in tags if t == "line" and ("class", "edge") in a or ("class", "edge inferred") in a) == 6
    assert not any(t in ("script", "img") for t, _ in tags)  # the hostile account id is text, in the picture too
    assert page.count("page:&lt;img src=x onerror=alert(1)&gt;") >= 2 and "⟨U+202E⟩" in page
    raw = page.find("\u202e")
    assert raw == -1, page[max(0, raw - 300):raw + 50]
