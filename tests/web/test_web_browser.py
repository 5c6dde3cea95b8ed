"""The UI in a real browser: Debian's Chromium driven by Playwright against `trustwatch serve`
running for real on 127.0.0.1, on a database filled by a real `trustwatch scan`. Users and tokens
are made with the real CLI. Screenshots go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO, TRUSTWATCH, run_cli

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "tests" / "artifacts"
PW = "browser test password"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (scripts/install-system.sh installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(web_db: Path) -> Iterator[str]:
    for name, role in (("lan", "reviewer"), ("minh", "admin")):
        res = run_cli("users", "add", name, "--role", role, "--db", str(web_db), stdin=f"{PW}\n".encode())
        assert res.returncode == 0, res.stderr
    port = _free_port()
    proc = subprocess.Popen([str(TRUSTWATCH), "serve", "--db", str(web_db), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ, NO_COLOR="1"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"trustwatch serve did not start: {proc.stdout.read().decode() if proc.stdout else ''}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    ctx = browser.new_context(locale="en-US")
    pg = ctx.new_page()
    problems: list[str] = []
    pg.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    ctx.close()
    assert problems == []  # no script ran, nothing broke the CSP, no alert() from hostile content


def _login(page: Any, base: str, name: str, target: str = "/") -> None:
    page.goto(base + target)
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PW)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_reviewer_logs_in_opens_the_queue_and_reads_the_evidence(server: str, page: Any) -> None:
    _login(page, server, "lan", "/queue?category=superstition_service")
    assert page.url.endswith("/queue?category=superstition_service")
    assert page.locator("h1").inner_text().startswith("Review queue")
    rows = page.locator("table.queue a.post-link")
    assert rows.count() > 5
    rows.first.click()
    page.wait_for_load_state()
    marks = page.locator("#post-text mark")
    assert marks.count() >= 2
    text = page.locator("#post-text").inner_text()
    for i in range(marks.count()):
        assert marks.nth(i).inner_text() in text
    evidence = page.locator("table.evidence").inner_text()
    assert "superstition_service" in evidence and "policy superstition_service" in evidence
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "post-evidence.png"), full_page=True)


def test_hostile_post_is_inert_in_the_browser(server: str, page: Any) -> None:
    _login(page, server, "lan", "/queue?q=alert&all=true")
    page.click("text=evil:1")
    page.wait_for_load_state()
    shown = page.locator("#post-text").inner_text()
    assert '<script>alert("x")</script>' in shown and "<img src=x onerror=alert(1)>" in shown
    assert page.locator("#post-text script, #post-text img, h2 a").count() == 0
    assert "⟨U+202E⟩" in page.locator("a.author-name").inner_text()
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("document.scripts.length") == 0


def test_dashboard_in_vietnamese_and_admin_pages(server: str, page: Any) -> None:
    _login(page, server, "minh")
    assert page.locator("svg.chart rect").count() >= 4
    page.click("a[lang=vi]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Tổng quan"
    page.click("text=Người dùng")
    page.wait_for_load_state()
    assert "lan" in page.locator("table").inner_text()
    page.click("button:has-text('Đăng xuất')")
    page.wait_for_load_state()
    assert "/login" in page.url
    page.goto(server + "/queue")
    assert "/login" in page.url  # the session really ended


def test_a_viewer_token_works_over_real_http(server: str, web_db: Path) -> None:
    res = run_cli("tokens", "create", "--user", "lan", "--db", str(web_db))
    token = res.stdout.strip()
    assert res.returncode == 0 and token.startswith("tw_")
    req = urllib.request.Request(server + "/v1/moderations", data=b'{"input": "xem b\\u00f3i gi\\u1ea3i h\\u1ea1n ib zalo 0912345678"}',
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    import json

    with urllib.request.urlopen(req, timeout=10) as r:
        assert json.load(r)["results"][0]["flagged"] is True


def _api(server: str, token: str, path: str, body: bytes | None = None) -> Any:
    import json

    req = urllib.request.Request(server + path, data=body, method="POST" if body is not None else "GET",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def test_two_reviewers_confirm_a_case_and_the_creators_score_changes(server: str, web_db: Path, browser: Any) -> None:
    from conftest import CREATOR
    from trustwatch.web.app import routes_cases, routes_creators

    if routes_cases is None:
        pytest.skip("the cases area (trustwatch.cases) is not merged in this tree")
    token = run_cli("tokens", "create", "--user", "lan", "--db", str(web_db)).stdout.strip()
    _api(server, token, "/v1/cases/open", b"{}")
    cases = _api(server, token, "/v1/cases?status=open&limit=1000")["items"]
    case = next(c for c in cases if c["author_id"] == CREATOR["id"])
    case_url = f"/cases/{case['id']}"
    creator_url = f"/creators/profile?platform=facebook&creator_id={CREATOR['id']}"
    ARTIFACTS.mkdir(exist_ok=True)
    scores = []
    for who in ("lan", "minh"):
        ctx = browser.new_context(locale="en-US")
        page = ctx.new_page()
        _login(page, server, who, creator_url if routes_creators is not None else case_url)
        if routes_creators is not None:
            scores.append(float(page.locator("#creator-score").inner_text()))
            page.goto(server + case_url)
        assert page.locator("#post-text mark, .case-text mark").count() >= 2  # the evidence, highlighted
        page.fill("textarea[name=reason]", f"{who}: paid fortune-telling with a price and a contact")
        page.click("button[name=outcome][value=confirm]")
        page.wait_for_load_state()
        assert page.url.endswith(case_url) and who in page.locator("table").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"case-after-{who}.png"), full_page=True)
        if who == "minh":
            assert page.locator(".case-status").inner_text() == "confirmed"
            if routes_creators is not None:
                page.goto(server + creator_url)
                scores.append(float(page.locator("#creator-score").inner_text()))
                assert page.locator("#violations-confirmed").inner_text() == "1"
                page.screenshot(path=str(ARTIFACTS / "creator-after-confirm.png"), full_page=True)
        ctx.close()
    case = _api(server, token, f"/v1/cases/{case['id']}")["item"]
    assert case["status"] == "confirmed" and {d["reviewer"] for d in case["decisions"]} == {"lan", "minh"}
    if routes_creators is not None:
        assert scores[0] == scores[1] and scores[2] < scores[0]  # only the confirmed decision moved it
