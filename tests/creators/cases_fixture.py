"""Reviewed decisions in a real database, the way the cases area (issue 7) records them.

When `trustwatch.cases` is installed (after the cases branch is merged) this drives the real
`CaseService`: open cases from the scan, confirm with independent reviewers, file and overturn an
appeal. Before that, it writes the same rows into tables with the same names and columns as the
cases area's schema (`cases`, `case_items`, `appeals`, `notices`, `notice_items`), so
`StoreCaseSource`'s queries run against a real SQLite file or PostgreSQL server either way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
    update,
)

from trustwatch.creators.facts import open_engine
from trustwatch.store.schema import PostRow, PostVersionRow

try:  # the real review workflow, once merged
    from trustwatch.cases import CaseService  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the branch
    CaseService = None

meta = MetaData()
cases = Table(
    "cases", meta,
    Column("id", Integer, primary_key=True), Column("status", String(16)), Column("category", Text),
    Column("severity", String(8)), Column("action", String(8)), Column("priority", Float),
    Column("platform", Text), Column("author_id", Text), Column("cluster_key", Text), Column("assignee", Text),
    Column("required_reviews", Integer), Column("scan_run_id", Integer), Column("pack_version", Integer),
    Column("opened_at", DateTime(timezone=True)), Column("updated_at", DateTime(timezone=True)),
    Column("decided_at", DateTime(timezone=True)), Column("decision_category", Text), Column("version", Integer),
)
case_items = Table(
    "case_items", meta,
    Column("id", Integer, primary_key=True), Column("case_pk", ForeignKey("cases.id")), Column("post_pk", BigInteger),
    Column("post_version_pk", BigInteger), Column("platform", Text), Column("post_id", Text), Column("score", Float),
    Column("reach", BigInteger), Column("evidence", JSON),
)
appeals = Table(
    "appeals", meta,
    Column("id", Integer, primary_key=True), Column("case_pk", ForeignKey("cases.id")), Column("appellant", String(16)),
    Column("filed_by", Text), Column("grounds", Text), Column("status", String(16)),
    Column("filed_at", DateTime(timezone=True)), Column("decided_at", DateTime(timezone=True)), Column("version", Integer),
)
notices = Table(
    "notices", meta,
    Column("id", Integer, primary_key=True), Column("platform", Text), Column("created_at", DateTime(timezone=True)),
    Column("deadline", DateTime(timezone=True)), Column("created_by", Text), Column("reason", Text),
)
notice_items = Table(
    "notice_items", meta,
    Column("id", Integer, primary_key=True), Column("notice_pk", ForeignKey("notices.id")),
    Column("case_pk", ForeignKey("cases.id")), Column("request", String(24)), Column("platform", Text),
    Column("post_id", Text), Column("author_id", Text), Column("url", Text), Column("status", String(16)),
    Column("response", String(16)), Column("responded_at", DateTime(timezone=True)), Column("note", Text),
    Column("basis", JSON), Column("threshold", Integer), Column("seen_run_id", Integer), Column("version", Integer),
)


class Reviews:
    """Confirm a flagged post, overturn it on appeal, send a notice: through CaseService if present."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.engine = open_engine(db)
        self.real = CaseService is not None
        if self.real:
            self.svc = CaseService.open(db)
        elif not inspect(self.engine).has_table("cases"):
            meta.create_all(self.engine)

    def close(self) -> None:
        if self.real:
            self.svc.close()
        self.engine.dispose()

    def confirm(self, platform: str, post_id: str, category: str, severity: str = "high") -> int:
        if self.real:
            self.svc.open_cases()
            case = next(c for c in self.svc.list_cases(status="open", category=category)
                        if any(i["post_id"] == post_id for i in c["posts"]))
            for reviewer in ("reviewer-a", "reviewer-b", "reviewer-c"):
                got = self.svc.get_case(case["id"])
                if got["status"] != "open":
                    break
                self.svc.decide(case["id"], "confirm", reviewer, "Evidence matches the published criterion.", category)
            return int(case["id"])
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            post = conn.execute(select(PostRow.__table__).where(
                PostRow.__table__.c.platform == platform, PostRow.__table__.c.post_id == post_id)).mappings().one()
            pv = conn.execute(select(PostVersionRow.__table__.c.id).where(
                PostVersionRow.__table__.c.post_pk == post["id"],
                PostVersionRow.__table__.c.version == post["version"])).scalar_one()
            author = conn.exec_driver_sql(f"SELECT author_id FROM authors WHERE id = {int(post['author_pk'])}").scalar_one()
            case_id = conn.execute(insert(cases).returning(cases.c.id), {
                "status": "confirmed", "category": category, "severity": severity, "action": "review", "priority": 1.0,
                "platform": platform, "author_id": author, "required_reviews": 2, "scan_run_id": None, "pack_version": 1,
                "opened_at": now, "updated_at": now, "decided_at": now, "decision_category": category, "version": 3,
            }).scalar_one()
            conn.execute(insert(case_items), {"case_pk": case_id, "post_pk": post["id"], "post_version_pk": pv,
                                              "platform": platform, "post_id": post_id, "score": 0.9, "reach": 0,
                                              "evidence": []})
        return int(case_id)

    def overturn(self, case_id: int) -> None:
        if self.real:
            appeal = self.svc.file_appeal(case_id, "creator", "the creator", "It was a warning, not an offer.")
            self.svc.decide_appeal(appeal["id"], "overturn", "appeal-reviewer", "The post warns about the scam.")
            return
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(insert(appeals), {"case_pk": case_id, "appellant": "creator", "filed_by": "the creator",
                                           "grounds": "It was a warning.", "status": "overturned", "filed_at": now,
                                           "decided_at": now, "version": 2})
            conn.execute(update(cases).where(cases.c.id == case_id).values(status="overturned", decided_at=now))

    def notice(self, platform: str) -> dict[str, Any]:
        if self.real:
            return self.svc.create_notice(platform, actor="desk", reason="Confirmed violations.")
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            nid = conn.execute(insert(notices).returning(notices.c.id), {
                "platform": platform, "created_at": now, "deadline": now, "created_by": "desk", "reason": "Confirmed."}).scalar_one()
            for c in conn.execute(select(cases).where(cases.c.platform == platform, cases.c.status == "confirmed")).mappings():
                item = conn.execute(select(case_items).where(case_items.c.case_pk == c["id"])).mappings().first()
                conn.execute(insert(notice_items), {
                    "notice_pk": nid, "case_pk": c["id"], "request": "remove_content", "platform": platform,
                    "post_id": item["post_id"], "author_id": c["author_id"], "url": None, "status": "pending",
                    "response": None, "responded_at": None, "note": None, "basis": [c["id"]], "threshold": None,
                    "seen_run_id": None, "version": 1})
        return {"id": nid}
