"""Alerts to other teams and agencies: rules, an outbox, signed webhooks, email and a daily digest.

A rule matches events (`case_opened`, `case_confirmed`) by category, minimum severity, minimum
reach and platform. Matching events are written to `alert_events` in the same transaction as the
change they report (`enqueue`), then delivered after the commit (`dispatch`). Every attempt,
failed or not, is a row of `alert_deliveries`; an event that exhausts its retries is `failed`
and stays listed until `trustwatch alerts send --retry-failed` delivers it. Nothing is dropped.

Webhooks are POSTed as JSON with `X-Trustwatch-Signature: sha256=<hex>`, the HMAC-SHA256 of
`<timestamp>.<body>` under the rule's secret, and `X-Trustwatch-Timestamp` (Unix seconds), so a
receiver can check both origin and freshness. Failures are retried with exponential backoff
(`backoff_s × 2^(attempt-1)`). Digest rules queue their events and send one message a day with
`trustwatch alerts digest` (run it from cron).
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, insert, select, update

from ..errors import TrustwatchError
from ..store.engine import WRITE_OPTION
from ..store.schema_cases import AlertDeliveryRow, AlertEventRow, AlertRuleRow
from . import audit

rules_t: Table = AlertRuleRow.__table__  # type: ignore[assignment]
events_t: Table = AlertEventRow.__table__  # type: ignore[assignment]
deliveries_t: Table = AlertDeliveryRow.__table__  # type: ignore[assignment]

EVENTS = ("case_opened", "case_confirmed")
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}
SIGNATURE_HEADER = "X-Trustwatch-Signature"
TIMESTAMP_HEADER = "X-Trustwatch-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def matches(rule: Any, event: str, payload: dict[str, Any]) -> bool:
    if not rule["active"] or event not in (rule["events"] or EVENTS):
        return False
    if rule["categories"] and payload.get("category") not in rule["categories"]:
        return False
    if rule["platforms"] and payload.get("platform") not in rule["platforms"]:
        return False
    if rule["min_severity"] and SEVERITY_RANK.get(payload.get("severity", ""), 0) < SEVERITY_RANK[rule["min_severity"]]:
        return False
    return not (rule["min_reach"] and int(payload.get("reach") or 0) < int(rule["min_reach"]))


def enqueue(conn: Connection, event: str, payload: dict[str, Any], now: datetime) -> list[int]:
    """In the caller's transaction: one outbox row per matching rule; returns the ids to deliver now
    (digest rules' events wait, `queued`, for the digest)."""
    ids: list[int] = []
    for rule in conn.execute(select(rules_t).where(rules_t.c.active.is_(True))).mappings().all():
        if not matches(rule, event, payload):
            continue
        eid = int(conn.execute(insert(events_t).returning(events_t.c.id), {
            "rule_pk": rule["id"], "event": event, "payload": {"event": event, **payload}, "created_at": now,
            "status": "queued" if rule["digest"] else "pending", "attempts": 0, "last_error": None, "delivered_at": None,
        }).scalar_one())
        if not rule["digest"]:
            ids.append(eid)
    return ids


# -- rules -----------------------------------------------------------------------------------------


def add_rule(
    svc: Any, name: str, *, actor: str, reason: str, webhook: str | None = None, secret: str | None = None,
    email_to: list[str] | None = None, smtp_host: str = "localhost", smtp_port: int = 25,
    smtp_from: str = "trustwatch@localhost", categories: list[str] | None = None, platforms: list[str] | None = None,
    events: list[str] | None = None, min_severity: str | None = None, min_reach: int | None = None,
    digest: bool = False, max_attempts: int = 4, backoff_s: float = 1.0,
) -> dict[str, Any]:
    reason = audit.require_reason(reason, f"add alert rule {name!r}")
    if bool(webhook) == bool(email_to):
        raise TrustwatchError("An alert rule needs exactly one channel.", "Pass --webhook URL or --email ADDRESS.")
    if webhook:
        if not webhook.startswith(("http://", "https://")):
            raise TrustwatchError(f"The webhook {webhook!r} is not an http(s) URL.", "Pass --webhook https://...")
        if not secret:
            raise TrustwatchError("A webhook rule needs a signing secret.", "Pass --secret TEXT (shared with the receiver).")
    if min_severity is not None and min_severity not in SEVERITY_RANK:
        raise TrustwatchError(f"Unknown severity {min_severity!r}.", f"Use one of {list(SEVERITY_RANK)}.")
    for e in events or []:
        if e not in EVENTS:
            raise TrustwatchError(f"Unknown event {e!r}.", f"Use one of {list(EVENTS)}.")
    if max_attempts < 1 or backoff_s < 0:
        raise TrustwatchError("max_attempts must be at least 1 and backoff_s not negative.")
    config: dict[str, Any] = {"max_attempts": max_attempts, "backoff_s": backoff_s}
    if webhook:
        config |= {"url": webhook, "secret": secret}
    else:
        config |= {"to": list(email_to or []), "host": smtp_host, "port": smtp_port, "from": smtp_from}
    values = {"name": name, "channel": "webhook" if webhook else "email", "config": config,
              "categories": list(categories or []), "platforms": list(platforms or []), "events": list(events or EVENTS),
              "min_severity": min_severity, "min_reach": min_reach, "digest": digest, "active": True,
              "created_at": svc.now()}
    with svc.write(f"add alert rule {name!r}") as conn:
        if conn.execute(select(rules_t.c.id).where(rules_t.c.name == name)).first():
            raise TrustwatchError(f"An alert rule named {name!r} already exists.", "Pick another --name.")
        rid = int(conn.execute(insert(rules_t).returning(rules_t.c.id), values).scalar_one())
        shown = {k: v for k, v in values.items() if k not in ("config", "created_at")}
        shown["target"] = webhook or ", ".join(email_to or [])
        audit.append(conn, actor=actor, action="alert_rule.add", entity="alert_rule", entity_id=rid, reason=reason,
                     before=None, after=shown)
    return {"id": rid, **values, "created_at": values["created_at"].isoformat()}


def list_rules(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        out = []
        for r in conn.execute(select(rules_t).order_by(rules_t.c.id)).mappings():
            d = dict(r)
            d["config"] = {k: ("***" if k == "secret" else v) for k, v in d["config"].items()}
            d["created_at"] = str(d["created_at"])
            out.append(d)
        return out


def deliveries(engine: Engine, failed_only: bool = False) -> list[dict[str, Any]]:
    """The delivery log: every attempt, oldest first."""
    stmt = select(deliveries_t, rules_t.c.name).join(rules_t, rules_t.c.id == deliveries_t.c.rule_pk).order_by(deliveries_t.c.id)
    if failed_only:
        stmt = stmt.where(deliveries_t.c.ok.is_(False))
    with engine.connect() as conn:
        return [{**dict(r), "at": str(r["at"])} for r in conn.execute(stmt).mappings()]


def events(engine: Engine, status: str | None = None) -> list[dict[str, Any]]:
    stmt = select(events_t).order_by(events_t.c.id)
    if status:
        stmt = stmt.where(events_t.c.status == status)
    with engine.connect() as conn:
        return [{**dict(r), "created_at": str(r["created_at"]), "delivered_at": str(r["delivered_at"] or "")}
                for r in conn.execute(stmt).mappings()]


# -- delivery --------------------------------------------------------------------------------------


def _post(url: str, secret: str, body: bytes, event: str, delivery: str, timeout: float) -> tuple[bool, int | None, str | None]:
    ts = str(int(time.time()))
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "trustwatch-alerts", SIGNATURE_HEADER: sign(secret, ts, body),
        TIMESTAMP_HEADER: ts, "X-Trustwatch-Event": event, "X-Trustwatch-Delivery": delivery,
    })
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            code = resp.status
            return 200 <= code < 300, code, None if 200 <= code < 300 else f"HTTP {code}"
    except urllib.error.HTTPError as exc:
        return False, exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, None, f"{type(exc).__name__}: {reason}"


def _mail(cfg: dict[str, Any], subject: str, text: str, timeout: float) -> tuple[bool, int | None, str | None]:
    msg = EmailMessage()
    msg["From"] = cfg["from"]
    msg["To"] = ", ".join(cfg["to"])
    msg["Subject"] = subject
    msg.set_content(text)
    try:
        with smtplib.SMTP(cfg["host"], int(cfg["port"]), timeout=timeout) as smtp:
            smtp.send_message(msg)
        return True, 250, None
    except (smtplib.SMTPException, OSError) as exc:
        return False, getattr(exc, "smtp_code", None), f"{type(exc).__name__}: {exc}"


def _describe(payload: dict[str, Any]) -> str:
    posts = "\n".join(f"  - {p['post_id']} {p.get('url') or ''} evidence: {', '.join(p.get('evidence') or [])}"
                      for p in payload.get("posts", []))
    return (f"{payload['event']}: case {payload['case_id']} [{payload['category']}, {payload['severity']}] on "
            f"{payload['platform']}, reach {payload.get('reach', 0):,}, priority {payload.get('priority')}\n{posts}")


def _send(rule: Any, event: str, payloads: list[dict[str, Any]], delivery: str, timeout: float) -> tuple[bool, int | None, str | None]:
    cfg = rule["config"]
    if rule["channel"] == "webhook":
        body = orjson.dumps(payloads[0] if len(payloads) == 1 and event != "digest"
                            else {"event": "digest", "events": payloads})
        return _post(cfg["url"], cfg["secret"], body, event, delivery, timeout)
    if event == "digest":
        subject = f"trustwatch daily digest: {len(payloads)} event(s) for rule {rule['name']}"
    else:
        p = payloads[0]
        subject = f"trustwatch {event}: {p['category']} case {p['case_id']} on {p['platform']}"
    return _mail(cfg, subject, "\n\n".join(_describe(p) for p in payloads), timeout)


def _attempts(engine: Engine, rule: Any, event: str, event_ids: list[int], payloads: list[dict[str, Any]],
              timeout: float, sleep: Any) -> tuple[bool, str | None]:
    cfg = rule["config"]
    max_attempts, backoff = int(cfg.get("max_attempts", 4)), float(cfg.get("backoff_s", 1.0))
    error: str | None = None
    for attempt in range(1, max_attempts + 1):
        ok, code, error = _send(rule, event, payloads, ",".join(map(str, event_ids)), timeout)
        with engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                conn.execute(insert(deliveries_t), {"rule_pk": rule["id"], "event_ids": event_ids, "attempt": attempt,
                                                    "at": datetime.now(UTC), "ok": ok, "status_code": code, "error": error})
                conn.execute(update(events_t).where(events_t.c.id.in_(event_ids))
                             .values(attempts=events_t.c.attempts + 1, last_error=error))
        if ok:
            return True, None
        if attempt < max_attempts:
            sleep(backoff * 2 ** (attempt - 1))
    return False, error


def dispatch(engine: Engine, event_ids: list[int] | None = None, retry_failed: bool = False,
             timeout: float = 10.0, sleep: Any = time.sleep) -> dict[str, int]:
    """Deliver pending events (the given ones, or all pending; with `retry_failed` the failed ones
    too), each with retries and backoff. Returns counts of delivered and failed."""
    statuses = ("pending", "failed") if retry_failed else ("pending",)
    with engine.connect() as conn:
        stmt = select(events_t, rules_t).join(rules_t, rules_t.c.id == events_t.c.rule_pk).where(events_t.c.status.in_(statuses))
        if event_ids is not None:
            stmt = stmt.where(events_t.c.id.in_(event_ids))
        rows = conn.execute(stmt.order_by(events_t.c.id)).mappings().all()
    done = {"delivered": 0, "failed": 0}
    for r in rows:
        rule = {"id": r["rule_pk"], "name": r["name"], "channel": r["channel"], "config": r["config"]}
        ok, _ = _attempts(engine, rule, r["event"], [r["id"]], [r["payload"]], timeout, sleep)
        _finish(engine, [r["id"]], ok)
        done["delivered" if ok else "failed"] += 1
    return done


def _finish(engine: Engine, ids: list[int], ok: bool) -> None:
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            conn.execute(update(events_t).where(events_t.c.id.in_(ids)).values(
                status="delivered" if ok else "failed", delivered_at=datetime.now(UTC) if ok else None))


def send_digest(engine: Engine, timeout: float = 10.0, sleep: Any = time.sleep) -> dict[str, int]:
    """One message per digest rule with every event queued since its last digest (run daily)."""
    with engine.connect() as conn:
        rows = conn.execute(select(events_t, rules_t).join(rules_t, rules_t.c.id == events_t.c.rule_pk)
                            .where(events_t.c.status == "queued").order_by(events_t.c.id)).mappings().all()
    by_rule: dict[int, list[Any]] = {}
    for r in rows:
        by_rule.setdefault(r["rule_pk"], []).append(r)
    done = {"digests": 0, "events": 0, "failed": 0}
    for rid, evs in by_rule.items():
        rule = {"id": rid, "name": evs[0]["name"], "channel": evs[0]["channel"], "config": evs[0]["config"]}
        ids = [e["id"] for e in evs]
        ok, _ = _attempts(engine, rule, "digest", ids, [e["payload"] for e in evs], timeout, sleep)
        if ok:
            _finish(engine, ids, True)
            done["digests"] += 1
            done["events"] += len(ids)
        else:
            done["failed"] += 1  # events stay queued for the next digest; every failed try is logged
    return done
