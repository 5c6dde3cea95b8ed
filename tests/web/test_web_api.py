"""The HTTP API on a real database filled by a real scan: answers match what the scan stored."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import HOSTILE_TEXT, bearer, results_of
from trustwatch.web.app import ExtractImageReader


@pytest.fixture
def api(client: TestClient, tokens: dict[str, str]) -> Any:
    h = bearer(tokens["viewer"])

    class Api:
        def get(self, path: str, **kw: Any) -> Any:
            return client.get(path, headers=h, **kw)

        def post(self, path: str, **kw: Any) -> Any:
            return client.post(path, headers=h, **kw)

    return Api()


def test_scans_and_quarantine(api: Any, web_db: Path) -> None:
    scans = api.get("/v1/scans").json()
    assert scans["ok"] and scans["total"] == 1
    run = scans["items"][0]
    assert run["summary"]["records_read"] == len(results_of(web_db))
    assert api.get(f"/v1/scans/{run['id']}").json()["item"]["id"] == run["id"]
    assert api.get(f"/v1/scans/{run['id']}/quarantine").json()["total"] == run["summary"]["quarantined"]


def test_posts_match_the_results_file(api: Any, web_db: Path) -> None:
    results = results_of(web_db)
    flagged = {r["post_id"] for r in results if r["status"] == "ok" and r["flagged"]}
    seen: set[str] = set()
    offset = 0
    while True:
        page = api.get("/v1/posts", params={"flagged": "true", "limit": 200, "offset": offset}).json()
        seen |= {p["post_id"] for p in page["items"]}
        offset += 200
        if offset >= page["total"]:
            break
    assert seen == flagged
    scam = {r["post_id"] for r in results if r["status"] == "ok" and r["categories"].get("scam")}
    got = api.get("/v1/posts", params={"category": "scam", "limit": 500}).json()
    assert {p["post_id"] for p in got["items"]} == scam
    high = api.get("/v1/posts", params={"category": "scam", "min_score": 0.9, "limit": 500}).json()["items"]
    assert all(p["result"]["category_scores"]["scam"] >= 0.9 for p in high) and len(high) < len(scam)
    assert api.get("/v1/posts", params={"category": "nope"}).status_code == 422


def test_post_detail_evidence_slices_the_original_text(api: Any, web_db: Path) -> None:
    by_id = {r["post_id"]: r for r in results_of(web_db)}
    page = api.get("/v1/posts", params={"q": "zalo", "flagged": "true", "limit": 5}).json()
    assert page["items"]
    for item in page["items"]:
        post = api.get(f"/v1/posts/{item['post_pk']}").json()["item"]
        assert post["findings"], post["id"]
        for f in post["findings"]:
            source = {"text": post["text"], "title": post["title"], "hashtags": post["hashtags_text"]}[f["source"]]
            assert source[f["start"]:f["end"]] == f["excerpt"]
        assert post["result"]["categories"] == by_id[post["id"]]["categories"]
        assert "zalo" in post["text"].lower()


def test_findings_and_authors(api: Any) -> None:
    fs = api.get("/v1/findings", params={"category": "gambling", "limit": 20}).json()
    assert fs["total"] > 0 and all(f["category"] == "gambling" for f in fs["items"])
    authors = api.get("/v1/authors", params={"q": "evil2"}).json()
    assert authors["total"] == 1 and authors["items"][0]["posts"] == 1
    one = api.get(f"/v1/authors/{authors['items'][0]['pk']}").json()["item"]
    assert one["id"] == "page:evil2"
    assert api.get("/v1/dashboard").json()["counts"]["posts"] >= 465


def _mod(api: Any, body: dict[str, Any]) -> dict[str, Any]:
    r = api.post("/v1/moderations", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_moderations_single_string_shape(api: Any) -> None:
    out = _mod(api, {"input": "Nhận xem bói, giải hạn, ib zalo 0912 345 678", "model": "omni-moderation-latest"})
    assert out["id"].startswith("modr-") and out["model"].startswith("trustwatch-packs-")
    (res,) = out["results"]
    assert res["flagged"] is True and res["categories"]["superstition_service"] is True
    assert set(res["categories"]) == set(res["category_scores"]) == set(res["category_applied_input_types"])
    assert all(v == ["text"] for v in res["category_applied_input_types"].values())
    text = "Nhận xem bói, giải hạn, ib zalo 0912 345 678"
    for f in res["findings"]:
        assert f["source"] == "text" and text[f["start"]:f["end"]] == f["excerpt"] and f["explanation"]
    assert res["errors"] == []


def test_moderations_list_of_strings_gives_one_result_each(api: Any) -> None:
    out = _mod(api, {"input": ["Hôm nay trời đẹp quá", HOSTILE_TEXT, "Nhận xem bói, giải hạn, ib zalo 0912 345 678"]})
    assert [r["flagged"] for r in out["results"]] == [False, True, True]
    assert out["results"][0]["findings"] == []


def test_moderations_parts(api: Any) -> None:
    parts = [{"type": "text", "text": "Xem bói giải hạn"}, {"type": "text", "text": "ib zalo 0912 345 678"}]
    (res,) = _mod(api, {"input": parts})["results"]
    assert res["flagged"] and res["categories"]["superstition_service"]
    assert {f["source"] for f in res["findings"]} == {"text:0", "text:1"}
    for f in res["findings"]:
        assert parts[int(f["source"].split(":")[1])]["text"][f["start"]:f["end"]] == f["excerpt"]
    # Either part alone is not enough: evidence from both parts made the flag.
    assert not _mod(api, {"input": parts[1]["text"]})["results"][0]["categories"]["superstition_service"]


def test_moderations_images_get_a_clear_error_not_a_clean_bill(api: Any) -> None:
    png = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 64).decode()
    (res,) = _mod(api, {"input": [{"type": "image_url", "image_url": {"url": png}}]})["results"]
    assert res["flagged"] is False and all(v == [] for v in res["category_applied_input_types"].values())
    # Without the media area: "not part of this build"; with it: the broken PNG cannot be opened.
    expected = "not part of this build" if ExtractImageReader is None else "cannot be opened"
    assert res["errors"][0]["part"] == 0 and expected in res["errors"][0]["error"]
    (res,) = _mod(api, {"input": [{"type": "text", "text": "xem bói giải hạn ib zalo 0912345678"},
                                  {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]})["results"]
    assert res["flagged"] and res["errors"][0]["part"] == 1 and "not fetched" in res["errors"][0]["error"]
    (res,) = _mod(api, {"input": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}]})["results"]
    assert "not valid base64" in res["errors"][0]["error"]


@pytest.mark.parametrize(
    "body",
    [{}, {"input": 5}, {"input": []}, {"input": [1, 2]}, {"input": [{"type": "video", "text": "x"}]},
     {"input": "x" * 100_001}, {"input": ["a"] * 65}],
)
def test_moderations_rejects_bad_requests(api: Any, body: dict[str, Any]) -> None:
    r = api.post("/v1/moderations", json=body)
    assert r.status_code == 422
    assert r.json()["ok"] is False and r.json()["errors"]


def test_moderations_survive_odd_text(api: Any) -> None:
    for text in ["", "\x00\x01", "\ud7ff" * 10, "🔮" * 5000, "x.e.m b.ó.i g.i.ả.i h.ạ.n ib z@lo 0 9 1 2 3 4 5 6 7 8"]:
        assert len(_mod(api, {"input": text})["results"]) == 1
