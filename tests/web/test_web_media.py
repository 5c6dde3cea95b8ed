"""Images in /v1/moderations through the media area's real OCR (tesseract) and hash banks (PDQ).
Runs when the media area (trustwatch.extract, issue 4) is present; skipped otherwise."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import PASSWORD, bearer
from trustwatch.web import WebSettings, create_app
from trustwatch.web.app import ExtractImageReader

pytestmark = pytest.mark.skipif(ExtractImageReader is None, reason="the media area (trustwatch.extract) is not merged in this tree")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _png(text: str, size: tuple[int, int] = (900, 200)) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", size, "white")
    ImageDraw.Draw(img).text((20, 60), text, fill="black", font=ImageFont.truetype(FONT, 40))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def env(module_db_url: str) -> Iterator[dict[str, Any]]:
    from PIL import Image

    from trustwatch.extract.banks import import_bank
    from trustwatch.extract.pdq import BankEntry, hash_image
    from trustwatch.store import Store

    db = module_db_url  # a fresh database of each kind: the module runs on both
    known = _png("LUCKY88 CASINO", (600, 400))
    with Store.open(db) as store:  # a bank of known bad images, holding this one
        h = hash_image(Image.open(io.BytesIO(known)), "pdq")
        import_bank(store, "casino-ads", "bad", "gambling", [BankEntry(h.variants[0], h.quality, "casino flyer")])
    app = create_app(WebSettings(db=db))
    app.state.accounts.add_user("v1", "viewer", PASSWORD)
    token = app.state.accounts.create_token("v1")
    with TestClient(app, raise_server_exceptions=False) as c:
        yield {"client": c, "h": bearer(token), "known": known}


def _mod(env: dict[str, Any], parts: list[dict[str, Any]]) -> dict[str, Any]:
    r = env["client"].post("/v1/moderations", headers=env["h"], json={"input": parts})
    assert r.status_code == 200, r.text
    (res,) = r.json()["results"]
    return res


def test_text_in_an_image_is_read_and_scored(env: dict[str, Any]) -> None:
    res = _mod(env, [{"type": "image_url", "image_url": {"url": _url(_png("Xem bói giải hạn, ib zalo 0912 345 678"))}}])
    assert res["flagged"] and res["categories"]["superstition_service"]
    assert all(v == ["image"] for v in res["category_applied_input_types"].values())
    for f in res["findings"]:
        assert f["source"].startswith("image:0:") and res["extracted"][f["source"]][f["start"]:f["end"]] == f["excerpt"]


def test_image_and_text_parts_score_together(env: dict[str, Any]) -> None:
    res = _mod(env, [{"type": "text", "text": "Nhận xem bói tử vi trọn đời"},
                     {"type": "image_url", "image_url": {"url": _url(_png("ib zalo 0912 345 678"))}}])
    assert res["flagged"] and {f["source"].split(":")[0] for f in res["findings"]} == {"text", "image"}
    assert all(v == ["text", "image"] for v in res["category_applied_input_types"].values())


def test_known_image_matches_the_hash_bank(env: dict[str, Any]) -> None:
    res = _mod(env, [{"type": "image_url", "image_url": {"url": _url(env["known"])}}])
    pdq = [f for f in res["findings"] if f["signal"] == "pdq"]
    assert res["categories"]["gambling"] and pdq and pdq[0]["category"] == "gambling" and "casino-ads" in pdq[0]["explanation"]


def test_unreadable_images_get_a_clear_error_and_leave_no_files(env: dict[str, Any], tmp_path: Path) -> None:
    res = _mod(env, [{"type": "text", "text": "xin chào"},
                     {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(b"not an image").decode()}}])
    assert res["errors"][0]["part"] == 1 and "image" in res["errors"][0]["error"] and "/tmp" not in res["errors"][0]["error"]
    assert res["category_applied_input_types"]["scam"] == ["text"]
    import tempfile

    assert not list(Path(tempfile.gettempdir()).glob("tw-moderation-*"))


MEDIA_POSTS = Path(__file__).resolve().parents[2] / "examples" / "media_posts.jsonl"


@pytest.mark.skipif(not MEDIA_POSTS.exists(), reason="the media area's demo posts are not in this tree")
def test_post_page_shows_the_image_and_its_text_with_the_evidence(tmp_path: Path, db_url: str) -> None:
    from conftest import login
    from helpers import run_cli

    db = db_url
    res = run_cli("scan", str(MEDIA_POSTS), "--db", db, "--out", str(tmp_path / "r.jsonl"))
    assert res.returncode == 0, res.stderr
    app = create_app(WebSettings(db=db))
    app.state.accounts.add_user("v1", "viewer", PASSWORD)
    h = bearer(app.state.accounts.create_token("v1"))
    with TestClient(app, raise_server_exceptions=False) as c:
        items = c.get("/v1/posts", params={"flagged": "true"}, headers=h).json()["items"]
        image_posts = []
        for it in items:
            post = c.get(f"/v1/posts/{it['post_pk']}", headers=h).json()["item"]
            if any(f["source"].startswith("image:") for f in post["findings"]):
                image_posts.append(post)
        assert image_posts, "the media demo has a post flagged only by the text in its image"
        login(c, "v1")
        page = c.get(f"/posts/{image_posts[0]['pk']}").text
        assert '<img src="data:image/jpeg;base64,' in page and 'class="post-text ut media-text"' in page
        media_text = page.split('media-text">', 1)[1].split("</div>", 1)[0]
        excerpts = {f["excerpt"] for f in image_posts[0]["findings"] if f["source"].startswith("image:")}
        marked = set(re.findall(r"<mark [^>]*>(.*?)</mark>", media_text))
        assert marked and marked <= excerpts
