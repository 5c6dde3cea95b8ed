"""What the review workflow tells the creators area: confirmed violations, notices and appeals.

Credibility rests on *reviewed* decisions only, so this module is the single door through which
they enter. It is a narrow, typed interface (`ViolationSource`) rather than an import of the cases
area's tables, so scores can be computed, tested and explained from plain records, and so the cases
area can change its storage without touching the scoring code.

`StoreCaseSource` reads the cases area's tables (`cases`, `case_items`, `appeals`, `notices`,
`notice_items`) when the database has them, and reports nothing (with `available = False`) when it
does not, so a database that only holds scans still gets profiles, with no violations counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import Engine, inspect, text

CreatorKey = tuple[str, str]
"""(platform, author_id): an account as the platform shows it; platform is '' when unknown."""

SEVERITIES = ("low", "medium", "high")


def as_utc(value: datetime | str | None) -> datetime | None:
    """A timezone-aware UTC datetime from a datetime or ISO 8601 text; None when absent or unreadable.

    SQLite gives back naive datetimes for values the cases area wrote in UTC, so naive means UTC.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ConfirmedViolation:
    """A reviewer-confirmed violation by one creator. `overturned` ones are kept (the profile shows
    appeals won) but never counted against the creator."""

    creator_key: CreatorKey
    platform: str
    post_id: str | None
    category: str
    severity: str  # low | medium | high
    decided_at: datetime
    overturned: bool = False
    case_id: int | None = None
    posted_at: datetime | None = None  # when the post appeared, if known: decay counts from it

    @property
    def occurred_at(self) -> datetime:
        """When the behaviour happened: the post's time if known, else the decision's."""
        return self.posted_at or self.decided_at


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """One request sent to a platform about a creator's post or account, and what came of it."""

    creator_key: CreatorKey
    notice_id: int
    request: str  # remove_content | restrict_account | close_account
    status: str  # pending | complied | declined | not_complied | withdrawn
    post_id: str | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class AppealRecord:
    """An appeal against a confirmed violation: `status` open | upheld (lost) | overturned (won)."""

    creator_key: CreatorKey
    appeal_id: int
    case_id: int
    appellant: str  # creator | platform
    status: str
    filed_at: datetime | None
    decided_at: datetime | None


@runtime_checkable
class ViolationSource(Protocol):
    """Where reviewed decisions come from. `creator=None` means every creator."""

    available: bool

    def violations(self, creator: CreatorKey | None = None) -> list[ConfirmedViolation]: ...

    def notices(self, creator: CreatorKey | None = None) -> list[NoticeRecord]: ...

    def appeals(self, creator: CreatorKey | None = None) -> list[AppealRecord]: ...


class RecordList:
    """A `ViolationSource` over records held in memory (records built in code, or a JSON export)."""

    available = True

    def __init__(
        self,
        violations: Iterable[ConfirmedViolation] = (),
        notices: Iterable[NoticeRecord] = (),
        appeals: Iterable[AppealRecord] = (),
    ) -> None:
        self._violations = list(violations)
        self._notices = list(notices)
        self._appeals = list(appeals)

    def violations(self, creator: CreatorKey | None = None) -> list[ConfirmedViolation]:
        return [v for v in self._violations if creator is None or v.creator_key == creator]

    def notices(self, creator: CreatorKey | None = None) -> list[NoticeRecord]:
        return [n for n in self._notices if creator is None or n.creator_key == creator]

    def appeals(self, creator: CreatorKey | None = None) -> list[AppealRecord]:
        return [a for a in self._appeals if creator is None or a.creator_key == creator]


# The cases area (issue 7) keeps a case per flagged post or near-duplicate cluster of one author.
# A case is a violation once its status is `confirmed`; an appeal that overturns it sets `overturned`
# (so it stops counting the moment that transaction commits). One violation per case: a cluster of
# copies of one post is one behaviour, not many.
VIOLATIONS_SQL = """
SELECT c.id AS case_id, c.platform, c.author_id, COALESCE(c.decision_category, c.category) AS category,
       c.severity, c.decided_at, c.status,
       (SELECT ci.post_id FROM case_items ci WHERE ci.case_pk = c.id ORDER BY ci.id LIMIT 1) AS post_id,
       (SELECT p.created_at FROM case_items ci JOIN posts p ON p.id = ci.post_pk
         WHERE ci.case_pk = c.id ORDER BY ci.id LIMIT 1) AS posted_at
FROM cases c
WHERE c.status IN ('confirmed', 'overturned') AND c.author_id IS NOT NULL
"""

NOTICES_SQL = """
SELECT ni.notice_pk AS notice_id, ni.request, ni.status, ni.platform, ni.post_id,
       COALESCE(ni.author_id, c.author_id) AS author_id, n.created_at AS sent_at
FROM notice_items ni
JOIN notices n ON n.id = ni.notice_pk
LEFT JOIN cases c ON c.id = ni.case_pk
WHERE COALESCE(ni.author_id, c.author_id) IS NOT NULL
"""

APPEALS_SQL = """
SELECT a.id AS appeal_id, a.case_pk AS case_id, a.appellant, a.status, a.filed_at, a.decided_at,
       c.platform, c.author_id
FROM appeals a JOIN cases c ON c.id = a.case_pk
WHERE c.author_id IS NOT NULL
"""

CASE_FILTER = " AND c.platform = :platform AND c.author_id = :author"
NOTICE_FILTER = " AND ni.platform = :platform AND COALESCE(ni.author_id, c.author_id) = :author"
CASE_TABLES = ("cases", "case_items", "appeals", "notices", "notice_items")


class StoreCaseSource:
    """Reviewed decisions read from the cases area's tables in a trustwatch database.

    Every call reads the database afresh (no cache), so an overturn is reflected at once.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        names = set(inspect(engine).get_table_names())
        self.available = all(t in names for t in CASE_TABLES)

    def _rows(self, sql: str, creator_filter: str, creator: CreatorKey | None) -> list[dict]:
        if not self.available:
            return []
        params: dict[str, str] = {}
        if creator is not None:
            sql += creator_filter
            params = {"platform": creator[0], "author": creator[1]}
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql), params).mappings()]

    def violations(self, creator: CreatorKey | None = None) -> list[ConfirmedViolation]:
        out = []
        for r in self._rows(VIOLATIONS_SQL, CASE_FILTER, creator):
            decided = as_utc(r["decided_at"]) or datetime.now(UTC)
            out.append(
                ConfirmedViolation(
                    creator_key=(r["platform"] or "", r["author_id"]),
                    platform=r["platform"] or "",
                    post_id=r["post_id"],
                    category=r["category"],
                    severity=r["severity"] if r["severity"] in SEVERITIES else "medium",
                    decided_at=decided,
                    overturned=r["status"] == "overturned",
                    case_id=int(r["case_id"]),
                    posted_at=as_utc(r["posted_at"]),
                )
            )
        return sorted(out, key=lambda v: (v.decided_at, v.case_id or 0))

    def notices(self, creator: CreatorKey | None = None) -> list[NoticeRecord]:
        return [
            NoticeRecord(
                creator_key=(r["platform"] or "", r["author_id"]),
                notice_id=int(r["notice_id"]),
                request=r["request"],
                status=r["status"],
                post_id=r["post_id"],
                sent_at=as_utc(r["sent_at"]),
            )
            for r in self._rows(NOTICES_SQL, NOTICE_FILTER, creator)
        ]

    def appeals(self, creator: CreatorKey | None = None) -> list[AppealRecord]:
        return [
            AppealRecord(
                creator_key=(r["platform"] or "", r["author_id"]),
                appeal_id=int(r["appeal_id"]),
                case_id=int(r["case_id"]),
                appellant=r["appellant"],
                status=r["status"],
                filed_at=as_utc(r["filed_at"]),
                decided_at=as_utc(r["decided_at"]),
            )
            for r in self._rows(APPEALS_SQL, CASE_FILTER, creator)
        ]
