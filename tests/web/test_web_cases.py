"""The review workflow over HTTP: cases opened from a real scan, decided through the form (CSRF,
reason, version) and the API, appeals, notices, compliance, and the audit log that records it all.

Runs when the cases area (trustwatch.cases, issue 7) is present; skipped otherwise."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import HOSTILE, PASSWORD, assert_inert, bearer, csrf_of, login
from helpers import EXAMPLES, run_cli, write_jsonl
from trustwatch.cli_web import _accounts
from trustwatch.web import WebSettings, create_app
from trustwatch.web.app import routes_cases

pytestmark = pytest.mark.skipif(routes_cases is None, reason="the cases area (trustwatch.cases) is not merged in this tree")
PEOPLE = {"viewer1": "viewer", "rev1": "reviewer", "rev2": "reviewer", "rev3": "reviewer", "admin1": "admin"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, module_db_url: str) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("cases")
    db = module_db_url  # a fresh database of each kind: the module runs on both
    assert run_cli("scan", str(EXAMPLES), "--db", str(db), "--no-store").returncode == 0
    hostile = write_jsonl(root / "hostile.jsonl", HOSTILE)
    assert run_cli("scan", str(EXAMPLES), str(hostile), "--db", str(db), "--out", str(root / "r.jsonl")).returncode == 0
    accounts = _accounts(str(db))
    tokens = {}
    for name, role in PEOPLE.items():
        accounts.add_user(name, role, PASSWORD)
        tokens[name] = accounts.create_token(name)
    app = create_app(WebSettings(db=str(db)))
    app.state.cases.deliver_alerts = False
    with TestClient(app, raise_server_exceptions=False) as c:
        yield {"app": app, "client": c, "tokens": tokens, "db": db}


def _api(env: dict[str, Any], who: str, method: str, path: str, **kw: Any) -> Any:
    return env["client"].request(method, path, headers=bearer(env["tokens"][who]), **kw)


def _open(env: dict[str, Any]) -> list[int]:
    r = _api(env, "rev1", "POST", "/v1/cases/open", json={})
    assert r.status_code == 200, r.text
    return r.json()["case_ids"]


def test_opening_cases_needs_a_reviewer(env: dict[str, Any]) -> None:
    assert _api(env, "viewer1", "POST", "/v1/cases/open", json={}).status_code == 403
    ids = _open(env)
    assert ids
    listed = _api(env, "viewer1", "GET", "/v1/cases", params={"status": "open", "limit": 1000}).json()
    assert {c["id"] for c in listed["items"]} >= set(ids)
    assert _open(env) == []  # opening again opens nothing new


def test_case_page_shows_evidence_and_the_decision_form(env: dict[str, Any]) -> None:
    c: TestClient = env["client"]
    case = _api(env, "viewer1", "GET", "/v1/cases", params={"status": "open", "limit": 1}).json()["items"][0]
    login(c, "viewer1")
    listing = c.get("/cases")
    assert listing.status_code == 200 and f'href="/cases/{case["id"]}"' in listing.text
    page = c.get(f"/cases/{case['id']}").text
    assert "<mark" in page and 'name="outcome"' not in page  # a viewer sees no decision form
    login(c, "rev1")
    page = c.get(f"/cases/{case['id']}").text
    assert 'name="outcome" value="confirm"' in page and f'name="expected_version" value="{case["version"]}"' in page
    for p in case["posts"]:
        for f in p["evidence"]:
            assert p["text"][f["start"]:f["end"]] == f["excerpt"]


def _form(env: dict[str, Any], who: str, case_id: int) -> tuple[str, int]:
    c: TestClient = env["client"]
    login(c, who)
    page = c.get(f"/cases/{case_id}").text
    version = int(re.search(r'name="expected_version" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
    return csrf_of(page), version


def test_deciding_through_the_form(env: dict[str, Any]) -> None:
    c: TestClient = env["client"]
    case = next(x for x in _api(env, "rev1", "GET", "/v1/cases", params={"status": "open", "limit": 1000}).json()["items"]
                if x["required_reviews"] == 2)
    cid, cat = case["id"], case["category"]
    token, version = _form(env, "rev1", cid)
    # Without the CSRF token, without a reason, or on a stale version: refused, nothing written.
    assert c.post(f"/cases/{cid}/decide", data={"outcome": "confirm", "category": cat, "reason": "x"}).status_code == 403
    r = c.post(f"/cases/{cid}/decide", data={"outcome": "confirm", "category": cat, "reason": " ", "csrf_token": token,
                                             "expected_version": version})
    assert r.status_code == 400 and 'role="alert"' in r.text
    r = c.post(f"/cases/{cid}/decide", data={"outcome": "confirm", "category": cat, "reason": "price and zalo number",
                                             "csrf_token": token, "expected_version": version + 5})
    assert r.status_code == 409
    r = c.post(f"/cases/{cid}/decide", data={"outcome": "confirm", "category": cat, "reason": "sells readings for money",
                                             "csrf_token": token, "expected_version": version}, follow_redirects=False)
    assert r.status_code == 303
    after = _api(env, "rev1", "GET", f"/v1/cases/{cid}").json()["item"]
    assert after["status"] == "open" and after["decisions"][0]["reviewer"] == "rev1"  # high severity: two reviewers
    token, version = _form(env, "rev2", cid)
    r = c.post(f"/cases/{cid}/decide", data={"outcome": "confirm", "category": cat, "reason": "agree: paid service",
                                             "csrf_token": token, "expected_version": version}, follow_redirects=False)
    assert r.status_code == 303
    assert _api(env, "rev2", "GET", f"/v1/cases/{cid}").json()["item"]["status"] == "confirmed"
    # The appeal, decided by a reviewer who took no part, overturns it.
    appeal = _api(env, "rev1", "POST", f"/v1/cases/{cid}/appeals", json={"appellant": "creator", "grounds": "it was free"})
    assert appeal.status_code == 200, appeal.text
    aid = appeal.json()["item"]["id"]
    assert _api(env, "rev1", "POST", f"/v1/appeals/{aid}/decisions", json={"outcome": "overturn", "reason": "x"}).status_code == 400
    r = _api(env, "rev3", "POST", f"/v1/appeals/{aid}/decisions", json={"outcome": "overturn", "reason": "the reading was free"})
    assert r.status_code == 200, r.text
    assert _api(env, "viewer1", "GET", f"/v1/cases/{cid}").json()["item"]["status"] == "overturned"


def test_api_decisions_notices_compliance_and_audit(env: dict[str, Any]) -> None:
    cases = _api(env, "rev1", "GET", "/v1/cases", params={"status": "open", "limit": 1000}).json()["items"]
    case = cases[0]
    body = {"outcome": "confirm", "category": case["category"], "reason": "clear violation", "expected_version": case["version"]}
    assert _api(env, "viewer1", "POST", f"/v1/cases/{case['id']}/decisions", json=body).status_code == 403
    for who in ("rev3", "rev2")[: case["required_reviews"]]:
        stale = _api(env, who, "POST", f"/v1/cases/{case['id']}/decisions", json=body | {"expected_version": 999})
        assert stale.status_code == 409  # someone else's change since the version the reviewer read
        r = _api(env, who, "POST", f"/v1/cases/{case['id']}/decisions", json=body)
        assert r.status_code == 200, r.text
        body["expected_version"] = r.json()["item"]["version"]
    assert r.json()["item"]["status"] == "confirmed"
    assert {d["reviewer"] for d in r.json()["item"]["decisions"]} <= {"rev3", "rev2"}  # the token's user, never the body
    assert _api(env, "rev2", "GET", "/v1/cases/999999").status_code == 404
    notice = _api(env, "rev3", "POST", "/v1/notices", json={"platform": case["platform"], "reason": "monthly batch"})
    assert notice.status_code == 200, notice.text
    item = notice.json()["item"]["items"][0]
    r = _api(env, "rev3", "POST", f"/v1/notice-items/{item['id']}/response", json={"response": "removed", "reason": "platform mail"})
    assert r.status_code == 200, r.text
    rows = {x["platform"]: x for x in _api(env, "viewer1", "GET", "/v1/compliance").json()["items"]}
    assert rows[case["platform"]]["complied"] >= 1
    c: TestClient = env["client"]
    login(c, "viewer1")
    assert "Compliance per platform" in c.get("/").text and case["platform"] in c.get("/notices").text
    assert _api(env, "viewer1", "GET", "/v1/audit").status_code == 403
    log = _api(env, "rev1", "GET", "/v1/audit").json()
    assert log["verified"] is True
    actions = {(e["actor"], e["action"]) for e in log["items"]}
    assert ("rev3", "case.confirm") in actions and ("rev3", "notice.create") in actions
    login(c, "rev1")
    assert "The hash chain verifies" in c.get("/audit").text


def test_every_case_route_declares_its_role() -> None:
    from fastapi.routing import APIRoute

    from trustwatch.web.security import ROLE_KEY

    for r in routes_cases.router.routes:  # type: ignore[union-attr]
        assert isinstance(r, APIRoute) and (r.openapi_extra or {}).get(ROLE_KEY) in ("viewer", "reviewer"), r.path




def test_hostile_posts_render_inert_in_cases(env: dict[str, Any]) -> None:
    c: TestClient = env["client"]
    cases = _api(env, "rev1", "GET", "/v1/cases", params={"limit": 1000}).json()["items"]
    hostile = [x for x in cases if any(p["post_id"].startswith("evil:") for p in x["posts"])]
    assert hostile
    login(c, "rev1")
    for x in hostile:
        page = c.get(f"/cases/{x['id']}").text
        assert_inert(page, f"/cases/{x['id']}")
        assert "&lt;script&gt;" in page or "&lt;" in page
    for path in ("/cases?status=", "/appeals", "/notices", "/audit"):
        assert_inert(c.get(path).text, path)
