"""Load on `POST /v1/moderations`, single-post requests, over loopback only.

Starts `trustwatch serve` on 127.0.0.1 (a free port, a throw-away SQLite database, one viewer
token), then measures, each phase bounded in requests and seconds:

1. baseline, in process: the same Moderator the endpoint uses, no HTTP (the detection floor);
2. baseline, over HTTP: `GET /healthz` at the target rate (the server and HTTP floor);
3. `/v1/moderations` at a fixed arrival rate (default 100 requests/s, open loop: latency counts from
   the moment a request was due, so a slow server cannot hide queueing);
4. `/v1/moderations` closed loop with a few connections: the most it sustains.

Texts are the bundled example posts, in turn. Usage:
    .venv/bin/python bench/api_load.py [--rate 100] [--seconds 10] [--connections 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TRUSTWATCH = Path(sys.executable).with_name("trustwatch")


def texts() -> list[str]:
    out = []
    with open(REPO / "examples" / "posts.jsonl", encoding="utf-8") as fh:
        for line in fh:
            t = json.loads(line).get("text")
            if t:
                out.append(t)
    return out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def summary(name: str, lat_s: list[float], wall: float, errors: int) -> dict[str, object]:
    ms = [x * 1000 for x in lat_s]
    row = {"phase": name, "requests": len(ms), "errors": errors, "throughput_rps": round(len(ms) / wall, 1),
           "p50_ms": round(pct(ms, 0.50), 2), "p99_ms": round(pct(ms, 0.99), 2), "max_ms": round(max(ms), 2),
           "mean_ms": round(statistics.fmean(ms), 2)}
    print(json.dumps(row), flush=True)
    return row


class Client:
    """One keep-alive HTTP/1.1 connection per thread."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.local = threading.local()

    def conn(self) -> http.client.HTTPConnection:
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.local.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        return c

    def call(self, method: str, path: str, body: bytes | None = None) -> int:
        headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            r.read()
            return r.status
        except (OSError, http.client.HTTPException):
            self.local.c = None
            return 0


def open_loop(client: Client, method: str, path: str, bodies: list[bytes | None], rate: float, seconds: float, name: str) -> dict[str, object]:
    n = int(rate * seconds)
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(i: int, due: float) -> None:
        nonlocal errors
        status = client.call(method, path, bodies[i % len(bodies)])
        done = time.perf_counter()
        with lock:
            lat.append(done - due)
            if status != 200:
                errors += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=32) as pool:
        for i in range(n):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, i, due)
    return summary(name, lat, time.perf_counter() - start, errors)


def closed_loop(client: Client, bodies: list[bytes], connections: int, requests: int, max_seconds: float) -> dict[str, object]:
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(requests))
    stop_at = time.perf_counter() + max_seconds

    def worker() -> None:
        nonlocal errors
        for i in counter:
            if time.perf_counter() > stop_at:
                return
            t0 = time.perf_counter()
            status = client.call("POST", "/v1/moderations", bodies[i % len(bodies)])
            with lock:
                lat.append(time.perf_counter() - t0)
                errors += status != 200

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summary(f"moderations closed loop, {connections} connections", lat, time.perf_counter() - start, errors)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--max-requests", type=int, default=5000)
    args = ap.parse_args()
    posts = texts()
    bodies = [json.dumps({"input": t}).encode() for t in posts]

    # 1. in-process floor
    from trustwatch.detect import Detector
    from trustwatch.policy import load_packs
    from trustwatch.web.moderation import ModerationRequest, Moderator

    mod = Moderator(Detector(load_packs(None)), "bench")
    for t in posts[:50]:
        mod.moderate(ModerationRequest(input=t))
    lat = []
    start = time.perf_counter()
    for i in range(2000):
        t0 = time.perf_counter()
        mod.moderate(ModerationRequest.model_validate_json(bodies[i % len(bodies)]))
        lat.append(time.perf_counter() - t0)
    summary("baseline: moderate in process (no HTTP)", lat, time.perf_counter() - start, 0)

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        env = dict(os.environ, NO_COLOR="1")
        subprocess.run([str(TRUSTWATCH), "users", "add", "bench", "--role", "viewer", "--db", db], input="bench password 123\n",
                       text=True, check=True, env=env, capture_output=True)
        token = subprocess.run([str(TRUSTWATCH), "tokens", "create", "--user", "bench", "--db", db], text=True, check=True,
                               env=env, capture_output=True).stdout.strip()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([str(TRUSTWATCH), "serve", "--db", db, "--host", "127.0.0.1", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            client = Client(port, token)
            deadline = time.monotonic() + 60
            while client.call("GET", "/healthz") != 200:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            for b in bodies[:100]:  # warm-up
                client.call("POST", "/v1/moderations", b)
            open_loop(client, "GET", "/healthz", [None], args.rate, args.seconds, f"baseline: GET /healthz at {args.rate:g}/s")
            row = open_loop(client, "POST", "/v1/moderations", bodies, args.rate, args.seconds, f"moderations at {args.rate:g}/s")  # type: ignore[arg-type]
            closed_loop(client, bodies, args.connections, args.max_requests, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=20)
    ok = float(row["p99_ms"]) < 100 and row["errors"] == 0  # type: ignore[arg-type]
    print(f"target p99 < 100 ms at {args.rate:g} requests/s: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
