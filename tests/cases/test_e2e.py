"""The whole review workflow end to end through the `trustwatch` command, on SQLite and PostgreSQL:
scan → cases → two reviewers confirm → notice → imported responses → compliance → an appeal
overturns one → compliance and the creator's record update → audit verify passes; then one
tampered audit row makes it fail, naming that entry."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import create_engine, text

from helpers import run_cli
from trustwatch.cases import CaseService
from trustwatch.cases.statements import validate_dsa

from .conftest import REPEAT_AUTHOR


def ok(*args: str) -> str:
    res = run_cli(*args)
    assert res.returncode == 0, f"{args} failed ({res.returncode}): {res.stderr}{res.stdout}"
    return res.stdout


def test_scan_to_appeal_with_audit(db_url: str, posts_file: Path, tmp_path: Path) -> None:
    db = ("--db", db_url)
    ok("scan", str(posts_file), "--out", str(tmp_path / "results.jsonl"), *db)

    # cases: three scams and one superstition post open; the hidden ad only labels, so no case
    assert "4 case(s) opened" in ok("cases", "open", *db)
    assert "0 case(s) opened" in ok("cases", "open", *db)  # idempotent
    cases = json.loads(ok("cases", "list", "--status", "open", "--json", *db))
    assert sorted(c["category"] for c in cases) == ["scam", "scam", "scam", "superstition_service"]
    assert all(c["required_reviews"] == 2 for c in cases)  # both packs are high severity
    assert [c["priority"] for c in cases] == sorted((c["priority"] for c in cases), reverse=True)
    scams = sorted(c["id"] for c in cases if c["category"] == "scam")

    # no decision without a reason; one reviewer is not enough for high severity
    bad = run_cli("cases", "decide", str(scams[0]), "--confirm", "--reason", "  ", "--reviewer", "lan", *db)
    assert bad.returncode == 2 and "without a reason" in bad.stderr
    for cid in scams:
        assert "open (1/2" in ok("cases", "decide", str(cid), "--confirm", "--reviewer", "lan",
                                 "--reason", "Guaranteed daily returns and a deposit asked on Zalo.", *db)
        same = run_cli("cases", "decide", str(cid), "--confirm", "--reviewer", "lan", "--reason", "again", *db)
        assert same.returncode == 2 and "already decided" in same.stderr
        assert "confirmed (2/2" in ok("cases", "decide", str(cid), "--confirm", "--reviewer", "minh",
                                      "--reason", "Fee-first job offer, classic task scam.", *db)

    # notice: three removals and, for the repeat violator, an account restriction
    out = ok("notices", "create", "--platform", "facebook", "--out", str(tmp_path / "notice.json"), "--actor", "desk", *db)
    assert "4 request(s)" in out
    rows = list(csv.DictReader((tmp_path / "notice.csv").open(encoding="utf-8")))
    doc = json.loads((tmp_path / "notice.json").read_text(encoding="utf-8"))
    assert [r["item_id"] for r in rows] == [str(i["item_id"]) for i in doc["items"]]
    assert sorted(r["request"] for r in rows) == ["remove_content"] * 3 + ["restrict_account"]
    account = next(r for r in rows if r["request"] == "restrict_account")
    assert account["author_id"] == REPEAT_AUTHOR["id"]

    # the platform answers: removed, declined, nothing yet, account restricted
    removals = [r for r in rows if r["request"] == "remove_content"]
    answers = {removals[0]["item_id"]: "removed", removals[1]["item_id"]: "declined",
               removals[2]["item_id"]: "no_response", account["item_id"]: "restricted"}
    for r in rows:
        r["response"] = answers[r["item_id"]]
        r["responded_at"] = "2026-12-01T08:00:00+00:00" if r["response"] != "no_response" else ""
    with (tmp_path / "answered.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    assert "4 response(s) recorded" in ok("notices", "import", str(tmp_path / "answered.csv"), *db)

    fb = {p["platform"]: p for p in json.loads(ok("notices", "compliance", "--json", *db))}["facebook"]
    assert (fb["requests"], fb["complied"], fb["declined"], fb["pending"], fb["overdue"]) == (4, 2, 1, 1, 0)
    assert fb["compliance_rate"] == 0.5 and fb["median_hours_to_act"] > 0

    with CaseService.open(db_url) as svc:
        assert len(svc.confirmed_violations(REPEAT_AUTHOR["id"], "facebook")) == 3

    # appeal: the creator contests the unanswered one; a reviewer from the decision may not decide
    contested = int(removals[2]["case_id"])
    ok("appeals", "open", str(contested), "--by", "creator", "--grounds", "This was a warning, not an offer.",
       "--actor", REPEAT_AUTHOR["id"], *db)
    appeal_id = json.loads(ok("appeals", "list", "--json", *db))[0]["id"]
    refused = run_cli("appeals", "decide", str(appeal_id), "--overturn", "--reviewer", "minh",
                      "--reason", "Reads as a warning.", *db)
    assert refused.returncode == 2 and "cannot decide its appeal" in refused.stderr
    assert "overturned" in ok("appeals", "decide", str(appeal_id), "--overturn", "--reviewer", "hoa",
                              "--reason", "Read in full it warns readers about the scheme.", *db)

    # the overturn leaves the creator's record and withdraws its removal and the account request
    # (two confirmed violations remain, below the three it needed)
    with CaseService.open(db_url) as svc:
        record = svc.confirmed_violations(REPEAT_AUTHOR["id"], "facebook")
        assert sorted(v["case_id"] for v in record) == sorted(set(scams) - {contested})
        assert svc.get_case(contested)["status"] == "overturned"
    fb = {p["platform"]: p for p in json.loads(ok("notices", "compliance", "--json", *db))}["facebook"]
    assert (fb["requests"], fb["complied"], fb["declined"], fb["pending"]) == (2, 1, 1, 0)
    assert fb["compliance_rate"] == 0.5

    # statements of reasons: valid DSA statements for the two confirmed cases, letters in both languages
    ok("export", "statements", "--format", "dsa", "--out", str(tmp_path / "sor.json"), "--lang", "vi", *db)
    statements = json.loads((tmp_path / "sor.json").read_text(encoding="utf-8"))["statements"]
    assert len(statements) == 2 and all(validate_dsa(s) == [] for s in statements)
    assert all(s["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT" for s in statements)
    letters_vi = (tmp_path / "sor.json.letters.vi.md").read_text(encoding="utf-8")
    assert "Quyết định được hủy bỏ" in letters_vi and "Lừa đảo, gian lận" in letters_vi
    ok("export", "statements", "--format", "dsa", "--out", str(tmp_path / "sor.json"), "--lang", "en", *db)
    assert "The decision is overturned" in (tmp_path / "sor.json.letters.en.md").read_text(encoding="utf-8")

    # every state change is in the audit log, with who and why
    entries = [json.loads(line) for line in ok("audit", "log", *db).splitlines()]
    actions = [e["action"] for e in entries]
    assert actions.count("case.open") == 4
    assert actions.count("case.confirm") == 6
    assert actions.count("notice.create") == 1
    assert actions.count("notice_item.update") == 4 + 2  # four answers, two withdrawals
    assert {"appeal.file", "appeal.overturn", "case.overturn"} <= set(actions)
    assert all(e["actor"] and e["reason"] for e in entries)
    assert "intact" in ok("audit", "verify", *db)

    # one tampered row: verify fails and names it
    victim = next(e["seq"] for e in entries if e["action"] == "case.confirm")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET reason = 'nothing happened' WHERE seq = :s"), {"s": victim})
    engine.dispose()
    res = run_cli("audit", "verify", *db)
    assert res.returncode == 1
    assert f"entry {victim}" in res.stderr and "changed" in res.stderr
