"""Statements of reasons: a record for every decision, DSA Transparency Database statements for
the restrictions it asks for, a validator for them, and readable letters in Vietnamese and English.

Pinned schema: the DSA Transparency Database statement-of-reasons API v1 as validated by the
database's own `StatementsStoreRequest` (2025 taxonomy: content_date, category_specification,
end_date_*_restriction, categories such as STATEMENT_CATEGORY_CONSUMER_INFORMATION). The validator
below is written from those published field rules: required fields, enumerations, lengths, date
formats and bounds, the conditional ground fields, and "*_OTHER needs its *_other text".
One rule is stricter than the database: KEYWORD_OTHER must come with category_specification_other.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from ..policy import LoadedPack

SCHEMA = "DSA Transparency Database statement of reasons, API v1 (2025 taxonomy)"

DECISION_GROUNDS = {"DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"}
CONTENT_TYPES = {
    "CONTENT_TYPE_APP", "CONTENT_TYPE_AUDIO", "CONTENT_TYPE_IMAGE", "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA", "CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO", "CONTENT_TYPE_OTHER",
}
CATEGORIES = {
    "STATEMENT_CATEGORY_ANIMAL_WELFARE", "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE", "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", "STATEMENT_CATEGORY_VIOLENCE",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
}
KEYWORDS = {
    "KEYWORD_ANIMAL_HARM", "KEYWORD_UNLAWFUL_SALE_ANIMALS", "KEYWORD_OTHER", "KEYWORD_HIDDEN_ADVERTISEMENT",
    "KEYWORD_INSUFFICIENT_INFORMATION_ON_TRADERS", "KEYWORD_MISLEADING_INFO_GOODS_SERVICES",
    "KEYWORD_MISLEADING_INFO_CONSUMER_RIGHTS", "KEYWORD_NONCOMPLIANCE_PRICING", "KEYWORD_CYBER_BULLYING_INTIMIDATION",
    "KEYWORD_CYBER_HARASSMENT", "KEYWORD_CYBER_INCITEMENT", "KEYWORD_CYBER_STALKING",
    "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING", "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE", "KEYWORD_BULLYING_AGAINST_GIRLS",
    "KEYWORD_CYBER_HARASSMENT_AGAINST_WOMEN", "KEYWORD_CYBER_STALKING_AGAINST_WOMEN",
    "KEYWORD_FEMALE_GENDERED_DISINFORMATION", "KEYWORD_INCITEMENT_AGAINST_WOMEN",
    "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN", "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN",
    "KEYWORD_BIOMETRIC_DATA_BREACH", "KEYWORD_DATA_FALSIFICATION", "KEYWORD_MISSING_PROCESSING_GROUND",
    "KEYWORD_RIGHT_TO_BE_FORGOTTEN", "KEYWORD_DEFAMATION", "KEYWORD_DISCRIMINATION", "KEYWORD_HATE_SPEECH",
    "KEYWORD_COPYRIGHT_INFRINGEMENT", "KEYWORD_DESIGN_INFRINGEMENT", "KEYWORD_GEOGRAPHIC_INDICATIONS_INFRINGEMENT",
    "KEYWORD_PATENT_INFRINGEMENT", "KEYWORD_TRADE_SECRET_INFRINGEMENT", "KEYWORD_TRADEMARK_INFRINGEMENT",
    "KEYWORD_MISINFORMATION_DISINFORMATION", "KEYWORD_VIOLATION_EU_LAW", "KEYWORD_VIOLATION_NATIONAL_LAW",
    "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS", "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE", "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS",
    "KEYWORD_UNSAFE_CHALLENGES", "KEYWORD_ILLEGAL_ORGANIZATIONS", "KEYWORD_RISK_ENVIRONMENTAL_DAMAGE",
    "KEYWORD_RISK_PUBLIC_HEALTH", "KEYWORD_TERRORIST_CONTENT", "KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING",
    "KEYWORD_INAUTHENTIC_ACCOUNTS", "KEYWORD_INAUTHENTIC_LISTINGS", "KEYWORD_INAUTHENTIC_USER_REVIEWS",
    "KEYWORD_PHISHING", "KEYWORD_PYRAMID_SCHEMES", "KEYWORD_CONTENT_PROMOTING_EATING_DISORDERS",
    "KEYWORD_SELF_MUTILATION", "KEYWORD_SUICIDE", "KEYWORD_PROHIBITED_PRODUCTS", "KEYWORD_UNSAFE_PRODUCTS",
    "KEYWORD_COORDINATED_HARM", "KEYWORD_INCITEMENT_VIOLENCE_HATRED", "KEYWORD_HUMAN_EXPLOITATION",
    "KEYWORD_HUMAN_TRAFFICKING", "KEYWORD_TRAFFICKING_WOMEN_GIRLS", "KEYWORD_ADULT_SEXUAL_MATERIAL",
    "KEYWORD_AGE_SPECIFIC_RESTRICTIONS", "KEYWORD_GEOGRAPHICAL_REQUIREMENTS", "KEYWORD_GOODS_SERVICES_NOT_PERMITTED",
    "KEYWORD_LANGUAGE_REQUIREMENTS", "KEYWORD_NUDITY",
}
DECISION_VISIBILITIES = {
    "DECISION_VISIBILITY_CONTENT_REMOVED", "DECISION_VISIBILITY_CONTENT_DISABLED", "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED", "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED", "DECISION_VISIBILITY_OTHER",
}
DECISION_MONETARIES = {"DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION", "DECISION_MONETARY_OTHER"}
DECISION_PROVISIONS = {
    "DECISION_PROVISION_PARTIAL_SUSPENSION", "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION", "DECISION_PROVISION_TOTAL_TERMINATION",
}
DECISION_ACCOUNTS = {"DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"}
ACCOUNT_TYPES = {"ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"}
SOURCE_TYPES = {"SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER", "SOURCE_TYPE_OTHER_NOTIFICATION", "SOURCE_VOLUNTARY"}
AUTOMATED_DETECTIONS = {"Yes", "No"}
AUTOMATED_DECISIONS = {"AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED"}
INCOMPATIBLE_CONTENT_ILLEGALS = {"Yes", "No"}
EU_COUNTRIES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
    "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO",
}
PUID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
END_DATES = ("end_date_account_restriction", "end_date_monetary_restriction", "end_date_service_restriction",
             "end_date_visibility_restriction")
ALLOWED = {
    "decision_visibility", "decision_visibility_other", "decision_monetary", "decision_monetary_other",
    "decision_provision", "decision_account", "account_type", "category_specification",
    "category_specification_other", "decision_ground", "decision_ground_reference_url",
    "illegal_content_legal_ground", "illegal_content_explanation", "incompatible_content_ground",
    "incompatible_content_explanation", "incompatible_content_illegal", "content_type", "content_type_other",
    "category", "category_addition", "territorial_scope", "content_language", "content_date", "application_date",
    *END_DATES, "decision_facts", "source_type", "source_identity", "automated_detection", "automated_decision",
    "puid",
}
MAX_LEN = {
    "decision_visibility_other": 500, "decision_monetary_other": 500, "category_specification_other": 500,
    "decision_ground_reference_url": 500, "illegal_content_legal_ground": 500, "illegal_content_explanation": 2000,
    "incompatible_content_ground": 500, "incompatible_content_explanation": 2000, "content_type_other": 500,
    "decision_facts": 5000, "source_identity": 500, "puid": 500,
}


def validate_dsa(st: Any) -> list[str]:
    """Every way `st` breaks the published statement rules, as `field: problem` lines ([] = valid)."""
    if not isinstance(st, dict):
        return ["(statement): must be a JSON object"]
    errs: list[str] = []

    def present(k: str) -> bool:
        v = st.get(k)
        return v is not None and v != "" and v != []

    for k in sorted(set(st) - ALLOWED):
        errs.append(f"{k}: not a field of the statement schema")
    for k in ("decision_ground", "content_type", "category", "content_date", "application_date", "decision_facts",
              "source_type", "automated_detection", "automated_decision", "puid"):
        if not present(k):
            errs.append(f"{k}: required")

    def one_of(k: str, allowed: set[str]) -> None:
        if present(k) and st[k] not in allowed:
            errs.append(f"{k}: {st[k]!r} is not one of the allowed values")

    def list_of(k: str, allowed: set[str]) -> None:
        if k not in st or st[k] is None:
            return
        v = st[k]
        if not isinstance(v, list):
            errs.append(f"{k}: must be a list")
            return
        for x in v:
            if x not in allowed:
                errs.append(f"{k}: {x!r} is not one of the allowed values")

    one_of("decision_ground", DECISION_GROUNDS)
    one_of("category", CATEGORIES)
    one_of("source_type", SOURCE_TYPES)
    one_of("automated_detection", AUTOMATED_DETECTIONS)
    one_of("automated_decision", AUTOMATED_DECISIONS)
    one_of("decision_monetary", DECISION_MONETARIES)
    one_of("decision_provision", DECISION_PROVISIONS)
    one_of("decision_account", DECISION_ACCOUNTS)
    one_of("account_type", ACCOUNT_TYPES)
    one_of("incompatible_content_illegal", INCOMPATIBLE_CONTENT_ILLEGALS)
    list_of("decision_visibility", DECISION_VISIBILITIES)
    list_of("content_type", CONTENT_TYPES)
    list_of("category_specification", KEYWORDS)
    list_of("category_addition", CATEGORIES)
    list_of("territorial_scope", EU_COUNTRIES)
    for k, n in MAX_LEN.items():
        if present(k) and not isinstance(st[k], str):
            errs.append(f"{k}: must be text")
        elif present(k) and len(st[k]) > n:
            errs.append(f"{k}: {len(st[k])} characters, more than the {n} allowed")
    if present("puid") and isinstance(st["puid"], str) and not PUID.match(st["puid"]):
        errs.append("puid: only letters, digits, '-' and '_' are allowed")
    if not any(present(k) for k in ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")):
        errs.append("decision_visibility: at least one of decision_visibility, decision_monetary, decision_provision "
                    "or decision_account is required")
    # conditional ground fields: required with their ground, and left out with the other one
    ground = st.get("decision_ground")
    illegal = ("illegal_content_legal_ground", "illegal_content_explanation")
    incompatible = ("incompatible_content_ground", "incompatible_content_explanation")
    if ground == "DECISION_GROUND_ILLEGAL_CONTENT":
        errs += [f"{k}: required when decision_ground is DECISION_GROUND_ILLEGAL_CONTENT" for k in illegal if not present(k)]
        errs += [f"{k}: must be left out when the content is judged illegal" for k in (*incompatible, "incompatible_content_illegal") if k in st]
    elif ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT":
        errs += [f"{k}: required when decision_ground is DECISION_GROUND_INCOMPATIBLE_CONTENT" for k in incompatible if not present(k)]
        errs += [f"{k}: must be left out when the content is judged incompatible" for k in illegal if k in st]
    # *_OTHER choices need their text
    if isinstance(st.get("decision_visibility"), list) and "DECISION_VISIBILITY_OTHER" in st["decision_visibility"] \
            and not present("decision_visibility_other"):
        errs.append("decision_visibility_other: required when decision_visibility includes DECISION_VISIBILITY_OTHER")
    if st.get("decision_monetary") == "DECISION_MONETARY_OTHER" and not present("decision_monetary_other"):
        errs.append("decision_monetary_other: required when decision_monetary is DECISION_MONETARY_OTHER")
    if isinstance(st.get("content_type"), list) and "CONTENT_TYPE_OTHER" in st["content_type"] \
            and not present("content_type_other"):
        errs.append("content_type_other: required when content_type includes CONTENT_TYPE_OTHER")
    if isinstance(st.get("category_specification"), list) and "KEYWORD_OTHER" in st["category_specification"] \
            and not present("category_specification_other"):
        errs.append("category_specification_other: required when category_specification includes KEYWORD_OTHER")
    if st.get("source_type") == "SOURCE_VOLUNTARY" and present("source_identity"):
        errs.append("source_identity: must be left out for voluntary (own-initiative) detection")
    # dates
    bounds = {"content_date": date(2000, 1, 1), "application_date": date(2020, 1, 1)}
    parsed: dict[str, date] = {}
    for k in ("content_date", "application_date", *END_DATES):
        if not present(k):
            continue
        v = st[k]
        if not isinstance(v, str) or not DATE.match(v):
            errs.append(f"{k}: {v!r} is not a date written YYYY-MM-DD")
            continue
        try:
            d = date.fromisoformat(v)
        except ValueError:
            errs.append(f"{k}: {v!r} is not a real date")
            continue
        parsed[k] = d
        if k in bounds and d < bounds[k]:
            errs.append(f"{k}: {v} is before {bounds[k].isoformat()}")
        if d > date(2038, 1, 1):
            errs.append(f"{k}: {v} is after 2038-01-01")
    if "content_date" in parsed and "application_date" in parsed and parsed["application_date"] < parsed["content_date"]:
        errs.append("application_date: before content_date (a decision cannot precede the content)")
    return errs


# -- the stored record of a decision -------------------------------------------------------------


def decision_statement(
    pack: LoadedPack, case: Any, items: list[dict[str, Any]], outcome: str, category: str, reason: str,
    reviewers: list[str], decided_at: datetime, final: bool, appeal: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What was decided, on which criterion, on what evidence, by whom and why: the source of the
    DSA statement and of the letters. Kept with the decision, so later pack edits cannot change it."""
    p = pack.pack
    return {
        "case_id": case["id"], "decision": outcome, "final": final, "category": category,
        "title": p.title, "title_vi": p.title_vi or p.title, "criterion": p.criterion.strip(),
        "criterion_vi": (p.criterion_vi or p.criterion).strip(), "pack_version": p.version,
        "reason": reason, "reviewers": reviewers, "decided_at": decided_at.isoformat(),
        "decision_ground": p.dsa.decision_ground, "legal_ground": (p.dsa.legal_ground or "").strip() or None,
        "dsa_category": p.dsa.category, "keywords": list(p.dsa.keywords),
        "posts": [
            {"platform": it["platform"], "post_id": it["post_id"], "url": it["url"], "created_at": it["created_at"],
             "evidence": [{"excerpt": e["excerpt"], "explanation": e["explanation"], "source": e["source"]}
                          for e in it["evidence"]][:20]}
            for it in items
        ],
        "appeal": ({"id": appeal["id"], "appellant": appeal["appellant"], "grounds": appeal["grounds"]} if appeal else None),
    }


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _day(value: str | None, fallback: str) -> str:
    if value:
        try:
            return datetime.fromisoformat(str(value)).date().isoformat()
        except ValueError:
            pass
    return fallback


def puid_for(case_id: int, platform: str, post_id: str) -> str:
    return _clip(re.sub(r"[^A-Za-z0-9_-]+", "-", f"tw-{case_id}-{platform}-{post_id}").strip("-"), 500)


def dsa_statements(record: dict[str, Any], content_types: dict[str, list[str]],
                   source_type: str = "SOURCE_VOLUNTARY") -> list[dict[str, Any]]:
    """One DSA statement per post of a confirmed case, mapped from the decision record and its pack."""
    out = []
    application = record["decided_at"][:10]
    for post in record["posts"]:
        evidence = "; ".join(f"“{e['excerpt']}” ({e['source']})" for e in post["evidence"][:10])
        facts = (f"Post {post['platform']}/{post['post_id']} was flagged automatically against the published criterion "
                 f"“{record['title']}” (policy {record['category']} v{record['pack_version']}). Evidence: "
                 f"{evidence or 'see the case file'}. Reviewed by {len(record['reviewers'])} person(s), who confirmed "
                 f"it: {record['reason']}")
        explanation = _clip(f"{record['criterion']} Reviewer's reason: {record['reason']}", 2000)
        st: dict[str, Any] = {
            "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
            "decision_ground": record["decision_ground"],
            "category": record["dsa_category"],
            "content_type": content_types.get(post["post_id"]) or ["CONTENT_TYPE_TEXT"],
            "content_date": _day(post.get("created_at"), application),
            "application_date": application,
            "decision_facts": _clip(facts, 5000),
            "source_type": source_type,
            "automated_detection": "Yes",
            "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
            "puid": puid_for(record["case_id"], post["platform"], post["post_id"]),
        }
        if record["keywords"]:
            st["category_specification"] = list(record["keywords"])
            if "KEYWORD_OTHER" in record["keywords"]:
                st["category_specification_other"] = _clip(record["title"], 500)
        if record["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT":
            st["illegal_content_legal_ground"] = _clip(record["legal_ground"] or record["title"], 500)
            st["illegal_content_explanation"] = explanation
        else:
            st["incompatible_content_ground"] = _clip(
                f"trustwatch policy {record['category']} v{record['pack_version']}: {record['title']}", 500)
            st["incompatible_content_explanation"] = explanation
            st["incompatible_content_illegal"] = "Yes" if record["legal_ground"] else "No"
        st["content_date"] = min(st["content_date"], st["application_date"])
        out.append(st)
    return out


# -- letters ---------------------------------------------------------------------------------------

_TEXT = {
    "en": {
        "subject": "Statement of reasons — case {case_id}",
        "confirm": "After review, we found that the content below breaks our published criterion “{title}”. "
                   "We are asking the platform to remove it.",
        "dismiss": "After review, we found that the content below does not break our published criterion “{title}”. "
                   "No action is requested.",
        "uphold": "Your appeal ({appellant}) was reviewed by a person who took no part in the first decision. "
                  "The decision that the content breaks “{title}” is upheld.",
        "overturn": "Your appeal ({appellant}) was reviewed by a person who took no part in the first decision. "
                    "The decision is overturned: the content does not break “{title}”. Requests made to the platform "
                    "about it are withdrawn and it no longer counts against the account.",
        "criterion": "The criterion", "content": "The content", "evidence": "What was found",
        "reason": "The reviewer's reason", "legal": "Legal ground", "decided": "Decided on {date} by {n} reviewer(s); "
        "the content was first flagged by automated detection and decided by a person.",
        "appeal": "You may appeal this decision within 6 months: reply to this letter or ask the operator to run "
                  "`trustwatch appeals open {case_id} --by creator --grounds \"...\"`.",
        "final_note": "This decision is not final yet: a second, independent reviewer must agree.",
    },
    "vi": {
        "subject": "Thông báo lý do quyết định — hồ sơ {case_id}",
        "confirm": "Sau khi xem xét, chúng tôi xác định nội dung dưới đây vi phạm tiêu chí đã công bố “{title}”. "
                   "Chúng tôi đề nghị nền tảng gỡ bỏ nội dung này.",
        "dismiss": "Sau khi xem xét, chúng tôi xác định nội dung dưới đây không vi phạm tiêu chí đã công bố “{title}”. "
                   "Không có yêu cầu xử lý nào.",
        "uphold": "Khiếu nại của bạn ({appellant}) đã được một người không tham gia quyết định ban đầu xem xét lại. "
                  "Quyết định rằng nội dung vi phạm “{title}” được giữ nguyên.",
        "overturn": "Khiếu nại của bạn ({appellant}) đã được một người không tham gia quyết định ban đầu xem xét lại. "
                    "Quyết định được hủy bỏ: nội dung không vi phạm “{title}”. Các yêu cầu đã gửi nền tảng về nội dung "
                    "này được rút lại và không còn tính vào hồ sơ của tài khoản.",
        "criterion": "Tiêu chí", "content": "Nội dung", "evidence": "Những gì được phát hiện",
        "reason": "Lý do của người xem xét", "legal": "Căn cứ pháp lý",
        "decided": "Quyết định ngày {date} bởi {n} người xem xét; nội dung được hệ thống tự động gắn cờ và do con "
                   "người quyết định.",
        "appeal": "Bạn có thể khiếu nại quyết định này trong vòng 6 tháng: trả lời thư này hoặc đề nghị đơn vị vận hành "
                  "chạy `trustwatch appeals open {case_id} --by creator --grounds \"...\"`.",
        "final_note": "Quyết định này chưa phải cuối cùng: cần một người xem xét độc lập thứ hai đồng ý.",
    },
}

_APPELLANT = {"en": {"creator": "creator", "platform": "platform"}, "vi": {"creator": "người sáng tạo", "platform": "nền tảng"}}


def render_letter(record: dict[str, Any], lang: str = "en") -> str:
    """A readable statement of reasons for one decision, in Vietnamese or English (Markdown)."""
    if lang not in _TEXT:
        from ..errors import TrustwatchError

        raise TrustwatchError(f"Unknown letter language {lang!r}.", "Use --lang vi or --lang en.")
    t = _TEXT[lang]
    title = record["title_vi"] if lang == "vi" else record["title"]
    criterion = record["criterion_vi"] if lang == "vi" else record["criterion"]
    appellant = _APPELLANT[lang].get((record.get("appeal") or {}).get("appellant", ""), "")
    lines = [f"# {t['subject'].format(case_id=record['case_id'])}", ""]
    lines.append(t[record["decision"]].format(title=title, appellant=appellant))
    if not record.get("final", True):
        lines += ["", f"_{t['final_note']}_"]
    lines += ["", f"**{t['criterion']}** ({record['category']} v{record['pack_version']}): {criterion}", ""]
    for post in record["posts"]:
        lines.append(f"**{t['content']}**: {post['platform']}/{post['post_id']}" + (f" — {post['url']}" if post["url"] else ""))
        if post["evidence"]:
            lines.append(f"{t['evidence']}:")
            lines += [f"- “{e['excerpt']}” — {e['explanation']}" for e in post["evidence"][:10]]
        lines.append("")
    lines.append(f"**{t['reason']}**: {record['reason']}")
    if record.get("legal_ground"):
        lines.append(f"**{t['legal']}**: {record['legal_ground']}")
    lines += ["", t["decided"].format(date=record["decided_at"][:10], n=len(record["reviewers"]))]
    if record["decision"] in ("confirm", "uphold"):
        lines += ["", t["appeal"].format(case_id=record["case_id"])]
    return "\n".join(lines) + "\n"


# -- export ----------------------------------------------------------------------------------------


def export_statements(svc: Any, out: str, lang: str = "en", source_type: str = "SOURCE_VOLUNTARY") -> dict[str, Any]:
    """Write `{"statements": [...]}` (the shape the database's bulk endpoint takes) for every
    confirmed case, each statement checked by `validate_dsa`, and every decision's letter beside it
    (`<out>.letters.<lang>.md`). Overturned cases are left out: the restriction no longer stands."""
    import orjson
    from sqlalchemy import select

    from ..errors import TrustwatchError
    from ..store.schema import MediaRow
    from .service import cases_t, decisions_t, items_t

    if source_type not in SOURCE_TYPES:
        raise TrustwatchError(f"Unknown source type {source_type!r}.", f"Use one of {sorted(SOURCE_TYPES)}.")
    render_letter({"case_id": 0, "decision": "dismiss", "title": "", "title_vi": "", "criterion": "", "criterion_vi": "",
                   "category": "", "pack_version": 0, "posts": [], "reason": "", "reviewers": [], "decided_at": "0000"},
                  lang)  # fail on a bad language before writing anything
    media_t = MediaRow.__table__
    statements: list[dict[str, Any]] = []
    letters: list[str] = []
    with svc.read("read decisions") as conn:
        decisions = conn.execute(
            select(decisions_t.c.statement, decisions_t.c.outcome, decisions_t.c.case_pk, cases_t.c.status)
            .join(cases_t, cases_t.c.id == decisions_t.c.case_pk).order_by(decisions_t.c.case_pk, decisions_t.c.id)
        ).all()
        kinds: dict[int, list[str]] = {}
        for pv, typ in conn.execute(
            select(items_t.c.post_version_pk, media_t.c.type).join(media_t, media_t.c.post_version_pk == items_t.c.post_version_pk)
        ):
            kinds.setdefault(pv, []).append(typ)
        pv_of = {(r.platform, r.post_id): r.post_version_pk for r in conn.execute(
            select(items_t.c.platform, items_t.c.post_id, items_t.c.post_version_pk))}
    for d in decisions:
        record = d.statement
        letters.append(render_letter(record, lang))
        if d.status == "confirmed" and d.outcome == "confirm" and record.get("final"):
            types: dict[str, list[str]] = {}
            for post in record["posts"]:
                media = kinds.get(pv_of.get((post["platform"], post["post_id"]), -1), [])
                ct = ["CONTENT_TYPE_TEXT"] + [f"CONTENT_TYPE_{m.upper()}" for m in dict.fromkeys(media)
                                              if f"CONTENT_TYPE_{m.upper()}" in CONTENT_TYPES]
                types[post["post_id"]] = ct
            for st in dsa_statements(record, types, source_type):
                problems = validate_dsa(st)
                if problems:
                    raise TrustwatchError(f"The statement for case {record['case_id']} breaks the DSA schema: "
                                          + "; ".join(problems), "Fix the pack's dsa: fields (trustwatch policy check).")
                statements.append(st)
    with open(out, "wb") as f:
        f.write(orjson.dumps({"statements": statements}, option=orjson.OPT_INDENT_2))
    letters_path = f"{out}.letters.{lang}.md"
    with open(letters_path, "w", encoding="utf-8") as f:
        f.write("\n---\n\n".join(letters))
    return {"statements": len(statements), "letters": len(letters), "out": out, "letters_file": letters_path}
