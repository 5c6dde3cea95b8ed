"""Several `trustwatch serve` workers behind a load balancer share one PostgreSQL database: a
session opened on one worker is valid on the other, a reviewer's decision made through one is seen
through the other, and configuration comes from the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import EXAMPLES, TRUSTWATCH, run_cli

PASSWORD = "correct horse battery staple"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_workers(pg_server: Any, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    db = pg_server.create_database("serve")
    env = dict(os.environ, TRUSTWATCH_DB=db)  # no --db anywhere: the environment configures it
    scan = subprocess.run([str(TRUSTWATCH), "scan", str(EXAMPLES), "--out", str(tmp_path / "r.jsonl")],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert scan.returncode == 0, scan.stderr
    opened = subprocess.run([str(TRUSTWATCH), "cases", "open"], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert opened.returncode == 0, opened.stderr
    add = subprocess.run([str(TRUSTWATCH), "users", "add", "lan", "--role", "reviewer"], input=PASSWORD + "\n",
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert add.returncode == 0, add.stderr
    procs, urls = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(subprocess.Popen([str(TRUSTWATCH), "serve"], env=dict(env, TRUSTWATCH_PORT=str(port)),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc in zip(urls, procs, strict=True):
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else "serve exited"
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "a serve worker did not start"
                time.sleep(0.3)
        yield urls[0], urls[1], db
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)


def test_a_session_and_a_decision_travel_between_workers(two_workers: tuple[str, str, str]) -> None:
    a, b, db = two_workers
    with httpx.Client(base_url=a, follow_redirects=False) as on_a:
        on_a.get("/login")
        nonce = on_a.cookies.get("tw_login_csrf")
        signed_in = on_a.post("/login", data={"name": "lan", "password": PASSWORD, "csrf_token": nonce, "next": "/"})
        assert signed_in.status_code == 303
        cookies = dict(on_a.cookies)
    # The load balancer sends the next request to the other worker: the session is in the database.
    with httpx.Client(base_url=b, cookies=cookies, follow_redirects=False) as on_b:
        page = on_b.get("/queue")
        assert page.status_code == 200 and "lan" in page.text
        cases = on_b.get("/v1/cases", params={"status": "open", "limit": 5}).json()["items"]
        assert cases
    # A token made on the command line works on both workers.
    made = run_cli("tokens", "create", "--user", "lan", "--db", db)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().split()[-1]
    h = {"Authorization": f"Bearer {token}"}
    case_id = cases[0]["id"]
    read = httpx.get(f"{a}/v1/cases/{case_id}", headers=h).json()["item"]
    body = {"assignee": "lan", "reason": "mine", "expected_version": read["version"]}
    assert httpx.post(f"{a}/v1/cases/{case_id}/assign", json=body, headers=h).status_code == 200
    seen_on_b = httpx.get(f"{b}/v1/cases/{case_id}", headers=h).json()["item"]
    assert seen_on_b["assignee"] == "lan" and seen_on_b["version"] > read["version"]
    # Optimistic locking holds across workers: a write based on the stale version is refused.
    stale = httpx.post(f"{b}/v1/cases/{case_id}/assign", json={**body, "reason": "stale"}, headers=h)
    assert stale.status_code == 409


def _try_login(url: str, name: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=url, follow_redirects=False) as c:
        c.get("/login")
        return c.post("/login", data={"name": name, "password": password, "csrf_token": c.cookies.get("tw_login_csrf"), "next": "/"})


def test_failed_sign_ins_count_across_workers(two_workers: tuple[str, str, str]) -> None:
    a, b, _ = two_workers
    # Five tries per name (the default) in all: three on one worker and two on the other use them up.
    assert [_try_login(a, "lan", f"guess {i}").status_code for i in range(3)] == [401] * 3
    assert [_try_login(b, "lan", f"guess {i}").status_code for i in range(2)] == [401] * 2
    blocked = _try_login(a, "lan", PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0

