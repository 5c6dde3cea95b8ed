"""Hash banks and media evidence in the store (tables in store/schema_media.py).

Banks are imported from and exported to the plain text format of ThreatExchange's tools
(`pdq.parse_bank_text` / `pdq.format_bank_text`); scans load them once per worker.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select

from ..errors import InputError
from ..store import Store
from ..store.schema_media import HashBankEntryRow, HashBankRow, MediaEvidenceRow
from .pdq import BANK_KINDS, DEFAULT_DISTANCE, BankEntry, HashBank

banks_t = HashBankRow.__table__
entries_t = HashBankEntryRow.__table__
evidence_t = MediaEvidenceRow.__table__
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


def check_bank_args(name: str, kind: str, category: str | None, max_distance: int) -> None:
    if not _NAME.fullmatch(name):
        raise InputError(f"The bank name {name!r} is not allowed.", "Use 1-64 lowercase letters, digits, '.', '_' or '-'.")
    if kind not in BANK_KINDS:
        raise InputError(f"The bank kind {kind!r} is unknown.", f"Use one of {', '.join(BANK_KINDS)}.")
    if kind == "bad" and not category:
        raise InputError(f"The bad-image bank {name!r} needs a --category.", "Name the category a match is a finding in, e.g. --category scam.")
    if kind == "bad" and category and not re.fullmatch(r"[a-z][a-z0-9_]*", category):
        raise InputError(f"The category {category!r} is not a snake_case category id.", "Use the id of a policy pack, e.g. superstition_service.")
    if not 0 <= max_distance <= 128:
        raise InputError(f"The match distance {max_distance} is out of range.", f"Use 0-128 bits (ThreatExchange's usual is {DEFAULT_DISTANCE}).")


def import_bank(
    store: Store, name: str, kind: str, category: str | None, entries: list[BankEntry],
    max_distance: int = DEFAULT_DISTANCE, description: str | None = None, replace: bool = False,
) -> dict[str, int]:
    """Create the bank (or update its settings) and add the entries; `replace` drops the old ones
    first. Returns how many entries were added and how many the bank now has."""
    check_bank_args(name, kind, category, max_distance)
    now = datetime.now(UTC)
    with store._write(f"import hash bank {name}") as conn:
        pk = conn.execute(select(banks_t.c.id).where(banks_t.c.name == name)).scalar()
        values = {"kind": kind, "category": category if kind == "bad" else None, "max_distance": max_distance,
                  "description": description, "updated_at": now}
        if pk is None:
            pk = conn.execute(banks_t.insert().values(name=name, created_at=now, **values).returning(banks_t.c.id)).scalar_one()
        else:
            conn.execute(banks_t.update().where(banks_t.c.id == pk).values(**values))
            if replace:
                conn.execute(delete(entries_t).where(entries_t.c.bank_pk == pk))
        have = set(conn.execute(select(entries_t.c.hash).where(entries_t.c.bank_pk == pk)).scalars())
        new: dict[str, BankEntry] = {}
        for e in entries:
            if e.hash not in have and e.hash not in new:
                new[e.hash] = e
        if new:
            conn.execute(entries_t.insert(), [{"bank_pk": pk, "hash": e.hash, "quality": e.quality, "label": e.label} for e in new.values()])
        total = conn.execute(select(func.count()).select_from(entries_t).where(entries_t.c.bank_pk == pk)).scalar_one()
    return {"added": len(new), "total": int(total)}


def load_banks(store: Store, names: list[str] | None = None) -> list[HashBank]:
    with store._read("read hash banks") as conn:
        rows = conn.execute(select(banks_t).order_by(banks_t.c.name)).mappings().all()
        out = []
        for r in rows:
            if names is not None and r["name"] not in names:
                continue
            ents = conn.execute(
                select(entries_t.c.hash, entries_t.c.quality, entries_t.c.label).where(entries_t.c.bank_pk == r["id"]).order_by(entries_t.c.id)
            ).all()
            out.append(HashBank(r["name"], r["kind"], r["category"], r["max_distance"], tuple(BankEntry(*e) for e in ents)))
    if names is not None:
        missing = sorted(set(names) - {b.name for b in out})
        if missing:
            raise InputError(f"There is no hash bank named {', '.join(missing)}.", "List them with `trustwatch media bank list`.")
    return out


def list_banks(store: Store) -> list[dict[str, Any]]:
    with store._read("list hash banks") as conn:
        counts = dict(conn.execute(select(entries_t.c.bank_pk, func.count()).group_by(entries_t.c.bank_pk)).all())
        rows = conn.execute(select(banks_t).order_by(banks_t.c.name)).mappings().all()
    return [{**{k: r[k] for k in ("name", "kind", "category", "max_distance", "description")}, "entries": int(counts.get(r["id"], 0))} for r in rows]


def delete_bank(store: Store, name: str) -> bool:
    with store._write(f"delete hash bank {name}") as conn:
        pk = conn.execute(select(banks_t.c.id).where(banks_t.c.name == name)).scalar()
        if pk is None:
            return False
        conn.execute(delete(entries_t).where(entries_t.c.bank_pk == pk))
        conn.execute(delete(banks_t).where(banks_t.c.id == pk))
    return True


# --- evidence ---------------------------------------------------------------------------------------


def save_evidence(store: Store, rows: list[dict[str, Any]]) -> None:
    """Insert or refresh the evidence of media findings (one row per post, source and media content)."""
    if not rows:
        return
    with store._write("save media evidence") as conn:
        write_evidence(conn, rows)


def write_evidence(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """`save_evidence` inside a caller's transaction (the scan saves it with the shard's results)."""
    if not rows:
        return
    for r in rows:
        conn.execute(
            delete(evidence_t).where(
                evidence_t.c.platform == r["platform"], evidence_t.c.post_id == r["post_id"],
                evidence_t.c.source == r["source"], evidence_t.c.media_sha256 == r["media_sha256"],
            )
        )
    conn.execute(evidence_t.insert(), rows)


def load_evidence(store: Store, platform: str | None, post_id: str) -> dict[str, dict[str, Any]]:
    """Source → the newest evidence row of that post."""
    with store._read("read media evidence") as conn:
        rows = conn.execute(
            select(evidence_t).where(evidence_t.c.platform == (platform or ""), evidence_t.c.post_id == post_id).order_by(evidence_t.c.id)
        ).mappings().all()
    return {r["source"]: dict(r) for r in rows}
