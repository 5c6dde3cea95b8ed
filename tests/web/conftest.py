"""Fixtures for the web tests: one real database of each kind (SQLite, PostgreSQL) filled by a real
`trustwatch scan` of the bundled examples plus a file of hostile posts, users of every role, and
their API tokens. The fixtures are session-scoped and parametrized by backend, so every test that
uses them runs once on each database, and each database is filled once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers import EXAMPLES, run_cli, write_jsonl
from pgserver import BACKENDS, new_database
from trustwatch.cli_web import _accounts
from trustwatch.web import WebSettings, create_app
from trustwatch.web.accounts import Accounts

PASSWORD = "correct horse battery staple"
ROLES = ("viewer", "reviewer", "admin")

# Every field a page shows, filled with markup, script, javascript: links and odd Unicode. The
# text also carries real evidence, so the post is flagged and its evidence is highlighted around
# the hostile parts.
HOSTILE_TEXT = (
    '<script>alert("x")</script> Nhận xem bói, giải hạn <img src=x onerror=alert(1)> '
    "\u202egnp.exe\u202c ib zalo 0912 345 678 </mark><b>bold</b> {{ 7*7 }} \u200bẩn"
)
HOSTILE = [
    {
        "id": "evil:1",
        "platform": "face<b>book</b>",
        "url": "javascript:alert(document.cookie)",
        "author": {"id": "<script>alert(2)</script>", "name": "Thầy \u202eiòb<img src=x onerror=alert(3)>"},
        "text": HOSTILE_TEXT,
        "title": "<a href=\"javascript:alert(4)\">click</a> xem bói",
        "hashtags": ["giaihan", "<svg onload=alert(5)>"],
    },
    {
        "id": "evil:2",
        "platform": "facebook",
        "url": "https://example.com/\"><script>alert(6)</script>",
        "author": {"id": "page:evil2", "name": "\"><svg/onload=alert(7)>"},
        "text": "Giải hạn, cắt duyên âm 500k/lần, chuyển khoản trước ' onmouseover='alert(8)",
    },
]

# One creator with enough posts for a credibility score (the creators area needs five), one of
# them flagged: confirming its case must move the score.
CREATOR = {"id": "page:thaybinh", "name": "Thầy Bình"}
CREATOR_POSTS = [
    {"id": f"cr:{i}", "platform": "facebook", "author": CREATOR, "text": text}
    for i, text in enumerate([
        "Nhận xem bói, giải hạn đầu năm, ib zalo 0912 345 678 để đặt lịch",
        "Chúc mọi người một tuần mới bình an.",
        "Hôm nay trời Hà Nội se lạnh, nhớ mặc ấm nhé.",
        "Cảm ơn các bạn đã theo dõi trang.",
        "Ảnh chùa Một Cột sáng nay rất đẹp.",
        "Cuối tuần này mình nghỉ, hẹn gặp lại mọi người.",
    ])
]


class WebDb(str):
    """A database URL (what `--db` and WebSettings take) that knows the folder of its scan's
    results file."""

    root: Path


@pytest.fixture(scope="session", params=BACKENDS)
def web_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> WebDb:
    """A database of each kind after a real scan of the examples and the hostile posts."""
    root = tmp_path_factory.mktemp("web")
    hostile = write_jsonl(root / "hostile.jsonl", HOSTILE + CREATOR_POSTS)
    db = WebDb(new_database(request, request.param, "web"))
    db.root = root
    res = run_cli("scan", str(EXAMPLES), str(hostile), "--db", db, "--out", str(root / "results.jsonl"))
    assert res.returncode == 0, res.stderr
    accounts = _accounts(str(db))
    for role in ROLES:
        accounts.add_user(f"{role}1", role, PASSWORD)
    accounts.add_user("target1", "viewer", PASSWORD)  # the one the admin routes act on
    return db


@pytest.fixture(scope="session")
def app(web_db: WebDb) -> Any:
    return create_app(WebSettings(db=str(web_db), login_per_name=1000, login_per_address=1000))


@pytest.fixture(scope="session")
def tokens(app: Any) -> dict[str, str]:
    accounts: Accounts = app.state.accounts
    return {role: accounts.create_token(f"{role}1", "tests") for role in ROLES}


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    """Sign in through the login form as a browser would (the form's CSRF nonce included)."""
    form = client.get("/login")
    nonce = form.cookies.get("tw_login_csrf") or client.cookies.get("tw_login_csrf")
    return client.post("/login", data={"name": name, "password": password, "csrf_token": nonce, "next": "/"},
                       follow_redirects=False)


def csrf_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def results_of(web_db: WebDb) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (web_db.root / "results.jsonl").read_text().splitlines()]


class Tags(HTMLParser):
    """The elements and attributes a browser would build from the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


ALLOWED_TAGS = {"html", "head", "meta", "title", "link", "body", "header", "nav", "a", "div", "span", "b", "form", "input",
                "button", "main", "h1", "h2", "p", "code", "br", "small", "table", "tr", "th", "td", "mark", "ul", "li",
                "section", "label", "select", "option", "footer", "details", "summary", "pre", "textarea", "ol"}
RAW_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\ufeff]")


def assert_inert(html: str, where: str) -> None:
    """No element, attribute or link in the page that the data could have put there."""
    parser = Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, (where, tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (where, tag, name)
            if name in ("href", "src", "action"):
                assert not (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:")), (where, value)
    assert not RAW_INVISIBLE.search("".join(parser.text)), where
