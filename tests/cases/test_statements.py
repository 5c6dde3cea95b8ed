"""The DSA statement validator against the published field rules, the mapping from every shipped
pack, and the letters in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from trustwatch.cases.statements import dsa_statements, render_letter, validate_dsa
from trustwatch.policy import load_packs

VALID: dict[str, Any] = {
    "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
    "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
    "illegal_content_legal_ground": "Điều 174 Bộ luật Hình sự 2015",
    "illegal_content_explanation": "Asks for a deposit before a promised job.",
    "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "category_specification": ["KEYWORD_PHISHING"],
    "content_type": ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_IMAGE"],
    "content_date": "2026-10-01",
    "application_date": "2026-11-26",
    "decision_facts": "Flagged by lexicon signals; confirmed by two reviewers.",
    "source_type": "SOURCE_VOLUNTARY",
    "automated_detection": "Yes",
    "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
    "puid": "tw-1-facebook-fb-100006",
}


def with_(**changes: Any) -> dict[str, Any]:
    out = dict(VALID)
    for k, v in changes.items():
        if v is ...:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def test_the_reference_statement_is_valid() -> None:
    assert validate_dsa(VALID) == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (with_(decision_ground=...), "decision_ground: required"),
        (with_(content_type=...), "content_type: required"),
        (with_(category=...), "category: required"),
        (with_(content_date=...), "content_date: required"),
        (with_(application_date=...), "application_date: required"),
        (with_(decision_facts=""), "decision_facts: required"),
        (with_(source_type=...), "source_type: required"),
        (with_(automated_detection=...), "automated_detection: required"),
        (with_(automated_decision=...), "automated_decision: required"),
        (with_(puid=...), "puid: required"),
        (with_(decision_visibility=...), "at least one of decision_visibility"),
        (with_(decision_ground="DECISION_GROUND_BAD"), "decision_ground: 'DECISION_GROUND_BAD' is not one"),
        (with_(category="STATEMENT_CATEGORY_SCAMS"), "category: 'STATEMENT_CATEGORY_SCAMS' is not one"),
        (with_(content_type=["CONTENT_TYPE_GIF"]), "content_type: 'CONTENT_TYPE_GIF'"),
        (with_(content_type="CONTENT_TYPE_TEXT"), "content_type: must be a list"),
        (with_(category_specification=["KEYWORD_SCAM"]), "category_specification: 'KEYWORD_SCAM'"),
        (with_(automated_detection="yes"), "automated_detection: 'yes'"),
        (with_(automated_decision="AUTOMATED_DECISION_NO"), "automated_decision: 'AUTOMATED_DECISION_NO'"),
        (with_(source_type="SOURCE_POLICE"), "source_type: 'SOURCE_POLICE'"),
        (with_(decision_account="DECISION_ACCOUNT_BANNED"), "decision_account: 'DECISION_ACCOUNT_BANNED'"),
        (with_(territorial_scope=["VN"]), "territorial_scope: 'VN'"),
        (with_(illegal_content_legal_ground=...), "illegal_content_legal_ground: required when"),
        (with_(illegal_content_explanation=...), "illegal_content_explanation: required when"),
        (with_(incompatible_content_ground="ToS 4.2"), "incompatible_content_ground: must be left out"),
        (with_(decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT"), "incompatible_content_ground: required when"),
        (with_(decision_visibility=["DECISION_VISIBILITY_OTHER"]), "decision_visibility_other: required"),
        (with_(decision_monetary="DECISION_MONETARY_OTHER"), "decision_monetary_other: required"),
        (with_(content_type=["CONTENT_TYPE_OTHER"]), "content_type_other: required"),
        (with_(category_specification=["KEYWORD_OTHER"]), "category_specification_other: required"),
        (with_(source_identity="Trusted Flagger X"), "source_identity: must be left out"),
        (with_(decision_facts="x" * 5001), "decision_facts: 5001 characters"),
        (with_(illegal_content_explanation="x" * 2001), "illegal_content_explanation: 2001 characters"),
        (with_(illegal_content_legal_ground="x" * 501), "illegal_content_legal_ground: 501 characters"),
        (with_(puid="tw 1/fb:2"), "puid: only letters"),
        (with_(puid="x" * 501), "puid: 501 characters"),
        (with_(content_date="01/10/2026"), "content_date: '01/10/2026' is not a date"),
        (with_(application_date="2026-02-30"), "application_date: '2026-02-30' is not a real date"),
        (with_(application_date="2019-12-31", content_date="2019-01-01"), "application_date: 2019-12-31 is before"),
        (with_(content_date="1999-12-31"), "content_date: 1999-12-31 is before 2000-01-01"),
        (with_(end_date_visibility_restriction="2040-01-01"), "end_date_visibility_restriction: 2040-01-01 is after"),
        (with_(application_date="2026-09-01"), "application_date: before content_date"),
        (with_(platform_name="facebook"), "platform_name: not a field"),
    ],
)
def test_each_rule_is_enforced(statement: dict[str, Any], expected: str) -> None:
    problems = validate_dsa(statement)
    assert any(expected in p for p in problems), problems


def test_a_non_object_is_refused() -> None:
    assert validate_dsa(["not", "a", "statement"]) == ["(statement): must be a JSON object"]


def record_for(pack_id: str, decision: str = "confirm") -> dict[str, Any]:
    p = next(x for x in load_packs() if x.id == pack_id).pack
    return {
        "case_id": 7, "decision": decision, "final": True, "category": pack_id, "title": p.title,
        "title_vi": p.title_vi, "criterion": p.criterion.strip(), "criterion_vi": p.criterion_vi.strip(),
        "pack_version": p.version, "reason": "Two reviewers agree: a price and a contact for the service.",
        "reviewers": ["lan", "minh"], "decided_at": "2026-11-26T10:00:00+00:00",
        "decision_ground": p.dsa.decision_ground, "legal_ground": p.dsa.legal_ground, "dsa_category": p.dsa.category,
        "keywords": list(p.dsa.keywords),
        "posts": [{"platform": "facebook", "post_id": "fb:1/2 x", "url": "https://facebook.com/1",
                   "created_at": "2026-10-01T07:00:00+07:00",
                   "evidence": [{"excerpt": "giải hạn", "explanation": "term …", "source": "text"}]}],
        "appeal": None,
    }


@pytest.mark.parametrize("pack_id", [p.id for p in load_packs()])
def test_every_shipped_pack_maps_to_a_valid_statement(pack_id: str) -> None:
    for source in ("SOURCE_VOLUNTARY", "SOURCE_TRUSTED_FLAGGER"):
        [st] = dsa_statements(record_for(pack_id), {"fb:1/2 x": ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO"]}, source)
        assert validate_dsa(st) == [], st
        assert st["puid"] == "tw-7-facebook-fb-1-2-x"
        assert st["content_date"] == "2026-10-01" and st["application_date"] == "2026-11-26"


def test_letters_in_both_languages() -> None:
    rec = record_for("superstition_service")
    vi, en = render_letter(rec, "vi"), render_letter(rec, "en")
    assert "vi phạm tiêu chí đã công bố" in vi and "Dịch vụ mê tín" in vi and "khiếu nại" in vi
    assert "breaks our published criterion" in en and "appeal" in en
    assert "giải hạn" in vi and "giải hạn" in en  # the evidence is quoted as found
    over = render_letter(dict(rec, decision="overturn", appeal={"id": 1, "appellant": "creator", "grounds": "x"}), "vi")
    assert "Quyết định được hủy bỏ" in over and "người sáng tạo" in over
