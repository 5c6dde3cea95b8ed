"""Commands of the review workflow: `cases`, `appeals`, `notices`, `export`, `audit`, `alerts`,
`shadow`. Registered on the main app by `register(app)`; every state-changing command needs an
actor and a written reason, which land in the audit log."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from .cli_options import DEFAULT_DB, DbOpt
from .errors import TrustwatchError

PolicyOpt = Annotated[
    list[str] | None,
    typer.Option("--policy", "-p", help="Policy pack file or folder (repeatable). Default: the shipped packs."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (required; kept in the audit log).")]
ActorOpt = Annotated[str, typer.Option("--actor", help="Who acts (kept in the audit log).")]

cases_app = typer.Typer(help="Review flagged posts: list, open, assign, decide, export labels.", no_args_is_help=True)
appeals_app = typer.Typer(help="Appeals against confirmed decisions, decided by a different reviewer.", no_args_is_help=True)
notices_app = typer.Typer(help="Notices to platforms, their responses and compliance figures.", no_args_is_help=True)
export_app = typer.Typer(help="Export statements of reasons.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alert rules, signed webhooks, email and the daily digest.", no_args_is_help=True)
shadow_app = typer.Typer(help="Try a new or changed pack on stored posts without opening cases.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    for name, sub in (("cases", cases_app), ("appeals", appeals_app), ("notices", notices_app), ("export", export_app),
                      ("audit", audit_app), ("alerts", alerts_app), ("shadow", shadow_app)):
        app.add_typer(sub, name=name)


def _svc(db: str, policy: list[str] | None = None) -> Any:
    from .cases import CaseService

    return CaseService.open(db, policy_paths=policy)


def _dump(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")


# -- cases -----------------------------------------------------------------------------------------


@cases_app.command("list")
def cases_list(
    db: DbOpt = DEFAULT_DB, policy: PolicyOpt = None,
    status: Annotated[str | None, typer.Option(help="open | confirmed | dismissed | overturned")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 200, as_json: JsonOpt = False,
) -> None:
    """List cases, highest priority first.

    Example: trustwatch cases list --status open --json
    """
    with _svc(db, policy) as svc:
        rows = svc.list_cases(status=status, category=category, limit=limit)
    if as_json:
        _dump(rows)
        return
    table = Table(title=f"cases ({len(rows)})")
    for col in ("id", "status", "category", "severity", "priority", "platform", "author", "posts", "assignee", "version"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), r["status"], r["category"], r["severity"], f"{r['priority']:.2f}", r["platform"],
                      r["author_id"] or "", " ".join(p["post_id"] for p in r["posts"])[:40], r["assignee"] or "",
                      str(r["version"]))
    Console(emoji=False, markup=False).print(table)


@cases_app.command("show")
def cases_show(case_id: int, db: DbOpt = DEFAULT_DB, policy: PolicyOpt = None) -> None:
    """Print one case with its posts, evidence, decisions and appeals as JSON.

    Example: trustwatch cases show 12
    """
    with _svc(db, policy) as svc:
        _dump(svc.get_case(case_id))


@cases_app.command("open")
def cases_open(
    db: DbOpt = DEFAULT_DB, policy: PolicyOpt = None,
    scan_id: Annotated[int | None, typer.Option("--scan", help="Scan run id (default: the latest).")] = None,
    actor: ActorOpt = "trustwatch",
) -> None:
    """Open cases from a scan's flags, per each pack's action (review and notice open cases; label
    does not; shadow packs never do). Posts in one near-duplicate cluster share a case when a
    cluster provider is installed (entry point group `trustwatch.clusters`).

    Example: trustwatch cases open
    """
    with _svc(db, policy) as svc:
        ids = svc.open_cases(scan_id, actor=actor, cluster_of=_cluster_provider(svc))
    typer.echo(f"{len(ids)} case(s) opened or extended" + (f": {' '.join(map(str, ids[:50]))}" if ids else ""))


def _cluster_provider(svc: Any) -> Any:
    """The first installed `trustwatch.clusters` entry point: a factory taking the engine and
    returning `cluster_of(platform, post_id) -> key | None`. None when nothing is installed."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="trustwatch.clusters"):
        return ep.load()(svc.engine)
    return None


@cases_app.command("assign")
def cases_assign(
    case_id: int, to: Annotated[str, typer.Option("--to", help="Reviewer to assign.")], reason: ReasonOpt,
    actor: ActorOpt, db: DbOpt = DEFAULT_DB, policy: PolicyOpt = None,
    version: Annotated[int | None, typer.Option(help="Fail unless the case is still at this version.")] = None,
) -> None:
    """Assign an open case to a reviewer.

    Example: trustwatch cases assign 12 --to lan --actor lead --reason "scam queue this week"
    """
    with _svc(db, policy) as svc:
        c = svc.assign(case_id, to, actor, reason, version)
    typer.echo(f"case {case_id} assigned to {c['assignee']} (version {c['version']})")


@cases_app.command("decide")
def cases_decide(
    case_id: int,
    reason: ReasonOpt,
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who decides.")],
    confirm: Annotated[bool, typer.Option("--confirm", help="The post breaks the policy.")] = False,
    dismiss: Annotated[bool, typer.Option("--dismiss", help="The post does not break the policy.")] = False,
    category: Annotated[str | None, typer.Option(help="Category decided (default: the case's).")] = None,
    version: Annotated[int | None, typer.Option(help="Fail unless the case is still at this version.")] = None,
    db: DbOpt = DEFAULT_DB, policy: PolicyOpt = None,
) -> None:
    """Confirm or dismiss a case with a written reason. High-severity cases need two reviewers.

    Example: trustwatch cases decide 12 --confirm --reason "Sells exorcism for 2tr, Zalo given" --reviewer lan
    """
    if confirm == dismiss:
        raise TrustwatchError("Pass exactly one of --confirm or --dismiss.")
    with _svc(db, policy) as svc:
        cat = category or svc.get_case(case_id)["category"]
        c = svc.decide(case_id, "confirm" if confirm else "dismiss", reviewer, reason, cat, version)
    done = sum(1 for d in c["decisions"] if d["kind"] == "review")
    typer.echo(f"case {case_id}: {c['status']} ({done}/{c['required_reviews']} review(s), version {c['version']})")


@cases_app.command("export-labels")
def cases_export_labels(
    out: Annotated[str, typer.Option("--out", "-o", help="JSON Lines file to write.")],
    db: DbOpt = DEFAULT_DB, policy: PolicyOpt = None,
) -> None:
    """Export final decisions as labeled data: one JSON line per post with `text`, `label` (the
    confirmed category, or `none`) and `labels` (the list `trustwatch eval` reads).

    Example: trustwatch cases export-labels --out decisions.jsonl
    """
    n = 0
    with _svc(db, policy) as svc, open(out, "wb") as f:
        for row in svc.labeled_decisions():
            f.write(orjson.dumps(row) + b"\n")
            n += 1
    typer.echo(f"{n} labeled post(s) written to {out}")


# -- appeals ---------------------------------------------------------------------------------------


@appeals_app.command("open")
def appeals_open(
    case_id: int,
    by: Annotated[str, typer.Option("--by", help="creator | platform")],
    grounds: Annotated[str, typer.Option("--grounds", help="Why the decision is contested (required).")],
    actor: ActorOpt, db: DbOpt = DEFAULT_DB, policy: PolicyOpt = None,
) -> None:
    """File an appeal against a confirmed case.

    Example: trustwatch appeals open 12 --by creator --grounds "This is a news report" --actor page:99
    """
    with _svc(db, policy) as svc:
        a = svc.file_appeal(case_id, by, actor, grounds)
    typer.echo(f"appeal {a['id']} filed on case {case_id}")


@appeals_app.command("decide")
def appeals_decide(
    appeal_id: int, reason: ReasonOpt,
    reviewer: Annotated[str, typer.Option("--reviewer", help="A reviewer who took no part in the decision.")],
    uphold: Annotated[bool, typer.Option("--uphold")] = False,
    overturn: Annotated[bool, typer.Option("--overturn")] = False,
    db: DbOpt = DEFAULT_DB, policy: PolicyOpt = None,
) -> None:
    """Uphold or overturn a decision on appeal.

    Example: trustwatch appeals decide 3 --overturn --reason "Satire, no sale offered" --reviewer minh
    """
    if uphold == overturn:
        raise TrustwatchError("Pass exactly one of --uphold or --overturn.")
    with _svc(db, policy) as svc:
        a = svc.decide_appeal(appeal_id, "uphold" if uphold else "overturn", reviewer, reason)
    typer.echo(f"appeal {appeal_id}: {a['status']}")


@appeals_app.command("list")
def appeals_list(db: DbOpt = DEFAULT_DB, status: Annotated[str | None, typer.Option()] = None, as_json: JsonOpt = False) -> None:
    """List appeals.

    Example: trustwatch appeals list --status open
    """
    with _svc(db) as svc:
        rows = svc.list_appeals(status)
    if as_json:
        _dump(rows)
        return
    for a in rows:
        typer.echo(f"{a['id']}\tcase {a['case_pk']}\t{a['status']}\t{a['appellant']}\t{a['grounds'][:60]}")


# -- notices ---------------------------------------------------------------------------------------


@notices_app.command("create")
def notices_create(
    platform: Annotated[str, typer.Option("--platform", help="Platform name as in the posts (e.g. facebook).")],
    out: Annotated[str, typer.Option("--out", "-o", help="Notice file; written as .json and .csv.")],
    actor: ActorOpt = "trustwatch",
    reason: Annotated[str | None, typer.Option("--reason", help="Why (default: names the confirmed cases).")] = None,
    deadline_days: Annotated[float, typer.Option(help="Days the platform has to act.")] = 7.0,
    restrict_at: Annotated[int, typer.Option(help="Confirmed violations that trigger an account restriction request.")] = 3,
    close_at: Annotated[int | None, typer.Option(help="Confirmed violations that trigger an account closure request.")] = None,
    db: DbOpt = DEFAULT_DB, policy: PolicyOpt = None,
) -> None:
    """Batch the platform's confirmed cases into a notice with a deadline (JSON and CSV).

    Example: trustwatch notices create --platform facebook --out notice-fb.json
    """
    with _svc(db, policy) as svc:
        why = reason or f"confirmed violations on {platform} awaiting action by the platform"
        n = svc.create_notice(platform, actor, why, deadline_days, restrict_at, close_at)
    from .cases.notices import write_notice

    j, c = write_notice(n, out)
    typer.echo(f"notice {n['id']}: {len(n['items'])} request(s) to {platform}, deadline {n['deadline']}; wrote {j} and {c}")


@notices_app.command("import")
def notices_import(
    path: Annotated[str, typer.Argument(help="The notice file (JSON or CSV) with responses filled in.")],
    actor: ActorOpt = "platform-import", db: DbOpt = DEFAULT_DB,
) -> None:
    """Import a platform's responses (removed, restricted, closed, declined, no_response).

    Example: trustwatch notices import notice-fb-answered.csv
    """
    with _svc(db) as svc:
        res = svc.import_responses(path, actor)
    typer.echo(f"{res['applied']} response(s) recorded")
    for e in res["rejected"]:
        typer.echo(f"rejected line {e['line']}: {e['reason']}", err=True)
    if res["rejected"]:
        raise typer.Exit(1)


@notices_app.command("compliance")
def notices_compliance(db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """Per platform: requests, complied, compliance rate, median hours to act, overdue.

    Example: trustwatch notices compliance --json
    """
    with _svc(db) as svc:
        rows = svc.compliance()
    if as_json:
        _dump(rows)
        return
    table = Table(title="platform compliance with removal and account requests")
    cols = ("platform", "requests", "complied", "compliance_rate", "median_hours_to_act", "declined", "not_complied",
            "overdue", "pending")
    for c in cols:
        table.add_column(c)
    for r in rows:
        table.add_row(*["" if r[c] is None else str(r[c]) for c in cols])
    Console(emoji=False, markup=False).print(table)


@notices_app.command("list")
def notices_list(db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """List notices and the status of each request.

    Example: trustwatch notices list --json
    """
    with _svc(db) as svc:
        rows = svc.list_notices()
    if as_json:
        _dump(rows)
        return
    for n in rows:
        statuses: dict[str, int] = {}
        for it in n["items"]:
            statuses[it["status"]] = statuses.get(it["status"], 0) + 1
        typer.echo(f"notice {n['id']} {n['platform']} deadline {n['deadline']}: {statuses}")


# -- export / audit --------------------------------------------------------------------------------


@export_app.command("statements")
def export_statements_cmd(
    out: Annotated[str, typer.Option("--out", "-o", help="JSON file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="dsa (the only format).")] = "dsa",
    lang: Annotated[str, typer.Option(help="Language of the letters written beside it: vi or en.")] = "en",
    source_type: Annotated[str, typer.Option(help="DSA source_type of the detections.")] = "SOURCE_VOLUNTARY",
    db: DbOpt = DEFAULT_DB, policy: PolicyOpt = None,
) -> None:
    """Write DSA Transparency Database statements for confirmed cases (validated before writing),
    and a letter for every decision in Vietnamese or English beside them.

    Example: trustwatch export statements --format dsa --out statements.json --lang vi
    """
    if fmt != "dsa":
        raise TrustwatchError(f"Unknown format {fmt!r}.", "Use --format dsa.")
    from .cases.statements import export_statements

    with _svc(db, policy) as svc:
        res = export_statements(svc, out, lang, source_type)
    typer.echo(f"{res['statements']} statement(s) in {res['out']}; {res['letters']} letter(s) in {res['letters_file']}")


@audit_app.command("verify")
def audit_verify(db: DbOpt = DEFAULT_DB) -> None:
    """Check the hash chain; exit 0 if intact, 1 naming the first bad entry.

    Example: trustwatch audit verify
    """
    from .cases import audit

    with _svc(db) as svc, svc.read("verify the audit log") as conn:
        res = audit.verify(conn)
    if res.ok:
        typer.echo(f"audit log intact: {res.entries} entries, head {res.head_hash}")
        return
    typer.echo(f"audit log BROKEN at entry {res.bad_seq}: {res.problem} ({res.entries} entries verified before it)", err=True)
    raise typer.Exit(1)


@audit_app.command("log")
def audit_log(
    db: DbOpt = DEFAULT_DB, entity: Annotated[str | None, typer.Option(help="case | appeal | notice | notice_item | alert_rule")] = None,
    entity_id: Annotated[str | None, typer.Option("--id")] = None, limit: Annotated[int, typer.Option(min=1)] = 1000,
) -> None:
    """Print audit entries (oldest first) as JSON Lines.

    Example: trustwatch audit log --entity case --id 12
    """
    from .cases import audit

    with _svc(db) as svc, svc.read("read the audit log") as conn:
        for e in audit.entries(conn, entity, entity_id, limit):
            sys.stdout.write(orjson.dumps(e).decode() + "\n")


# -- alerts ----------------------------------------------------------------------------------------


@alerts_app.command("add")
def alerts_add(
    name: Annotated[str, typer.Option("--name")], reason: ReasonOpt, actor: ActorOpt,
    webhook: Annotated[str | None, typer.Option(help="URL to POST signed JSON to.")] = None,
    secret: Annotated[str | None, typer.Option(help="HMAC-SHA256 signing secret for the webhook.")] = None,
    email: Annotated[list[str] | None, typer.Option(help="Recipient address (repeatable).")] = None,
    smtp_host: Annotated[str, typer.Option()] = "localhost", smtp_port: Annotated[int, typer.Option()] = 25,
    smtp_from: Annotated[str, typer.Option()] = "trustwatch@localhost",
    category: Annotated[list[str] | None, typer.Option(help="Only these categories (repeatable).")] = None,
    platform: Annotated[list[str] | None, typer.Option(help="Only these platforms (repeatable).")] = None,
    event: Annotated[list[str] | None, typer.Option(help="case_opened | case_confirmed (repeatable).")] = None,
    min_severity: Annotated[str | None, typer.Option(help="low | medium | high")] = None,
    min_reach: Annotated[int | None, typer.Option(help="Followers or views at least.")] = None,
    digest: Annotated[bool, typer.Option(help="Queue for the daily digest instead of sending at once.")] = False,
    max_attempts: Annotated[int, typer.Option()] = 4, backoff_s: Annotated[float, typer.Option()] = 1.0,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Add an alert rule.

    Example: trustwatch alerts add --name police --webhook https://x/hook --secret s3 --category scam --min-reach 10000 --actor lead --reason "MoU with cyber police"
    """
    from .cases.alerts import add_rule

    with _svc(db) as svc:
        r = add_rule(svc, name, actor=actor, reason=reason, webhook=webhook, secret=secret, email_to=email,
                     smtp_host=smtp_host, smtp_port=smtp_port, smtp_from=smtp_from, categories=category,
                     platforms=platform, events=event, min_severity=min_severity, min_reach=min_reach, digest=digest,
                     max_attempts=max_attempts, backoff_s=backoff_s)
    typer.echo(f"alert rule {r['id']} ({r['name']}) added")


@alerts_app.command("list")
def alerts_list(db: DbOpt = DEFAULT_DB) -> None:
    """List alert rules (secrets hidden).

    Example: trustwatch alerts list
    """
    from .cases.alerts import list_rules

    with _svc(db) as svc:
        _dump(list_rules(svc.engine))


@alerts_app.command("send")
def alerts_send(db: DbOpt = DEFAULT_DB, retry_failed: Annotated[bool, typer.Option(help="Also retry failed events.")] = False) -> None:
    """Deliver pending alert events (and failed ones with --retry-failed).

    Example: trustwatch alerts send --retry-failed
    """
    from .cases.alerts import dispatch

    with _svc(db) as svc:
        res = dispatch(svc.engine, retry_failed=retry_failed)
    typer.echo(f"{res['delivered']} delivered, {res['failed']} failed (see `trustwatch alerts log --failed`)")
    if res["failed"]:
        raise typer.Exit(1)


@alerts_app.command("digest")
def alerts_digest(db: DbOpt = DEFAULT_DB) -> None:
    """Send each digest rule one message with the events queued since the last digest (run daily).

    Example: trustwatch alerts digest
    """
    from .cases.alerts import send_digest

    with _svc(db) as svc:
        res = send_digest(svc.engine)
    typer.echo(f"{res['digests']} digest(s) with {res['events']} event(s) sent, {res['failed']} failed")
    if res["failed"]:
        raise typer.Exit(1)


@alerts_app.command("log")
def alerts_log(db: DbOpt = DEFAULT_DB, failed: Annotated[bool, typer.Option("--failed", help="Only failures.")] = False) -> None:
    """The delivery log: every attempt with its status code or error.

    Example: trustwatch alerts log --failed
    """
    from .cases.alerts import deliveries

    with _svc(db) as svc:
        for d in deliveries(svc.engine, failed):
            sys.stdout.write(orjson.dumps(d, default=str).decode() + "\n")


# -- shadow ----------------------------------------------------------------------------------------


@shadow_app.command("report")
def shadow_report_cmd(
    shadow: Annotated[list[str], typer.Option("--shadow", help="The new or changed pack file(s) to try.")],
    policy: PolicyOpt = None, db: DbOpt = DEFAULT_DB,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Write the full report as JSON.")] = None,
    examples: Annotated[int, typer.Option(help="Post ids listed per difference.")] = 20,
) -> None:
    """Run shadow packs on stored posts beside the live packs, opening no cases, and report what the
    shadow pack would flag that the live one did not, and the reverse.

    Example: trustwatch shadow report --shadow my_packs/scam.yaml
    """
    from .cases.shadow import shadow_report

    rep = shadow_report(db, shadow, policy, examples=examples)
    if out:
        Path(out).write_bytes(orjson.dumps(rep, option=orjson.OPT_INDENT_2))
    for pack_id, r in rep["packs"].items():
        typer.echo(f"{pack_id} (shadow) vs {r['compared_to']} (live) on {rep['posts']} stored posts: "
                   f"both {r['both']}, only shadow {r['only_shadow']}, only live {r['only_live']}")
        if r["only_shadow_ids"]:
            typer.echo(f"  only shadow: {' '.join(r['only_shadow_ids'])}")
        if r["only_live_ids"]:
            typer.echo(f"  only live: {' '.join(r['only_live_ids'])}")
