"""The case service on real SQLite files and a real PostgreSQL server: reasons, locking between
two real sessions, the audit chain under edit/delete/reorder/truncation, clusters, notices seen
again after their deadline, appeals and labeled-data export."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from helpers import write_jsonl
from trustwatch.cases import CaseService, ConflictError, audit
from trustwatch.errors import TrustwatchError
from trustwatch.pipeline import run_scan

from .conftest import REPEAT_AUTHOR, sample_posts


@pytest.fixture
def svc(db_url: str, posts_file: Path, tmp_path: Path) -> Any:
    run_scan([str(posts_file)], db=db_url, out=str(tmp_path / "r.jsonl"))
    s = CaseService.open(db_url)
    yield s
    s.close()


def scam_ids(svc: CaseService) -> list[int]:
    return sorted(c["id"] for c in svc.list_cases(category="scam"))


def confirm(svc: CaseService, case_id: int) -> None:
    svc.decide(case_id, "confirm", "lan", "Deposit-first task offer.", "scam")
    svc.decide(case_id, "confirm", "minh", "Guaranteed returns, contact off-platform.", "scam")


def audit_count(svc: CaseService) -> int:
    with svc.read("count") as conn:
        return len(audit.entries(conn))


def sql(db_url: str, *statements: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        for s in statements:
            conn.execute(text(s))
    engine.dispose()


# -- reasons ---------------------------------------------------------------------------------------


def test_no_state_change_without_a_reason(svc: CaseService, tmp_path: Path) -> None:
    svc.open_cases()
    cid = scam_ids(svc)[0]
    before = (audit_count(svc), svc.get_case(cid))
    attempts = [
        lambda: svc.decide(cid, "confirm", "lan", "", "scam"),
        lambda: svc.decide(cid, "dismiss", "lan", "   ", "scam"),
        lambda: svc.decide(cid, "confirm", "", "a reason", "scam"),
        lambda: svc.decide(cid, "confirm", "lan", "a reason", ""),
        lambda: svc.assign(cid, "lan", "lead", ""),
        lambda: svc.create_notice("facebook", "desk", " "),
    ]
    for attempt in attempts:
        with pytest.raises(TrustwatchError):
            attempt()
    assert (audit_count(svc), svc.get_case(cid)) == before
    confirm(svc, cid)
    with pytest.raises(TrustwatchError, match="without a reason"):
        svc.file_appeal(cid, "creator", "page:repeat", "")
    appeal = svc.file_appeal(cid, "creator", "page:repeat", "It was a warning.")
    with pytest.raises(TrustwatchError, match="without a reason"):
        svc.decide_appeal(appeal["id"], "overturn", "hoa", "")
    with pytest.raises(TrustwatchError, match="without a reason"):
        svc.record_response(1, "removed", "platform", "")


def test_category_and_outcome_are_checked(svc: CaseService) -> None:
    svc.open_cases()
    cid = scam_ids(svc)[0]
    with pytest.raises(TrustwatchError, match="no policy pack 'scams'"):
        svc.decide(cid, "confirm", "lan", "reason", "scams")
    with pytest.raises(TrustwatchError, match="Unknown outcome"):
        svc.decide(cid, "approve", "lan", "reason", "scam")


# -- optimistic locking ----------------------------------------------------------------------------


def test_two_concurrent_sessions_never_overwrite_each_other(svc: CaseService, db_url: str) -> None:
    """Two reviewers in two real sessions (own engines, own connections) decide the same case at
    the same moment from the same version: exactly one wins, the other gets a conflict."""
    svc.open_cases()
    cid = scam_ids(svc)[0]
    version = svc.get_case(cid)["version"]
    barrier = threading.Barrier(2, timeout=60)
    outcomes: dict[str, Any] = {}
    # Two services, two engines: two real database sessions. (Opened here, not in the threads:
    # Alembic's migration context is process-global and not meant to run twice at once.)
    sessions = {name: CaseService.open(db_url) for name in ("lan", "minh")}

    def reviewer(name: str, outcome: str) -> None:
        mine = sessions[name]
        mine.get_case(cid)  # each session reads the case first, like a reviewer's screen
        barrier.wait()
        try:
            mine.decide(cid, outcome, name, f"{name} looked at it", "scam", expected_version=version)
            outcomes[name] = "ok"
        except ConflictError as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=reviewer, args=a) for a in (("lan", "confirm"), ("minh", "dismiss"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in sessions.values():
        s.close()
    assert sorted(v == "ok" for v in outcomes.values()) == [False, True], outcomes
    case = svc.get_case(cid)
    assert case["version"] == version + 1 and len(case["decisions"]) == 1
    winner = next(k for k, v in outcomes.items() if v == "ok")
    assert case["decisions"][0]["reviewer"] == winner
    with svc.read("audit") as conn:
        decided = [e for e in audit.entries(conn, "case", cid) if e["action"].startswith("case.") and e["action"] != "case.open"]
        assert [e["actor"] for e in decided] == [winner]
        assert audit.verify(conn).ok


def test_concurrent_decisions_without_expected_version_serialize(svc: CaseService, db_url: str) -> None:
    """Without an expected version (the CLI default) both decisions land, one after the other,
    and the second sees the first: two different reviewers confirm, the case is confirmed."""
    svc.open_cases()
    cid = scam_ids(svc)[0]
    barrier = threading.Barrier(2, timeout=60)
    errors: list[BaseException] = []
    sessions = {name: CaseService.open(db_url) for name in ("lan", "minh")}

    def reviewer(name: str) -> None:
        mine = sessions[name]
        barrier.wait()
        for _ in range(5):
            try:
                mine.decide(cid, "confirm", name, f"{name}: fee-first offer", "scam")
                return
            except ConflictError:
                continue  # re-read and try again, as the hint says
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in ("lan", "minh")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in sessions.values():
        s.close()
    assert not errors
    case = svc.get_case(cid)
    assert case["status"] == "confirmed" and sorted(d["reviewer"] for d in case["decisions"]) == ["lan", "minh"]


def test_stale_version_is_refused(svc: CaseService) -> None:
    svc.open_cases()
    cid = scam_ids(svc)[0]
    v = svc.get_case(cid)["version"]
    svc.assign(cid, "lan", "lead", "scam queue", expected_version=v)
    with pytest.raises(ConflictError, match="not 1"):
        svc.decide(cid, "confirm", "minh", "reason", "scam", expected_version=v)


# -- the audit chain -------------------------------------------------------------------------------


@pytest.fixture
def audited(svc: CaseService) -> CaseService:
    svc.open_cases()
    for cid in scam_ids(svc)[:2]:
        svc.assign(cid, "lan", "lead", "scam queue")
        confirm(svc, cid)
    with svc.read("verify") as conn:
        res = audit.verify(conn)
    assert res.ok and res.entries >= 10
    return svc


def verify(svc: CaseService) -> audit.VerifyResult:
    with svc.read("verify") as conn:
        return audit.verify(conn)


def test_audit_detects_an_edit(audited: CaseService, db_url: str) -> None:
    sql(db_url, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 6")
    res = verify(audited)
    assert not res.ok and res.bad_seq == 6 and "changed" in res.problem


def test_audit_detects_an_edited_after_state(audited: CaseService, db_url: str) -> None:
    with audited.read("entries") as conn:
        seq = next(e["seq"] for e in audit.entries(conn) if (e["after"] or {}).get("status") == "confirmed")
    sql(db_url, f"""UPDATE audit_log SET "after" = REPLACE("after", 'confirmed', 'dismissed') WHERE seq = {seq}""")
    e = verify(audited)
    assert not e.ok and e.bad_seq == seq


def test_audit_detects_a_deletion(audited: CaseService, db_url: str) -> None:
    sql(db_url, "DELETE FROM audit_log WHERE seq = 4")
    res = verify(audited)
    assert not res.ok and res.bad_seq == 4 and "missing" in res.problem


def test_audit_detects_deletion_and_renumbering(audited: CaseService, db_url: str) -> None:
    sql(db_url, "DELETE FROM audit_log WHERE seq = 4", "UPDATE audit_log SET seq = seq - 1 WHERE seq > 4")
    res = verify(audited)
    assert not res.ok and res.bad_seq == 4 and "does not follow" in res.problem


def test_audit_detects_a_reordering(audited: CaseService, db_url: str) -> None:
    # swap the contents of entries 3 and 5 (keeping their sequence numbers)
    cols = ["at", "actor", "action", "entity", "entity_id", "reason", "before", "after", "prev_hash", "hash"]
    quoted = ", ".join(f'"{c}"' for c in cols)
    sql(db_url,
        f"CREATE TABLE tmp_swap AS SELECT seq, {quoted} FROM audit_log WHERE seq IN (3, 5)",
        "UPDATE audit_log SET " + ", ".join(
            f'"{c}" = (SELECT t."{c}" FROM tmp_swap t WHERE t.seq = 8 - audit_log.seq)' for c in cols)
        + " WHERE seq IN (3, 5)",
        "DROP TABLE tmp_swap")
    res = verify(audited)
    assert not res.ok and res.bad_seq == 3


def test_audit_detects_truncation(audited: CaseService, db_url: str) -> None:
    n = verify(audited).entries
    sql(db_url, f"DELETE FROM audit_log WHERE seq >= {n - 1}")
    res = verify(audited)
    assert not res.ok and res.bad_seq == n - 1 and "head" in res.problem


def test_audit_keeps_chaining_after_reopen(audited: CaseService, db_url: str) -> None:
    with CaseService.open(db_url) as other:
        other.assign(scam_ids(other)[2], "hoa", "lead", "rebalance")
    assert verify(audited).ok


# -- cases -----------------------------------------------------------------------------------------


def test_cases_follow_pack_actions_and_are_idempotent(svc: CaseService) -> None:
    opened = svc.open_cases()
    cases = svc.list_cases()
    assert len(opened) == len(cases) == 4
    assert "undisclosed_ad" not in {c["category"] for c in cases}  # action: label
    assert svc.open_cases() == []
    c = cases[0]
    assert c["posts"][0]["evidence"] and all(e["explanation"] for e in c["posts"][0]["evidence"])
    assert c["priority"] > 0 and c["required_reviews"] == 2


def test_a_cluster_key_groups_posts_into_one_case(db_url: str, tmp_path: Path) -> None:
    posts = sample_posts()
    run_scan([str(write_jsonl(tmp_path / "p.jsonl", posts))], db=db_url, out=str(tmp_path / "r.jsonl"))
    scam_posts = [p["id"] for p in posts[:3]]
    with CaseService.open(db_url) as s:
        s.open_cases(cluster_of=lambda platform, pid: "cluster-7" if pid in scam_posts else None)
        cases = s.list_cases(category="scam")
        assert len(cases) == 1 and sorted(p["post_id"] for p in cases[0]["posts"]) == sorted(scam_posts)
        with s.read("audit") as conn:
            assert [e["action"] for e in audit.entries(conn, "case", cases[0]["id"])] == [
                "case.open", "case.add_post", "case.add_post"]


def test_dismissal_needs_two_reviewers_and_labels_export(svc: CaseService) -> None:
    svc.open_cases()
    a, b, c = scam_ids(svc)
    confirm(svc, a)
    svc.decide(b, "dismiss", "lan", "A warning about the scheme.", "scam")
    assert svc.get_case(b)["status"] == "open"
    svc.decide(b, "dismiss", "minh", "Agreed: a warning.", "scam")
    assert svc.get_case(b)["status"] == "dismissed"
    # disagreement leaves the case open for a third reviewer
    svc.decide(c, "confirm", "lan", "offer", "scam")
    svc.decide(c, "dismiss", "minh", "warning", "scam")
    assert svc.get_case(c)["status"] == "open"
    svc.decide(c, "confirm", "hoa", "offer with a fee", "scam")
    assert svc.get_case(c)["status"] == "confirmed"
    rows = list(svc.labeled_decisions())
    assert {(r["case_id"], r["label"]) for r in rows} == {(a, "scam"), (b, "none"), (c, "scam")}
    assert all(r["text"] for r in rows) and next(r for r in rows if r["case_id"] == b)["labels"] == []


# -- notices, compliance, appeals ------------------------------------------------------------------


def test_a_later_scan_that_still_sees_the_post_marks_non_compliance(
    db_url: str, posts_file: Path, tmp_path: Path
) -> None:
    run_scan([str(posts_file)], db=db_url, out=str(tmp_path / "r1.jsonl"))
    with CaseService.open(db_url) as s:
        s.open_cases()
        ids = scam_ids(s)
        for cid in ids:
            confirm(s, cid)
        notice = s.create_notice("facebook", "desk", "confirmed scams", deadline_days=0)
        removal = [i for i in notice["items"] if i["request"] == "remove_content"]
        s.record_response(removal[0]["id"], "removed", "platform", "answer by email")
    # the scan runs after the deadline (0 days) and still sees two of the three posts
    still_there = [p for p in sample_posts() if p["id"] in {removal[0]["post_id"], removal[1]["post_id"]}]
    run_scan([str(write_jsonl(tmp_path / "later.jsonl", still_there))], db=db_url, out=str(tmp_path / "r2.jsonl"))
    with CaseService.open(db_url) as s:
        items = {i["post_id"]: i for i in s.get_notice(notice["id"])["items"] if i["post_id"]}
        assert items[removal[0]["post_id"]]["status"] == "not_complied"  # said removed, still there
        assert items[removal[1]["post_id"]]["status"] == "not_complied"
        assert items[removal[2]["post_id"]]["status"] == "pending"
        fb = s.compliance()[0]
        assert (fb["not_complied"], fb["complied"], fb["overdue"]) == (2, 0, 2)  # pending + account request
        with s.read("audit") as conn:
            marks = [e for e in audit.entries(conn, "notice_item") if e["after"]["status"] == "not_complied"]
            assert len(marks) == 2 and all("after the notice deadline" in e["reason"] for e in marks)
            assert audit.verify(conn).ok


def test_response_import_reports_bad_rows(svc: CaseService, tmp_path: Path) -> None:
    svc.open_cases()
    for cid in scam_ids(svc):
        confirm(svc, cid)
    notice = svc.create_notice("facebook", "desk", "confirmed scams")
    items = notice["items"]
    answered = {"items": [
        {"item_id": items[0]["id"], "response": "removed", "responded_at": "2026-12-01T10:00:00Z"},
        {"item_id": items[1]["id"], "response": "vanished"},
        {"item_id": "x", "response": "removed"},
        {"item_id": 99999, "response": "removed"},
        {"item_id": items[2]["id"], "response": "removed", "responded_at": "yesterday"},
        {"item_id": items[3]["id"], "response": ""},
    ]}
    path = tmp_path / "answered.json"
    path.write_text(json.dumps(answered), encoding="utf-8")
    res = svc.import_responses(str(path), "platform")
    assert res["applied"] == 1
    assert sorted(e["line"] for e in res["rejected"]) == [2, 3, 4, 5]
    assert any("vanished" in e["reason"] for e in res["rejected"])
    assert items[2]["request"] == "remove_content"
    with pytest.raises(TrustwatchError, match="does not answer a remove_content"):
        svc.record_response(items[2]["id"], "restricted", "platform", "wrong kind of answer")


def test_notice_needs_confirmed_cases_and_account_requests_follow_thresholds(svc: CaseService) -> None:
    svc.open_cases()
    with pytest.raises(TrustwatchError, match="No confirmed case"):
        svc.create_notice("facebook", "desk", "nothing yet")
    ids = scam_ids(svc)
    for cid in ids:
        confirm(svc, cid)
    n = svc.create_notice("facebook", "desk", "confirmed", restrict_at=2, close_at=3)
    assert sorted(i["request"] for i in n["items"]) == ["close_account"] + ["remove_content"] * 3
    assert svc.get_notice(n["id"])["deadline"] > n["created_at"]
    with pytest.raises(TrustwatchError, match="No confirmed case"):
        svc.create_notice("facebook", "desk", "again")  # nothing new to ask


def test_appeals_need_a_different_reviewer_and_overturn_clears_the_record(svc: CaseService) -> None:
    svc.open_cases()
    ids = scam_ids(svc)
    for cid in ids:
        confirm(svc, cid)
    assert len(svc.confirmed_violations(REPEAT_AUTHOR["id"])) == 3
    with pytest.raises(TrustwatchError, match="only a confirmed violation"):
        other = next(c["id"] for c in svc.list_cases() if c["status"] == "open")
        svc.file_appeal(other, "creator", "x", "not me")
    a = svc.file_appeal(ids[0], "platform", "facebook-trust", "Satire account, clearly labelled.")
    with pytest.raises(TrustwatchError, match="already has an open appeal"):
        svc.file_appeal(ids[0], "creator", "x", "me too")
    for insider in ("lan", "minh"):
        with pytest.raises(TrustwatchError, match="cannot decide its appeal"):
            svc.decide_appeal(a["id"], "overturn", insider, "I changed my mind")
    svc.decide_appeal(a["id"], "uphold", "hoa", "Not satire: a real deposit request.")
    assert len(svc.confirmed_violations(REPEAT_AUTHOR["id"])) == 3
    b = svc.file_appeal(ids[0], "creator", REPEAT_AUTHOR["id"], "New evidence: the link was a warning page.")
    svc.decide_appeal(b["id"], "overturn", "tuan", "The linked page warns against the scheme.")
    assert [v["case_id"] for v in svc.confirmed_violations(REPEAT_AUTHOR["id"])] == ids[1:]
    case = svc.get_case(ids[0])
    assert case["status"] == "overturned"
    assert [d["outcome"] for d in case["decisions"]] == ["confirm", "confirm", "uphold", "overturn"]
    assert case["decisions"][-1]["statement"]["decision"] == "overturn"
    with pytest.raises(TrustwatchError, match="already upheld"):
        svc.decide_appeal(a["id"], "overturn", "tuan", "again")


def test_clock_is_used_for_deadlines(db_url: str, posts_file: Path, tmp_path: Path) -> None:
    run_scan([str(posts_file)], db=db_url, out=str(tmp_path / "r.jsonl"))
    with CaseService.open(db_url) as s:
        s.open_cases()
        for cid in scam_ids(s):
            confirm(s, cid)
        s.create_notice("facebook", "desk", "confirmed", deadline_days=3)
        assert s.compliance()[0]["overdue"] == 0
        later = s.now() + timedelta(days=4)
        s._clock = lambda: later
        assert s.compliance()[0]["overdue"] == 4
