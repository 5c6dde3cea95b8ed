"""The one service layer through which every review, notice and appeal state change goes.

Each public method that changes state runs in one write transaction that also appends the audit
entry (who, when, what, before, after, why), so a change without its audit record cannot be
committed. Methods refuse to act without an actor and a written reason. Cases carry a version
counter; changes are conditional on it (optimistic locking), so two reviewers deciding one case at
the same moment never overwrite each other: the second gets a `ConflictError` and re-reads.

Alert events are written to an outbox in the same transaction as the change they report and are
delivered after the commit (see `alerts.py`), so a delivery can fail visibly but never vanish.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from sqlalchemy import Connection, Engine, Table, and_, func, insert, select, true, update

from ..errors import TrustwatchError
from ..policy import LoadedPack, load_packs
from ..store.engine import check_connection, make_engine, migrate, resolve_url, transaction
from ..store.schema import AuthorRow, FindingRow, PostRow, PostVersionRow, ScanResultRow, ScanRun
from ..store.schema_cases import (
    AppealRow,
    CaseItemRow,
    CaseRow,
    DecisionRow,
    NoticeItemRow,
    NoticeRow,
)
from . import audit

cases_t: Table = CaseRow.__table__  # type: ignore[assignment]
items_t: Table = CaseItemRow.__table__  # type: ignore[assignment]
decisions_t: Table = DecisionRow.__table__  # type: ignore[assignment]
appeals_t: Table = AppealRow.__table__  # type: ignore[assignment]
notices_t: Table = NoticeRow.__table__  # type: ignore[assignment]
nitems_t: Table = NoticeItemRow.__table__  # type: ignore[assignment]
scan_runs_t: Table = ScanRun.__table__  # type: ignore[assignment]
results_t: Table = ScanResultRow.__table__  # type: ignore[assignment]
versions_t: Table = PostVersionRow.__table__  # type: ignore[assignment]
posts_t: Table = PostRow.__table__  # type: ignore[assignment]
authors_t: Table = AuthorRow.__table__  # type: ignore[assignment]
findings_t: Table = FindingRow.__table__  # type: ignore[assignment]

SEVERITY_WEIGHT = {"low": 1.0, "medium": 2.0, "high": 3.0}
CASE_ACTIONS = ("review", "notice")  # pack actions that open cases; `label` only labels
CASE_STATUSES = ("open", "confirmed", "dismissed", "overturned")
REVIEW_OUTCOMES = ("confirm", "dismiss")
APPEAL_OUTCOMES = ("uphold", "overturn")
APPELLANTS = ("creator", "platform")
RESPONSES = ("removed", "restricted", "closed", "declined", "no_response")
REQUESTS = ("remove_content", "restrict_account", "close_account")
COMPLYING = {"remove_content": {"removed"}, "restrict_account": {"restricted", "closed", "removed"},
             "close_account": {"closed"}}
PAGE = 500
ClusterOf = Callable[[str, str], str | None]


class ConflictError(TrustwatchError):
    """Someone else changed the case (or appeal) since it was read; nothing was written."""


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    v = utc(value)
    return v.isoformat() if v is not None else None


def priority_of(severity: str, confidence: float, reach: int) -> float:
    """severity weight × confidence × (1 + log10(1 + reach)): a high-severity, confident flag on
    a post seen by a million people outranks the same flag on a post seen by ten."""
    return round(SEVERITY_WEIGHT.get(severity, 1.0) * confidence * (1.0 + math.log10(1 + max(0, reach))), 4)


def reach_of(followers: int | None, metrics: dict[str, Any] | None) -> int:
    views = (metrics or {}).get("views") if isinstance(metrics, dict) else None
    vals = [v for v in (followers, views) if isinstance(v, int | float) and not isinstance(v, bool)]
    return int(max(vals)) if vals else 0


class CaseService:
    """Cases, decisions, appeals and notices on one database, each change audited."""

    def __init__(
        self,
        engine: Engine,
        packs: list[LoadedPack] | None = None,
        clock: Callable[[], datetime] | None = None,
        deliver_alerts: bool = True,
        policy_paths: list[str] | None = None,
    ) -> None:
        self._engine = engine
        self._given_packs = packs
        self._policy_paths = policy_paths
        self._loaded: dict[str, LoadedPack] | None = None
        self._clock = clock or (lambda: datetime.now(UTC))
        self.deliver_alerts = deliver_alerts
        self.url = engine.url.render_as_string(hide_password=True)

    @classmethod
    def open(cls, url_or_path: str = "./trustwatch.db", packs: list[LoadedPack] | None = None, **kw: Any) -> Self:
        engine = make_engine(resolve_url(url_or_path))
        try:
            check_connection(engine)
            migrate(engine)
            return cls(engine, packs, **kw)
        except BaseException:
            engine.dispose()
            raise

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _packs(self) -> dict[str, LoadedPack]:
        """The policy packs, loaded on first use (listing or verifying needs none)."""
        if self._loaded is None:
            packs = self._given_packs if self._given_packs is not None else load_packs(self._policy_paths)
            self._loaded = {p.id: p for p in packs}
        return self._loaded

    def now(self) -> datetime:
        return utc(self._clock())  # type: ignore[return-value]

    def pack(self, category: str) -> LoadedPack:
        p = self._packs.get(category)
        if p is None:
            raise TrustwatchError(
                f"There is no policy pack {category!r} loaded.",
                f"Use one of {sorted(self._packs)} or pass the pack with --policy.",
            )
        return p

    # -- transactions ------------------------------------------------------------------------

    def write(self, action: str) -> AbstractContextManager[Connection]:
        return transaction(self._engine, action, write=True)

    def read(self, action: str) -> AbstractContextManager[Connection]:
        return transaction(self._engine, action)

    def _after_commit(self, event_ids: list[int]) -> None:
        if event_ids and self.deliver_alerts:
            from .alerts import dispatch

            dispatch(self._engine, event_ids)

    # -- opening cases -----------------------------------------------------------------------

    def open_cases(
        self, run_id: int | None = None, actor: str = "trustwatch", cluster_of: ClusterOf | None = None
    ) -> list[int]:
        """Open cases for a scan run's flags (the latest run by default), per each pack's action.

        `label` packs open none, shadow packs never do (they never flag), and a post already in
        an open or confirmed case for that category, or already decided in this version, is
        skipped, so running this twice opens nothing new. `cluster_of(platform, post_id)` may
        return a near-duplicate cluster key: posts sharing a key and a category join one case.
        Returns the ids of the cases opened or extended.
        """
        with self.read("find the scan run") as conn:
            stmt = select(scan_runs_t.c.id, scan_runs_t.c.pack_fingerprint)
            stmt = stmt.where(scan_runs_t.c.id == run_id) if run_id is not None else stmt.order_by(scan_runs_t.c.id.desc())
            run = conn.execute(stmt.limit(1)).first()
        if run is None:
            raise TrustwatchError(
                "There is no scan run to open cases from" + (f" (run {run_id})" if run_id is not None else "") + ".",
                "Run `trustwatch scan FILE` first, or pass an existing --scan id.",
            )
        run_id, fingerprint = int(run.id), run.pack_fingerprint
        touched: list[int] = []
        last = 0
        while True:
            with self.read("read flagged results") as conn:
                rows = conn.execute(
                    select(
                        results_t.c.id, results_t.c.categories, results_t.c.scores,
                        versions_t.c.id.label("pv_pk"), posts_t.c.id.label("post_pk"), posts_t.c.platform,
                        posts_t.c.post_id, posts_t.c.url, posts_t.c.metrics,
                        authors_t.c.author_id, authors_t.c.followers,
                    )
                    .join(versions_t, versions_t.c.id == results_t.c.post_version_pk)
                    .join(posts_t, posts_t.c.id == versions_t.c.post_pk)
                    .outerjoin(authors_t, authors_t.c.id == posts_t.c.author_pk)
                    .where(results_t.c.run_id == run_id, results_t.c.flagged == true(), results_t.c.id > last)
                    .order_by(results_t.c.id)
                    .limit(PAGE)
                ).mappings().all()
            if not rows:
                break
            last = rows[-1]["id"]
            touched.extend(self._open_page(run_id, fingerprint, rows, actor, cluster_of))
            if len(rows) < PAGE:
                break
        return list(dict.fromkeys(touched))

    def _open_page(
        self, run_id: int, fingerprint: str, rows: list[Any], actor: str, cluster_of: ClusterOf | None
    ) -> list[int]:
        touched: list[int] = []
        event_ids: list[int] = []
        with self.write(f"open cases for scan run {run_id}") as conn:
            pv_pks = [r["pv_pk"] for r in rows]
            evidence: dict[tuple[int, str], list[dict[str, Any]]] = {}
            for f in conn.execute(
                select(findings_t).where(findings_t.c.pack_fingerprint == fingerprint, findings_t.c.post_version_pk.in_(pv_pks))
                .order_by(findings_t.c.id)
            ).mappings():
                evidence.setdefault((f["post_version_pk"], f["category"]), []).append(
                    {k: f[k] for k in ("signal", "score", "source", "start", "end", "excerpt", "explanation")}
                )
            existing: dict[tuple[int, str], list[tuple[int, str, int]]] = {}
            for e in conn.execute(
                select(items_t.c.post_pk, items_t.c.post_version_pk, cases_t.c.category, cases_t.c.status, cases_t.c.id)
                .join(cases_t, cases_t.c.id == items_t.c.case_pk)
                .where(items_t.c.post_pk.in_([r["post_pk"] for r in rows]))
            ):
                existing.setdefault((e.post_pk, e.category), []).append((e.post_version_pk, e.status, e.id))
            for r in rows:
                platform = r["platform"] or ""
                for category, hit in (r["categories"] or {}).items():
                    if not hit:
                        continue
                    pack = self._packs.get(category)
                    if pack is None or pack.pack.mode == "shadow" or pack.pack.action not in CASE_ACTIONS:
                        continue
                    prior = existing.get((r["post_pk"], category), [])
                    if any(st in ("open", "confirmed") or pv == r["pv_pk"] for pv, st, _ in prior):
                        continue
                    score = float((r["scores"] or {}).get(category) or 0.0)
                    reach = reach_of(r["followers"], r["metrics"])
                    key = cluster_of(platform, r["post_id"]) if cluster_of is not None else None
                    item = {
                        "post_pk": r["post_pk"], "post_version_pk": r["pv_pk"], "platform": platform,
                        "post_id": r["post_id"], "score": score, "reach": reach,
                        "evidence": evidence.get((r["pv_pk"], category), []),
                    }
                    why = (f"flagged by scan run {run_id}: {category} scored {score:.2f} "
                           f"(threshold {pack.pack.threshold}); policy action {pack.pack.action}")
                    case_id = self._join_cluster(conn, key, category, item, actor, why) if key else None
                    if case_id is None:
                        case_id, ev = self._create_case(conn, run_id, pack, platform, r["author_id"], key, item, actor, why)
                        event_ids.extend(ev)
                    existing.setdefault((r["post_pk"], category), []).append((r["pv_pk"], "open", case_id))
                    touched.append(case_id)
        self._after_commit(event_ids)
        return touched

    def _create_case(
        self, conn: Connection, run_id: int, pack: LoadedPack, platform: str, author_id: str | None,
        key: str | None, item: dict[str, Any], actor: str, why: str,
    ) -> tuple[int, list[int]]:
        now = self.now()
        sev = pack.pack.severity
        values = {
            "status": "open", "category": pack.id, "severity": sev, "action": pack.pack.action,
            "priority": priority_of(sev, item["score"], item["reach"]), "platform": platform,
            "author_id": author_id, "cluster_key": key, "assignee": None,
            "required_reviews": 2 if sev == "high" else 1, "scan_run_id": run_id,
            "pack_version": pack.pack.version, "opened_at": now, "updated_at": now,
            "decided_at": None, "decision_category": None, "version": 1,
        }
        case_id = int(conn.execute(insert(cases_t).returning(cases_t.c.id), values).scalar_one())
        conn.execute(insert(items_t), {"case_pk": case_id, **item})
        after = self._snapshot(values) | {"posts": [f"{platform}/{item['post_id']}"], "priority": values["priority"]}
        audit.append(conn, actor=actor, action="case.open", entity="case", entity_id=case_id, reason=why,
                     before=None, after=after)
        from .alerts import enqueue

        ev = enqueue(conn, "case_opened", self._event_payload(conn, case_id), now)
        return case_id, ev

    def _join_cluster(
        self, conn: Connection, key: str, category: str, item: dict[str, Any], actor: str, why: str
    ) -> int | None:
        row = conn.execute(
            select(cases_t).where(cases_t.c.cluster_key == key, cases_t.c.category == category,
                                  cases_t.c.status == "open").order_by(cases_t.c.id).limit(1)
        ).mappings().first()
        if row is None:
            return None
        conn.execute(insert(items_t), {"case_pk": row["id"], **item})
        reach = max(item["reach"], int(conn.execute(
            select(func.max(items_t.c.reach)).where(items_t.c.case_pk == row["id"])).scalar() or 0))
        score = max(item["score"], float(conn.execute(
            select(func.max(items_t.c.score)).where(items_t.c.case_pk == row["id"])).scalar() or 0))
        prio = priority_of(row["severity"], score, reach)
        self._bump(conn, row, {"priority": prio})
        audit.append(conn, actor=actor, action="case.add_post", entity="case", entity_id=row["id"],
                     reason=f"{why}; same near-duplicate cluster {key!r}",
                     before={"priority": row["priority"], "version": row["version"]},
                     after={"post": f"{item['platform']}/{item['post_id']}", "priority": prio, "version": row["version"] + 1})
        return int(row["id"])

    # -- reading -----------------------------------------------------------------------------

    def list_cases(self, status: str | None = None, category: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Cases, highest priority first (then oldest)."""
        if status and status not in CASE_STATUSES:
            raise TrustwatchError(f"Unknown case status {status!r}.", f"Use one of {list(CASE_STATUSES)}.")
        stmt = select(cases_t).order_by(cases_t.c.priority.desc(), cases_t.c.id).limit(limit)
        if status:
            stmt = stmt.where(cases_t.c.status == status)
        if category:
            stmt = stmt.where(cases_t.c.category == category)
        with self.read("list cases") as conn:
            rows = conn.execute(stmt).mappings().all()
            items = self._items(conn, [r["id"] for r in rows])
        return [self._case_dict(r, items.get(r["id"], [])) for r in rows]

    def get_case(self, case_id: int) -> dict[str, Any]:
        with self.read(f"read case {case_id}") as conn:
            row = self._case_row(conn, case_id)
            out = self._case_dict(row, self._items(conn, [case_id]).get(case_id, []))
            out["decisions"] = [
                {k: (iso(v) if isinstance(v, datetime) else v) for k, v in d.items()}
                for d in conn.execute(select(decisions_t).where(decisions_t.c.case_pk == case_id).order_by(decisions_t.c.id)).mappings()
            ]
            out["appeals"] = [
                {k: (iso(v) if isinstance(v, datetime) else v) for k, v in d.items()}
                for d in conn.execute(select(appeals_t).where(appeals_t.c.case_pk == case_id).order_by(appeals_t.c.id)).mappings()
            ]
        return out

    def _case_row(self, conn: Connection, case_id: int) -> Any:
        row = conn.execute(select(cases_t).where(cases_t.c.id == case_id)).mappings().first()
        if row is None:
            raise TrustwatchError(f"There is no case {case_id}.", "Pick an id from `trustwatch cases list`.")
        return row

    def _items(self, conn: Connection, case_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {}
        if not case_ids:
            return out
        for r in conn.execute(
            select(items_t, posts_t.c.url, versions_t.c.text, posts_t.c.created_at, posts_t.c.lang)
            .join(posts_t, posts_t.c.id == items_t.c.post_pk)
            .join(versions_t, versions_t.c.id == items_t.c.post_version_pk)
            .where(items_t.c.case_pk.in_(case_ids)).order_by(items_t.c.id)
        ).mappings():
            out.setdefault(r["case_pk"], []).append(
                {k: r[k] for k in ("platform", "post_id", "url", "score", "reach", "evidence", "text", "created_at", "lang",
                                   "post_version_pk")}
            )
        return out

    @staticmethod
    def _snapshot(row: Any) -> dict[str, Any]:
        keys = ("status", "assignee", "decision_category", "version", "decided_at")
        return {k: (iso(row[k]) if isinstance(row[k], datetime) else row[k]) for k in keys if k in row}

    def _case_dict(self, r: Any, items: list[dict[str, Any]]) -> dict[str, Any]:
        d = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in dict(r).items()}
        d["posts"] = items
        return d

    def _bump(self, conn: Connection, row: Any, values: dict[str, Any]) -> None:
        """Conditional update: only if nobody changed the case since `row` was read."""
        res = conn.execute(
            update(cases_t)
            .where(cases_t.c.id == row["id"], cases_t.c.version == row["version"])
            .values(**values, version=row["version"] + 1, updated_at=self.now())
        )
        if res.rowcount != 1:
            raise ConflictError(
                f"Case {row['id']} was changed by someone else while you worked on it (version {row['version']} "
                "is no longer current); nothing was written.",
                "Read it again (`trustwatch cases show ID`) and repeat your decision if it still stands.",
            )

    def _check_version(self, row: Any, expected: int | None) -> None:
        if expected is not None and expected != row["version"]:
            raise ConflictError(
                f"Case {row['id']} is at version {row['version']}, not {expected}: someone else changed it; "
                "nothing was written.",
                "Read it again and repeat your decision if it still stands.",
            )

    # -- review ------------------------------------------------------------------------------

    def assign(self, case_id: int, assignee: str, actor: str, reason: str, expected_version: int | None = None) -> dict[str, Any]:
        reason = audit.require_reason(reason, f"assign case {case_id}")
        if not assignee.strip():
            raise TrustwatchError("The assignee is empty.", "Name the reviewer with --to NAME.")
        with self.write(f"assign case {case_id}") as conn:
            row = self._case_row(conn, case_id)
            self._check_version(row, expected_version)
            if row["status"] != "open":
                raise TrustwatchError(f"Case {case_id} is {row['status']}, not open; only open cases are assigned.")
            self._bump(conn, row, {"assignee": assignee.strip()})
            audit.append(conn, actor=actor, action="case.assign", entity="case", entity_id=case_id, reason=reason,
                         before=self._snapshot(row), after=self._snapshot(row) | {"assignee": assignee.strip(),
                                                                                  "version": row["version"] + 1})
        return self.get_case(case_id)

    def decide(
        self, case_id: int, outcome: str, reviewer: str, reason: str, category: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """A reviewer confirms or dismisses. High-severity cases need two independent reviewers
        who agree; until then the case stays open. A reviewer decides a case at most once."""
        if outcome not in REVIEW_OUTCOMES:
            raise TrustwatchError(f"Unknown outcome {outcome!r}.", "Use --confirm or --dismiss.")
        reason = audit.require_reason(reason, f"{outcome} case {case_id}")
        reviewer = (reviewer or "").strip()
        if not reviewer:
            raise TrustwatchError(f"Refusing to {outcome} case {case_id} without a reviewer.", "Pass --reviewer NAME.")
        event_ids: list[int] = []
        with self.write(f"record a decision on case {case_id}") as conn:
            row = self._case_row(conn, case_id)
            self._check_version(row, expected_version)
            category = (category or "").strip()
            if not category:
                raise TrustwatchError(f"Refusing to {outcome} case {case_id} without a category.",
                                      f"Pass --category (the case was opened as {row['category']!r}).")
            self.pack(category)
            if row["status"] != "open":
                raise TrustwatchError(f"Case {case_id} is already {row['status']}.",
                                      "A final decision is changed only through an appeal (`trustwatch appeals open`).")
            prior = conn.execute(
                select(decisions_t.c.reviewer, decisions_t.c.outcome, decisions_t.c.category, decisions_t.c.reason)
                .where(decisions_t.c.case_pk == case_id, decisions_t.c.kind == "review")
            ).all()
            if any(p.reviewer == reviewer for p in prior):
                raise TrustwatchError(f"{reviewer} has already decided case {case_id}.",
                                      "A second decision must come from a different, independent reviewer.")
            now = self.now()
            agreeing = [p for p in prior if p.outcome == outcome and (outcome == "dismiss" or p.category == category)]
            final = len(agreeing) + 1 >= row["required_reviews"]
            status = ("confirmed" if outcome == "confirm" else "dismissed") if final else "open"
            items = self._items(conn, [case_id]).get(case_id, [])
            from .statements import decision_statement

            reviewers = [p.reviewer for p in agreeing] + [reviewer]
            reasons = "; ".join(f"{p.reviewer}: {p.reason}" for p in agreeing) + ("; " if agreeing else "")
            statement = decision_statement(self.pack(category), row, items, outcome, category,
                                           reasons + (f"{reviewer}: {reason}" if agreeing else reason), reviewers, now,
                                           final=final)
            conn.execute(insert(decisions_t), {
                "case_pk": case_id, "appeal_pk": None, "kind": "review", "outcome": outcome, "reviewer": reviewer,
                "category": category, "reason": reason, "decided_at": now, "statement": statement,
            })
            values: dict[str, Any] = {"status": status}
            if final:
                values |= {"decided_at": now, "decision_category": category}
            self._bump(conn, row, values)
            after = self._snapshot(row) | {k: iso(v) if isinstance(v, datetime) else v for k, v in values.items()}
            after["version"] = row["version"] + 1
            after["decision"] = {"outcome": outcome, "category": category,
                                 "reviews": f"{len(agreeing) + 1}/{row['required_reviews']}"}
            audit.append(conn, actor=reviewer, action=f"case.{outcome}", entity="case", entity_id=case_id,
                         reason=reason, before=self._snapshot(row), after=after)
            if final and outcome == "confirm":
                from .alerts import enqueue

                event_ids = enqueue(conn, "case_confirmed", self._event_payload(conn, case_id), now)
        self._after_commit(event_ids)
        return self.get_case(case_id)

    def _event_payload(self, conn: Connection, case_id: int) -> dict[str, Any]:
        row = self._case_row(conn, case_id)
        items = self._items(conn, [case_id]).get(case_id, [])
        return {
            "case_id": case_id, "status": row["status"], "category": row["category"], "severity": row["severity"],
            "platform": row["platform"], "author_id": row["author_id"], "priority": row["priority"],
            "reach": max((i["reach"] for i in items), default=0),
            "posts": [{"post_id": i["post_id"], "url": i["url"], "score": i["score"],
                       "evidence": [e["excerpt"] for e in i["evidence"]][:5]} for i in items],
        }

    # -- creators' records -------------------------------------------------------------------

    def confirmed_violations(self, author_id: str, platform: str | None = None) -> list[dict[str, Any]]:
        """Confirmed, not overturned violations of one author (account handle as the platform shows
        it): what creator credibility scores count. Never raw model scores."""
        stmt = select(cases_t.c.id, cases_t.c.platform, cases_t.c.category, cases_t.c.decision_category,
                      cases_t.c.decided_at, cases_t.c.severity).where(
            cases_t.c.author_id == author_id, cases_t.c.status == "confirmed").order_by(cases_t.c.decided_at)
        if platform is not None:
            stmt = stmt.where(cases_t.c.platform == platform)
        with self.read(f"read the record of {author_id!r}") as conn:
            return [
                {"case_id": r.id, "platform": r.platform, "category": r.decision_category or r.category,
                 "severity": r.severity, "decided_at": iso(r.decided_at)}
                for r in conn.execute(stmt)
            ]

    def _violation_count(self, conn: Connection, platform: str, author_id: str) -> list[int]:
        return [int(x) for x in conn.execute(
            select(cases_t.c.id).where(cases_t.c.platform == platform, cases_t.c.author_id == author_id,
                                       cases_t.c.status == "confirmed")).scalars()]

    # -- appeals -----------------------------------------------------------------------------

    def file_appeal(self, case_id: int, appellant: str, filed_by: str, grounds: str) -> dict[str, Any]:
        """A creator or platform contests a confirmed violation; the grounds are the reason."""
        if appellant not in APPELLANTS:
            raise TrustwatchError(f"Unknown appellant {appellant!r}.", f"Use one of {list(APPELLANTS)}.")
        grounds = audit.require_reason(grounds, f"appeal case {case_id}")
        with self.write(f"file an appeal on case {case_id}") as conn:
            row = self._case_row(conn, case_id)
            if row["status"] != "confirmed":
                raise TrustwatchError(f"Case {case_id} is {row['status']}; only a confirmed violation can be appealed "
                                      "(a dismissal restricts nothing).")
            if conn.execute(select(appeals_t.c.id).where(appeals_t.c.case_pk == case_id,
                                                         appeals_t.c.status == "open")).first():
                raise TrustwatchError(f"Case {case_id} already has an open appeal.", "Decide it first.")
            now = self.now()
            values = {"case_pk": case_id, "appellant": appellant, "filed_by": filed_by, "grounds": grounds,
                      "status": "open", "filed_at": now, "decided_at": None, "version": 1}
            appeal_id = int(conn.execute(insert(appeals_t).returning(appeals_t.c.id), values).scalar_one())
            audit.append(conn, actor=filed_by, action="appeal.file", entity="appeal", entity_id=appeal_id,
                         reason=grounds, before=None,
                         after={"case_id": case_id, "appellant": appellant, "status": "open"})
        return self.get_appeal(appeal_id)

    def get_appeal(self, appeal_id: int) -> dict[str, Any]:
        with self.read(f"read appeal {appeal_id}") as conn:
            row = conn.execute(select(appeals_t).where(appeals_t.c.id == appeal_id)).mappings().first()
        if row is None:
            raise TrustwatchError(f"There is no appeal {appeal_id}.", "Pick an id from `trustwatch appeals list`.")
        return {k: (iso(v) if isinstance(v, datetime) else v) for k, v in dict(row).items()}

    def list_appeals(self, status: str | None = None) -> list[dict[str, Any]]:
        stmt = select(appeals_t).order_by(appeals_t.c.id)
        if status:
            stmt = stmt.where(appeals_t.c.status == status)
        with self.read("list appeals") as conn:
            return [{k: (iso(v) if isinstance(v, datetime) else v) for k, v in dict(r).items()}
                    for r in conn.execute(stmt).mappings()]

    def decide_appeal(self, appeal_id: int, outcome: str, reviewer: str, reason: str) -> dict[str, Any]:
        """A reviewer who took no part in the original decision upholds or overturns it. An overturn
        changes the case's outcome, withdraws its requests in any notice (and account requests that
        no longer reach their threshold), and so leaves the creator's record."""
        if outcome not in APPEAL_OUTCOMES:
            raise TrustwatchError(f"Unknown appeal outcome {outcome!r}.", "Use --uphold or --overturn.")
        reason = audit.require_reason(reason, f"{outcome} appeal {appeal_id}")
        reviewer = (reviewer or "").strip()
        if not reviewer:
            raise TrustwatchError(f"Refusing to decide appeal {appeal_id} without a reviewer.", "Pass --reviewer NAME.")
        with self.write(f"decide appeal {appeal_id}") as conn:
            ap = conn.execute(select(appeals_t).where(appeals_t.c.id == appeal_id)).mappings().first()
            if ap is None:
                raise TrustwatchError(f"There is no appeal {appeal_id}.", "Pick an id from `trustwatch appeals list`.")
            if ap["status"] != "open":
                raise TrustwatchError(f"Appeal {appeal_id} is already {ap['status']}.")
            case_id = ap["case_pk"]
            row = self._case_row(conn, case_id)
            original = set(conn.execute(select(decisions_t.c.reviewer).where(decisions_t.c.case_pk == case_id)).scalars())
            if reviewer in original:
                raise TrustwatchError(
                    f"{reviewer} took part in the decision on case {case_id} and cannot decide its appeal.",
                    f"Ask a reviewer other than {', '.join(sorted(original))}.")
            now = self.now()
            res = conn.execute(update(appeals_t).where(appeals_t.c.id == appeal_id, appeals_t.c.version == ap["version"])
                               .values(status="upheld" if outcome == "uphold" else "overturned", decided_at=now,
                                       version=ap["version"] + 1))
            if res.rowcount != 1:
                raise ConflictError(f"Appeal {appeal_id} was decided by someone else meanwhile; nothing was written.")
            category = row["decision_category"] or row["category"]
            items = self._items(conn, [case_id]).get(case_id, [])
            from .statements import decision_statement

            statement = decision_statement(self.pack(category), row, items, outcome, category, reason, [reviewer], now,
                                           final=True, appeal=dict(ap))
            conn.execute(insert(decisions_t), {
                "case_pk": case_id, "appeal_pk": appeal_id, "kind": "appeal", "outcome": outcome, "reviewer": reviewer,
                "category": category, "reason": reason, "decided_at": now, "statement": statement,
            })
            audit.append(conn, actor=reviewer, action=f"appeal.{outcome}", entity="appeal", entity_id=appeal_id,
                         reason=reason, before={"status": "open"},
                         after={"status": "upheld" if outcome == "uphold" else "overturned", "case_id": case_id})
            if outcome == "overturn":
                new_status = "overturned"
                self._bump(conn, row, {"status": new_status, "decided_at": now})
                audit.append(conn, actor=reviewer, action="case.overturn", entity="case", entity_id=case_id,
                             reason=f"appeal {appeal_id} overturned the decision: {reason}",
                             before=self._snapshot(row),
                             after=self._snapshot(row) | {"status": new_status, "decided_at": iso(now),
                                                          "version": row["version"] + 1})
                self._withdraw_requests(conn, case_id, row, reviewer, appeal_id)
        return self.get_appeal(appeal_id)

    def _withdraw_requests(self, conn: Connection, case_id: int, row: Any, actor: str, appeal_id: int) -> None:
        why = f"case {case_id} was overturned on appeal {appeal_id}"
        for it in conn.execute(select(nitems_t).where(nitems_t.c.case_pk == case_id,
                                                      nitems_t.c.status != "withdrawn")).mappings().all():
            self._set_item(conn, it, {"status": "withdrawn"}, actor, f"{why}; the request is withdrawn"
                           + ("; the platform is asked to restore the content" if it["status"] == "complied" else ""))
        if row["author_id"] is None:
            return
        remaining = set(self._violation_count(conn, row["platform"], row["author_id"]))
        for it in conn.execute(select(nitems_t).where(
                nitems_t.c.platform == row["platform"], nitems_t.c.author_id == row["author_id"],
                nitems_t.c.case_pk.is_(None), nitems_t.c.status != "withdrawn")).mappings().all():
            if case_id in (it["basis"] or []) and len(remaining) < (it["threshold"] or 0):
                self._set_item(conn, it, {"status": "withdrawn"}, actor,
                               f"{why}; {row['author_id']} now has {len(remaining)} confirmed violations, below the "
                               f"{it['threshold']} this account request needed")

    def _set_item(self, conn: Connection, it: Any, values: dict[str, Any], actor: str, reason: str) -> None:
        res = conn.execute(update(nitems_t).where(nitems_t.c.id == it["id"], nitems_t.c.version == it["version"])
                           .values(**values, version=it["version"] + 1))
        if res.rowcount != 1:
            raise ConflictError(f"Notice request {it['id']} was changed by someone else meanwhile; nothing was written.")
        keys = ("status", "response", "responded_at", "note", "seen_run_id")
        before = {k: (iso(it[k]) if isinstance(it[k], datetime) else it[k]) for k in keys}
        after = before | {k: (iso(v) if isinstance(v, datetime) else v) for k, v in values.items()}
        audit.append(conn, actor=actor, action="notice_item.update", entity="notice_item", entity_id=it["id"],
                     reason=reason, before=before | {"version": it["version"]},
                     after=after | {"version": it["version"] + 1})

    # -- notices -----------------------------------------------------------------------------

    def create_notice(
        self, platform: str, actor: str, reason: str, deadline_days: float = 7.0, restrict_at: int = 3,
        close_at: int | None = None,
    ) -> dict[str, Any]:
        """Batch the platform's confirmed cases not yet requested into one notice with a deadline.
        Authors with at least `restrict_at` confirmed violations also get an account request
        (`close_account` from `close_at` on)."""
        reason = audit.require_reason(reason, f"send a notice to {platform}")
        if deadline_days < 0:
            raise TrustwatchError(f"The deadline of {deadline_days} days is negative.", "Pass --deadline-days 0 or more.")
        with self.write(f"create a notice for {platform}") as conn:
            requested = select(nitems_t.c.case_pk).where(nitems_t.c.case_pk.is_not(None), nitems_t.c.status != "withdrawn")
            cases = conn.execute(select(cases_t).where(cases_t.c.platform == platform, cases_t.c.status == "confirmed",
                                                       cases_t.c.id.not_in(requested)).order_by(cases_t.c.id)).mappings().all()
            items = self._items(conn, [c["id"] for c in cases])
            now = self.now()
            rows: list[dict[str, Any]] = []
            for c in cases:
                for it in items.get(c["id"], []):
                    rows.append({"case_pk": c["id"], "request": "remove_content", "platform": platform,
                                 "post_id": it["post_id"], "author_id": c["author_id"], "url": it["url"], "basis": [c["id"]],
                                 "threshold": None})
            for author in sorted({c["author_id"] for c in cases if c["author_id"]}):
                basis = self._violation_count(conn, platform, author)
                if len(basis) < restrict_at:
                    continue
                req = "close_account" if close_at is not None and len(basis) >= close_at else "restrict_account"
                pending = conn.execute(select(nitems_t.c.id).where(
                    nitems_t.c.platform == platform, nitems_t.c.author_id == author, nitems_t.c.request == req,
                    nitems_t.c.case_pk.is_(None), nitems_t.c.status.in_(("pending", "complied")))).first()
                if pending is None:
                    rows.append({"case_pk": None, "request": req, "platform": platform, "post_id": None,
                                 "author_id": author, "url": None, "basis": basis,
                                 "threshold": close_at if req == "close_account" else restrict_at})
            if not rows:
                raise TrustwatchError(f"No confirmed case on {platform!r} is waiting for a notice.",
                                      "Confirm cases first (`trustwatch cases decide`), or check the platform name.")
            deadline = now + timedelta(days=deadline_days)
            notice_id = int(conn.execute(insert(notices_t).returning(notices_t.c.id), {
                "platform": platform, "created_at": now, "deadline": deadline, "created_by": actor, "reason": reason,
            }).scalar_one())
            conn.execute(insert(nitems_t), [{**r, "notice_pk": notice_id, "status": "pending", "response": None,
                                             "responded_at": None, "note": None, "seen_run_id": None, "version": 1}
                                            for r in rows])
            audit.append(conn, actor=actor, action="notice.create", entity="notice", entity_id=notice_id, reason=reason,
                         before=None, after={"platform": platform, "deadline": iso(deadline),
                                             "requests": [{"request": r["request"], "post_id": r["post_id"],
                                                           "author_id": r["author_id"], "case_id": r["case_pk"]}
                                                          for r in rows]})
        return self.get_notice(notice_id)

    def get_notice(self, notice_id: int) -> dict[str, Any]:
        with self.read(f"read notice {notice_id}") as conn:
            n = conn.execute(select(notices_t).where(notices_t.c.id == notice_id)).mappings().first()
            if n is None:
                raise TrustwatchError(f"There is no notice {notice_id}.", "Pick an id from `trustwatch notices list`.")
            its = conn.execute(
                select(nitems_t, cases_t.c.category, cases_t.c.decision_category)
                .outerjoin(cases_t, cases_t.c.id == nitems_t.c.case_pk)
                .where(nitems_t.c.notice_pk == notice_id).order_by(nitems_t.c.id)).mappings().all()
        out = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in dict(n).items()}
        reqs = []
        for it in its:
            d = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in dict(it).items()}
            cat = d.pop("decision_category") or d["category"]
            d["category"] = cat
            d["criterion"] = self._packs[cat].pack.criterion.strip() if cat in self._packs else None
            reqs.append(d)
        out["items"] = reqs
        return out

    def list_notices(self) -> list[dict[str, Any]]:
        with self.read("list notices") as conn:
            ids = list(conn.execute(select(notices_t.c.id).order_by(notices_t.c.id)).scalars())
        return [self.get_notice(i) for i in ids]

    def record_response(
        self, item_id: int, response: str, actor: str, reason: str, responded_at: datetime | None = None,
        note: str | None = None,
    ) -> None:
        """A platform's answer to one request: removed, restricted, closed, declined or no_response."""
        if response not in RESPONSES:
            raise TrustwatchError(f"Unknown response {response!r}.", f"Use one of {list(RESPONSES)}.")
        reason = audit.require_reason(reason, f"record a response to request {item_id}")
        with self.write(f"record a response to request {item_id}") as conn:
            it = conn.execute(select(nitems_t).where(nitems_t.c.id == item_id)).mappings().first()
            if it is None:
                raise TrustwatchError(f"There is no notice request {item_id}.", "Use the item_id column of the notice file.")
            if it["status"] == "withdrawn":
                raise TrustwatchError(f"Request {item_id} was withdrawn (its case was overturned); its response is not counted.")
            if response == "no_response":
                status = "pending"
            elif response in COMPLYING[it["request"]]:
                status = "complied"
            elif response == "declined":
                status = "declined"
            else:
                raise TrustwatchError(f"Response {response!r} does not answer a {it['request']} request (item {item_id}).",
                                      f"Use one of {sorted(COMPLYING[it['request']])}, declined or no_response.")
            if it["status"] == "not_complied":
                status = "not_complied"  # a later scan already saw the content after the deadline
            at = utc(responded_at) or self.now()
            self._set_item(conn, it, {"status": status, "response": response, "responded_at": at, "note": note},
                           actor, reason)

    def import_responses(self, path: str, actor: str) -> dict[str, Any]:
        """Read a platform's answers (the notice's CSV or JSON with `response` filled in); every row
        is applied or reported with its line and reason, never silently skipped."""
        from .notices import read_responses

        rows, errors = read_responses(path)
        applied = 0
        for line, r in rows:
            try:
                at = None
                if r.get("responded_at"):
                    try:
                        at = datetime.fromisoformat(str(r["responded_at"]))
                    except ValueError:
                        raise TrustwatchError(f"responded_at {r['responded_at']!r} is not an ISO 8601 time") from None
                note = (r.get("note") or "").strip() or None
                why = f"platform response {r['response']!r} imported from {path} line {line}" + (f": {note}" if note else "")
                self.record_response(int(r["item_id"]), str(r["response"]).strip(), actor, why, at, note)
                applied += 1
            except (TrustwatchError, ValueError) as exc:
                errors.append({"line": line, "reason": str(exc)})
        return {"applied": applied, "rejected": errors}

    def mark_seen_after_deadline(self, run_id: int, actor: str = "trustwatch") -> int:
        """Removal requests whose post a scan still sees after the deadline are not complied with,
        whether unanswered or answered "removed" (a declined one stays declined: the platform already
        said no). Returns how many requests changed."""
        with self.write(f"check notices against scan run {run_id}") as conn:
            run = conn.execute(select(scan_runs_t.c.started_at).where(scan_runs_t.c.id == run_id)).first()
            if run is None:
                return 0
            seen_at = utc(run.started_at)
            seen = (
                select(posts_t.c.platform, posts_t.c.post_id)
                .join(versions_t, versions_t.c.post_pk == posts_t.c.id)
                .join(results_t, results_t.c.post_version_pk == versions_t.c.id)
                .where(results_t.c.run_id == run_id, results_t.c.status == "ok")
            ).subquery()
            its = conn.execute(
                select(nitems_t, notices_t.c.deadline)
                .join(notices_t, notices_t.c.id == nitems_t.c.notice_pk)
                .join(seen, and_(seen.c.platform == nitems_t.c.platform, seen.c.post_id == nitems_t.c.post_id))
                .where(nitems_t.c.request == "remove_content", nitems_t.c.status.in_(("pending", "complied")))
            ).mappings().all()
            changed = 0
            for it in its:
                if seen_at is None or seen_at <= utc(it["deadline"]):
                    continue
                item = {k: it[k] for k in it if k != "deadline"}
                self._set_item(conn, item, {"status": "not_complied", "seen_run_id": run_id}, actor,
                               f"scan run {run_id} at {iso(seen_at)} still saw {it['platform']}/{it['post_id']} after "
                               f"the notice deadline {iso(it['deadline'])}")
                changed += 1
        return changed

    def compliance(self) -> list[dict[str, Any]]:
        """Per platform: requests (withdrawn ones excluded), complied, rate, median hours to act,
        declined, not complied (seen after the deadline), overdue (no answer, deadline passed)."""
        now = self.now()
        with self.read("compute compliance") as conn:
            rows = conn.execute(
                select(nitems_t.c.platform, nitems_t.c.status, nitems_t.c.responded_at, notices_t.c.created_at,
                       notices_t.c.deadline)
                .join(notices_t, notices_t.c.id == nitems_t.c.notice_pk)
                .where(nitems_t.c.status != "withdrawn")
            ).all()
        per: dict[str, dict[str, Any]] = {}
        for r in rows:
            p = per.setdefault(r.platform, {"platform": r.platform, "requests": 0, "complied": 0, "declined": 0,
                                            "not_complied": 0, "overdue": 0, "pending": 0, "_hours": []})
            p["requests"] += 1
            if r.status == "complied":
                p["complied"] += 1
                if r.responded_at is not None:
                    p["_hours"].append((utc(r.responded_at) - utc(r.created_at)).total_seconds() / 3600)  # type: ignore[operator]
            elif r.status == "declined":
                p["declined"] += 1
            elif r.status == "not_complied":
                p["not_complied"] += 1
            elif r.status == "pending":
                p["pending"] += 1
                if now > utc(r.deadline):  # type: ignore[operator]
                    p["overdue"] += 1
        out = []
        for p in sorted(per.values(), key=lambda x: x["platform"]):
            hours = sorted(p.pop("_hours"))
            p["compliance_rate"] = round(p["complied"] / p["requests"], 4) if p["requests"] else None
            p["median_hours_to_act"] = round(_median(hours), 2) if hours else None
            out.append(p)
        return out

    # -- labeled data ------------------------------------------------------------------------

    def labeled_decisions(self) -> Iterator[dict[str, Any]]:
        """Final decisions as labeled examples: confirmed cases label their posts with the confirmed
        category, dismissed and overturned ones with none (`labels: []`)."""
        with self.read("read decided cases") as conn:
            rows = conn.execute(select(cases_t).where(cases_t.c.status.in_(("confirmed", "dismissed", "overturned")))
                                .order_by(cases_t.c.id)).mappings().all()
            items = self._items(conn, [r["id"] for r in rows])
        for r in rows:
            category = r["decision_category"] or r["category"]
            positive = r["status"] == "confirmed"
            for it in items.get(r["id"], []):
                yield {
                    "text": it["text"], "label": category if positive else "none",
                    "labels": [category] if positive else [], "category": category,
                    "decision": r["status"], "case_id": r["id"], "platform": it["platform"],
                    "post_id": it["post_id"], "lang": it["lang"], "decided_at": iso(r["decided_at"]),
                }


def _median(values: list[float]) -> float:
    n = len(values)
    mid = n // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2

