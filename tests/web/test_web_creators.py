"""Creator profiles and campaign reports over HTTP: the score breakdown, the score moving when a
case is confirmed, charts embedded inert, campaigns looked up by id only.

Runs when the creators area (trustwatch.creators, issue 6) and the cases area are present."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import CREATOR_POSTS, HOSTILE, PASSWORD, assert_inert, bearer, login
from helpers import EXAMPLES, REPO, run_cli, write_jsonl
from trustwatch.cli_web import _accounts
from trustwatch.web import WebSettings, create_app
from trustwatch.web.app import routes_cases, routes_creators

pytestmark = pytest.mark.skipif(routes_creators is None or routes_cases is None,
                                reason="the creators and cases areas are not merged in this tree")
CAMPAIGNS = REPO / "examples" / "campaigns"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, module_db_url: str) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("creators")
    db = module_db_url  # a fresh database of each kind: the module runs on both
    inputs = [str(EXAMPLES), str(write_jsonl(root / "creator.jsonl", CREATOR_POSTS + HOSTILE))]
    inputs += [str(p) for p in [REPO / "examples" / "campaign_posts.jsonl"] if p.exists()]
    assert run_cli("scan", *inputs, "--db", str(db), "--out", str(root / "r.jsonl")).returncode == 0
    accounts = _accounts(str(db))
    tokens = {}
    for name, role in {"viewer1": "viewer", "rev1": "reviewer", "rev2": "reviewer"}.items():
        accounts.add_user(name, role, PASSWORD)
        tokens[name] = accounts.create_token(name)
    app = create_app(WebSettings(db=str(db), campaigns=[str(CAMPAIGNS)] if CAMPAIGNS.exists() else None))
    app.state.cases.deliver_alerts = False
    with TestClient(app, raise_server_exceptions=False) as c:
        yield {"client": c, "tokens": tokens}


def _get(env: dict[str, Any], path: str, params: dict[str, str] | None = None, who: str = "viewer1") -> Any:
    return env["client"].get(path, params=params, headers=bearer(env["tokens"][who]))


def test_confirming_a_case_changes_the_creators_score(env: dict[str, Any]) -> None:
    c: TestClient = env["client"]
    h = bearer(env["tokens"]["rev1"])
    assert c.post("/v1/cases/open", json={}, headers=h).status_code == 200
    scored = {(x["platform"] or "", x["creator_id"]) for x in _get(env, "/v1/creators").json()["items"] if x["score"] is not None}
    cases = c.get("/v1/cases", params={"status": "open", "limit": 1000}, headers=h).json()["items"]
    case = next(x for x in cases if (x["platform"] or "", x["author_id"]) in scored)  # a creator with enough posts to score
    q = {"platform": case["platform"] or "_", "creator_id": case["author_id"]}
    url = "/v1/creators/profile"
    before = _get(env, url, q).json()["item"]
    body = {"outcome": "confirm", "category": case["category"], "reason": "paid service, price and contact"}
    for who in ("rev1", "rev2")[: case["required_reviews"]]:
        assert c.post(f"/v1/cases/{case['id']}/decisions", json=body, headers=bearer(env["tokens"][who])).status_code == 200
    after = _get(env, url, q).json()["item"]
    assert after["violations"]["confirmed"] == before["violations"]["confirmed"] + 1
    assert after["score"] is not None and after["score"] < before["score"]
    assert set(after["components"]) and all({"value", "weight", "contribution", "explanation"} <= set(v) for v in after["components"].values())
    login(c, "viewer1")
    page = c.get("/creators/profile", params=q).text
    assert page.count("<tr>") >= len(after["components"]) and f'id="violations-confirmed">{after["violations"]["confirmed"]}<' in page
    assert "/creators" in c.get("/creators").text


@pytest.mark.skipif(not CAMPAIGNS.exists(), reason="no example campaign in this tree")
def test_campaign_report_with_inert_charts(env: dict[str, Any]) -> None:
    ids = [x["id"] for x in _get(env, "/v1/campaigns").json()["items"]]
    assert ids
    report = _get(env, f"/v1/campaigns/{ids[0]}").json()["item"]
    assert report["totals"]["posts"] > 0
    login(env["client"], "viewer1")
    page = env["client"].get(f"/campaigns/{ids[0]}").text
    uris = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert uris and "<script" not in page
    for u in uris:
        svg = base64.b64decode(u).decode()
        assert "<script" not in svg.lower() and "<svg" in svg


def test_campaigns_are_found_by_id_never_by_path(env: dict[str, Any]) -> None:
    for bad in ["..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", str(CAMPAIGNS / "x.yaml").replace("/", "%2F")]:
        r = _get(env, f"/v1/campaigns/{bad}")
        assert r.status_code == 404 and "root:" not in r.text


def test_hostile_creator_names_render_inert(env: dict[str, Any]) -> None:
    c: TestClient = env["client"]
    login(c, "viewer1")
    page = c.get("/creators").text
    assert "&lt;img src=x onerror=alert(3)&gt;" in page
    assert_inert(page, "/creators")
    evil = next(x for x in _get(env, "/v1/creators").json()["items"] if "<script>" in x["creator_id"])
    r = c.get("/creators/profile", params={"platform": evil["platform"] or "_", "creator_id": evil["creator_id"]})
    assert r.status_code == 200
    assert_inert(r.text, "creator page")
