"""What the tamper-evident audit log costs: appending entries with the hash chain and head lock
against a baseline of the same rows inserted plainly (no hash, no head), one transaction per entry
as the service does; then `audit verify` speed. SQLite file by default, or --db URL.

    .venv/bin/python bench/cases_audit.py --entries 5000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from trustwatch.cases import audit
from trustwatch.cases.service import CaseService
from trustwatch.store.engine import WRITE_OPTION


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=5000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tw-bench-audit-")
    db = args.db or str(Path(tmp) / "bench.db")
    svc = CaseService.open(db, packs=[])
    engine = svc.engine
    before = {"status": "open", "assignee": None, "version": 1}
    after = {"status": "confirmed", "assignee": "lan", "version": 2, "decision": {"outcome": "confirm", "category": "scam"}}

    def one_tx(fn: object) -> float:
        t = time.perf_counter()
        for i in range(args.entries):
            with engine.connect() as conn:
                conn.execution_options(**{WRITE_OPTION: True})
                with conn.begin():
                    fn(conn, i)  # type: ignore[operator]
        return time.perf_counter() - t

    def plain(conn: object, i: int) -> None:
        conn.execute(insert(audit.audit_log), {  # type: ignore[attr-defined]
            "seq": 10_000_000 + i, "at": "2026-11-26T19:00:00+00:00", "actor": "lan", "action": "case.confirm",
            "entity": "case", "entity_id": str(i), "reason": "Deposit asked before a task job.",
            "before": audit.canonical_json(before), "after": audit.canonical_json(after),
            "prev_hash": "0" * 64, "hash": "0" * 64})

    base = one_tx(plain)
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            conn.execute(audit.audit_log.delete())
    chained = one_tx(lambda conn, i: audit.append(conn, actor="lan", action="case.confirm", entity="case",
                                                   entity_id=i, reason="Deposit asked before a task job.",
                                                   before=before, after=after))
    t = time.perf_counter()
    with svc.read("verify") as conn:
        res = audit.verify(conn)
    verify_s = time.perf_counter() - t
    assert res.ok and res.entries == args.entries
    n = args.entries
    print(f"database: {engine.dialect.name}; {n} entries, one transaction each")
    print(f"baseline insert (no chain): {n / base:,.0f} entries/s")
    print(f"audit.append (hash chain + head lock): {n / chained:,.0f} entries/s ({chained / base:.2f}x the baseline time)")
    print(f"audit verify: {n / verify_s:,.0f} entries/s ({verify_s * 1000:.0f} ms for {n})")
    svc.close()


if __name__ == "__main__":
    main()
