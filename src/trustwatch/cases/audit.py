"""The tamper-evident audit log: every action appended, hash-chained, verifiable.

Each entry's hash is sha256 over the previous entry's hash and the canonical JSON (sorted keys, no
spaces, UTF-8) of the entry itself (sequence number, time, actor, action, entity, reason, state
before and after). Changing, deleting or reordering any entry breaks the chain at that entry;
cutting entries off the end is caught by comparing the chain with `audit_head`, which appenders
update in the same transaction. An attacker who can rewrite the whole table and the head can
forge a new chain: for that, publish `audit verify`'s head hash somewhere they cannot reach.

`append` must be called inside the transaction that makes the change it records, so a change and
its audit entry are committed together or not at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Table, insert, select, update

from ..errors import TrustwatchError
from ..store.schema_cases import AuditEntryRow, AuditHeadRow

audit_log: Table = AuditEntryRow.__table__  # type: ignore[assignment]
audit_head: Table = AuditHeadRow.__table__  # type: ignore[assignment]
GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "at", "actor", "action", "entity", "entity_id", "reason", "before", "after")


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, non-ASCII kept: the same value always gives the same text."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str).decode()


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    body = canonical_json({k: entry[k] for k in HASHED_FIELDS})
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def require_reason(reason: str | None, what: str) -> str:
    """Every state change needs a written reason; blank or missing ones are refused."""
    text = (reason or "").strip()
    if not text:
        raise TrustwatchError(
            f"Refusing to {what} without a reason.",
            "Give a written reason (--reason TEXT); it is kept in the audit log.",
        )
    return text


def append(
    conn: Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: Any,
    reason: str,
    before: Any,
    after: Any,
) -> int:
    """Append one entry in the caller's transaction; returns its sequence number."""
    require_reason(reason, action)
    if not (actor or "").strip():
        raise TrustwatchError(f"Refusing to record {action} without an actor.", "Name who acts (--reviewer/--actor NAME).")
    stmt = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # serializes appenders: the chain never forks
    head = conn.execute(stmt).one()
    entry = {
        "seq": int(head.seq) + 1,
        "at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "actor": actor.strip(),
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "reason": reason.strip(),
        "before": canonical_json(before),
        "after": canonical_json(after),
    }
    digest = entry_hash(head.hash, entry)
    conn.execute(insert(audit_log), {**entry, "prev_hash": head.hash, "hash": digest})
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=entry["seq"], hash=digest))
    return entry["seq"]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    head_hash: str
    bad_seq: int | None = None
    problem: str | None = None


def verify(conn: Connection, page: int = 5000) -> VerifyResult:
    """Walk the chain in sequence order; stop at the first entry that does not check out."""
    prev_hash, expected, last_seq, count = GENESIS, 1, 0, 0
    cols = [audit_log.c[k] for k in (*HASHED_FIELDS, "prev_hash", "hash")]
    while True:
        rows = conn.execute(
            select(*cols).where(audit_log.c.seq > last_seq).order_by(audit_log.c.seq).limit(page)
        ).mappings().all()
        for r in rows:
            seq = int(r["seq"])
            if seq != expected:
                return VerifyResult(False, count, prev_hash, expected,
                                    f"entry {expected} is missing (the next entry is {seq}): entries were deleted")
            if r["prev_hash"] != prev_hash:
                return VerifyResult(False, count, prev_hash, seq,
                                    f"entry {seq} does not follow entry {seq - 1} (its previous-hash differs): "
                                    "entries were deleted, inserted or reordered")
            if entry_hash(prev_hash, dict(r)) != r["hash"]:
                return VerifyResult(False, count, prev_hash, seq,
                                    f"entry {seq} was changed after it was written (its hash does not match its content)")
            prev_hash, expected, last_seq, count = r["hash"], seq + 1, seq, count + 1
        if len(rows) < page:
            break
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one_or_none()
    if head is None:
        return VerifyResult(False, count, prev_hash, last_seq + 1, "the audit head row is missing")
    if int(head.seq) != last_seq or head.hash != prev_hash:
        return VerifyResult(False, count, prev_hash, last_seq + 1,
                            f"the log ends at entry {last_seq} but the head records entry {head.seq}: "
                            "entries were removed from the end or the head was altered")
    return VerifyResult(True, count, prev_hash)


def entries(conn: Connection, entity: str | None = None, entity_id: Any = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Audit entries, oldest first, optionally for one entity; before/after decoded."""
    stmt = select(audit_log).order_by(audit_log.c.seq).limit(limit)
    if entity is not None:
        stmt = stmt.where(audit_log.c.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(audit_log.c.entity_id == str(entity_id))
    out = []
    for r in conn.execute(stmt).mappings():
        d = dict(r)
        d["before"] = orjson.loads(d["before"])
        d["after"] = orjson.loads(d["after"])
        out.append(d)
    return out
