"""Alerts against real local receivers on 127.0.0.1: an HTTP server that checks the HMAC
signature (and can be told to fail), and an SMTP server (aiosmtpd). Every failed attempt must be
in the delivery log; nothing is dropped."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from helpers import run_cli
from trustwatch.cases import CaseService
from trustwatch.cases.alerts import add_rule, deliveries, dispatch, events, send_digest
from trustwatch.errors import TrustwatchError
from trustwatch.pipeline import run_scan

SECRET = "s3cr3t-shared-with-the-receiver"


class Receiver:
    """A webhook endpoint: answers `fail_first` requests with `fail_status`, then 200."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_first = 0
        self.fail_status = 500
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ts = self.headers["X-Trustwatch-Timestamp"]
                expected = "sha256=" + hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
                outer.received.append({"body": json.loads(body), "valid": hmac.compare_digest(
                    expected, self.headers["X-Trustwatch-Signature"]), "event": self.headers["X-Trustwatch-Event"]})
                status = outer.fail_status if len(outer.received) <= outer.fail_first else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def scanned(db_url: str, posts_file: Path, tmp_path: Path) -> Iterator[CaseService]:
    run_scan([str(posts_file)], db=db_url, out=str(tmp_path / "r.jsonl"))
    s = CaseService.open(db_url)
    yield s
    s.close()


def rule(svc: CaseService, name: str, **kw: Any) -> dict[str, Any]:
    return add_rule(svc, name, actor="lead", reason="agreement with the fraud desk", **kw)


def test_signed_webhooks_for_matching_cases_only(scanned: CaseService, receiver: Receiver) -> None:
    rule(scanned, "fraud-desk", webhook=receiver.url, secret=SECRET, categories=["scam"], platforms=["facebook"],
         min_severity="high", min_reach=1000, backoff_s=0.01)
    rule(scanned, "tiktok-only", webhook=receiver.url, secret=SECRET, platforms=["tiktok"], backoff_s=0.01)
    scanned.open_cases()
    assert len(receiver.received) == 3  # the three scams; superstition and tiktok rules do not match
    assert all(r["valid"] and r["event"] == "case_opened" for r in receiver.received)
    assert {r["body"]["category"] for r in receiver.received} == {"scam"}
    assert all(r["body"]["posts"][0]["evidence"] for r in receiver.received)
    log = deliveries(scanned.engine)
    assert len(log) == 3 and all(d["ok"] and d["status_code"] == 200 for d in log)
    # a confirmation is its own event
    cid = receiver.received[0]["body"]["case_id"]
    scanned.decide(cid, "confirm", "lan", "deposit first", "scam")
    scanned.decide(cid, "confirm", "minh", "guaranteed returns", "scam")
    assert receiver.received[-1]["event"] == "case_confirmed" and receiver.received[-1]["body"]["status"] == "confirmed"


def test_a_forged_signature_does_not_verify(receiver: Receiver) -> None:
    import urllib.request

    body = b'{"case_id": 1}'
    req = urllib.request.Request(receiver.url, data=body, method="POST", headers={
        "X-Trustwatch-Timestamp": "1", "X-Trustwatch-Signature": "sha256=" + "0" * 64, "X-Trustwatch-Event": "x"})
    urllib.request.urlopen(req, timeout=5).close()
    assert receiver.received[0]["valid"] is False


def test_failures_are_retried_with_exponential_backoff_and_logged(scanned: CaseService, receiver: Receiver) -> None:
    scanned.deliver_alerts = False
    rule(scanned, "fraud-desk", webhook=receiver.url, secret=SECRET, categories=["superstition_service"],
         max_attempts=4, backoff_s=0.5)
    scanned.open_cases()
    assert [e["status"] for e in events(scanned.engine)] == ["pending"]
    receiver.fail_first = 2
    waits: list[float] = []
    assert dispatch(scanned.engine, sleep=waits.append) == {"delivered": 1, "failed": 0}
    assert waits == [0.5, 1.0]
    log = deliveries(scanned.engine)
    assert [(d["attempt"], d["ok"], d["status_code"]) for d in log] == [(1, False, 500), (2, False, 500), (3, True, 200)]
    assert all("HTTP 500" in d["error"] for d in log[:2])
    assert events(scanned.engine)[0]["status"] == "delivered" and events(scanned.engine)[0]["attempts"] == 3


def test_an_unreachable_receiver_is_a_visible_failure_then_retried(scanned: CaseService, receiver: Receiver, db_url: str) -> None:
    scanned.deliver_alerts = False
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/hook"  # nothing listens once the socket closes
    rule(scanned, "dead", webhook=dead, secret=SECRET, categories=["superstition_service"], max_attempts=3, backoff_s=0)
    scanned.open_cases()
    assert dispatch(scanned.engine, sleep=lambda s: None) == {"delivered": 0, "failed": 1}
    failed = deliveries(scanned.engine, failed_only=True)
    assert [d["attempt"] for d in failed] == [1, 2, 3] and all("URLError" in d["error"] for d in failed)
    assert events(scanned.engine, "failed")
    res = run_cli("alerts", "log", "--failed", "--db", db_url)
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 3
    res = run_cli("alerts", "send", "--db", db_url)
    assert res.returncode == 0 and "0 delivered, 0 failed" in res.stdout  # failed ones need --retry-failed
    # the receiver comes back: retrying the failed event delivers it
    with scanned.write("fix the url") as conn:
        from sqlalchemy import update

        from trustwatch.cases.alerts import rules_t

        conn.execute(update(rules_t).values(config={"url": receiver.url, "secret": SECRET, "max_attempts": 3,
                                                    "backoff_s": 0}))
    assert dispatch(scanned.engine, retry_failed=True) == {"delivered": 1, "failed": 0}
    assert len(receiver.received) == 1 and receiver.received[0]["valid"]


def test_email_now_and_a_daily_digest(scanned: CaseService, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    rule(scanned, "agency", email_to=["desk@agency.example"], smtp_host="127.0.0.1", smtp_port=port,
         events=["case_confirmed"], categories=["scam"])
    rule(scanned, "daily", email_to=["lead@team.example"], smtp_host="127.0.0.1", smtp_port=port,
         events=["case_opened"], digest=True)
    scanned.open_cases()
    assert box.messages == []  # digest rule: queued
    assert len(events(scanned.engine, "queued")) == 4
    cid = next(c["id"] for c in scanned.list_cases(category="scam"))
    scanned.decide(cid, "confirm", "lan", "deposit first", "scam")
    scanned.decide(cid, "confirm", "minh", "guaranteed returns", "scam")
    assert len(box.messages) == 1
    assert box.messages[0]["To"] == "desk@agency.example" and f"case {cid}" in box.messages[0]["Subject"]
    assert send_digest(scanned.engine) == {"digests": 1, "events": 4, "failed": 0}
    digest = box.messages[-1]
    assert "daily digest: 4 event(s)" in digest["Subject"] and digest.get_payload().count("case_opened") == 4
    assert send_digest(scanned.engine)["digests"] == 0  # nothing queued since


def test_rules_are_checked_and_audited(scanned: CaseService, receiver: Receiver) -> None:
    for kw, msg in [({}, "exactly one channel"), ({"webhook": "ftp://x", "secret": "s"}, "not an http"),
                    ({"webhook": receiver.url}, "signing secret"),
                    ({"webhook": receiver.url, "secret": "s", "min_severity": "extreme"}, "Unknown severity"),
                    ({"webhook": receiver.url, "secret": "s", "events": ["post_seen"]}, "Unknown event")]:
        with pytest.raises(TrustwatchError, match=msg):
            rule(scanned, "bad", **kw)
    with pytest.raises(TrustwatchError, match="without a reason"):
        add_rule(scanned, "x", actor="lead", reason="", webhook=receiver.url, secret="s")
    rule(scanned, "ok", webhook=receiver.url, secret="s")
    from trustwatch.cases import audit

    with scanned.read("audit") as conn:
        [entry] = audit.entries(conn, "alert_rule")
        assert entry["after"]["target"] == receiver.url and "secret" not in json.dumps(entry["after"])
