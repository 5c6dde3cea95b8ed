"""Hostile post content and names render inert, and evidence is highlighted at the findings' offsets."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import assert_inert, login
from trustwatch.web.render import reveal, segments, web_url


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    login(client, "viewer1")
    return client


def _hostile_pks(client: TestClient) -> dict[str, int]:
    items = client.get("/v1/posts", params={"q": "alert", "limit": 50}).json()["items"]
    return {i["post_id"]: i["post_pk"] for i in items if i["post_id"].startswith("evil:")}


_inert = assert_inert


def test_hostile_posts_render_inert_on_every_page(browser: TestClient) -> None:
    pks = _hostile_pks(browser)
    assert set(pks) == {"evil:1", "evil:2"}
    pages = [f"/posts/{pks['evil:1']}", f"/posts/{pks['evil:2']}", "/queue?q=alert&all=true", "/authors?q=evil2", "/queue?all=true&page=19"]
    author_pk = browser.get("/v1/posts/" + str(pks["evil:1"])).json()["item"]["author"]["pk"]
    pages += [f"/authors/{author_pk}", "/authors?q=Th"]
    for path in pages:
        r = browser.get(path)
        assert r.status_code == 200, path
        _inert(r.text, path)


def test_hostile_text_is_shown_escaped_not_dropped(browser: TestClient) -> None:
    pks = _hostile_pks(browser)
    page = browser.get(f"/posts/{pks['evil:1']}").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;/mark&gt;&lt;b&gt;bold&lt;/b&gt;" in page
    assert "{{ 7*7 }}" in page and "49" not in page.split("post-text", 1)[1][:2000]
    # javascript: URLs are shown as text, never as a link.
    assert "javascript:alert(document.cookie)" in page and 'href="javascript' not in page
    # The right-to-left override and the zero-width space are shown as visible markers.
    assert "⟨U+202E⟩" in page and "⟨U+200B⟩" in page
    page2 = browser.get(f"/posts/{pks['evil:2']}").text
    assert 'href="https://example.com/&#34;&gt;&lt;script&gt;alert(6)&lt;/script&gt;"' in page2


def test_evidence_is_highlighted_at_the_offsets(browser: TestClient) -> None:
    pks = _hostile_pks(browser)
    post = browser.get(f"/v1/posts/{pks['evil:1']}").json()["item"]
    text_findings = [f for f in post["findings"] if f["source"] == "text"]
    assert text_findings
    page = browser.get(f"/posts/{pks['evil:1']}").text
    body = page.split('id="post-text">', 1)[1].split("</div>", 1)[0]
    marked = [htmllib.unescape(re.sub(r"<span class=\"inv\"[^>]*>[^<]*</span>", "", m)) for m in re.findall(r"<mark [^>]*>(.*?)</mark>", body, re.DOTALL)]
    assert marked and all(any(m == f["excerpt"] for f in text_findings) for m in marked)
    # Removing the marks gives back the whole original text, escaped once.
    plain = htmllib.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<span class=\"inv\" title=\"U\+([0-9A-F]+)\">[^<]*</span>", lambda m: chr(int(m.group(1), 16)), body)))
    assert plain == post["text"]


def test_pages_in_vietnamese_and_english(client: TestClient) -> None:
    login(client, "viewer1")
    assert "Review queue" in client.get("/queue").text
    client.get("/lang/vi?next=/queue")
    page = client.get("/queue").text
    assert "Hàng đợi duyệt" in page and '<html lang="vi">' in page
    client.get("/lang/en")
    assert "Review queue" in client.get("/queue").text
    client.cookies.clear()  # no language cookie: the browser's Accept-Language decides
    assert "Đăng nhập" in client.get("/login", headers={"accept-language": "vi-VN,vi;q=0.9"}).text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"), ("a\u202eb", 'a<span class="inv" title="U+202E">⟨U+202E⟩</span>b'),
     ("\x07", '<span class="inv" title="U+0007">⟨U+0007⟩</span>'), (None, ""), ("tiếng Việt\n", "tiếng Việt\n")],
)
def test_reveal(value: Any, expected: str) -> None:
    assert str(reveal(value)) == expected


@pytest.mark.parametrize(
    ("url", "ok"),
    [("https://a.example/x?y=1", True), ("http://a.example", True), ("javascript:alert(1)", False), (" JavaScript:alert(1)", False),
     ("data:text/html,<script>", False), ("//evil.example", False), ("https://a.example/\u202e", False), ("vbscript:x", False), (None, False)],
)
def test_only_web_links_are_links(url: Any, ok: bool) -> None:
    assert (web_url(url) is not None) is ok


def test_segments_cover_the_text_and_skip_overlaps() -> None:
    text = "abc <i>def</i> ghi"
    fs = [{"source": "text", "start": 4, "end": 14, "category": "c"}, {"source": "text", "start": 7, "end": 10, "category": "c"},
          {"source": "text", "start": 50, "end": 60, "category": "c"}, {"source": "title", "start": 0, "end": 3, "category": "c"}]
    pieces = segments(text, fs)
    assert "".join(p for p, _ in pieces) == text
    assert [p for p, f in pieces if f] == ["<i>def</i>"]


