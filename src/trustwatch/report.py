"""A self-contained HTML report of one scan: counts, the criteria, and examples with evidence.

Post text is untrusted: it is escaped by Jinja2's autoescape and highlighted by splitting the
original text at the finding offsets, never by inserting markup into it.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from . import __version__
from .errors import TrustwatchError
from .policy import load_packs

LABELS = {
    "en": {
        "title": "trustwatch scan report", "scan": "Scan", "read": "records read", "ok": "results ok",
        "quarantined": "quarantined", "flagged": "flagged", "rate": "posts/s", "criterion": "Published criterion",
        "examples": "Examples", "none": "Nothing flagged in this category.", "score": "score",
        "evidence": "Evidence", "quarantine": "Quarantined records", "line": "line", "reason": "reason",
        "inputs": "Inputs", "packs": "Policy packs", "generated": "Generated", "severity": "severity",
        "action": "suggested action", "category": "category", "of": "of",
        "media": "In the post's media", "at": "at",
    },
    "vi": {
        "title": "Báo cáo quét trustwatch", "scan": "Lượt quét", "read": "bản ghi đã đọc", "ok": "kết quả hợp lệ",
        "quarantined": "bị cách ly", "flagged": "bị gắn cờ", "rate": "bài/giây", "criterion": "Tiêu chí công bố",
        "examples": "Ví dụ", "none": "Không có bài nào bị gắn cờ ở hạng mục này.", "score": "điểm",
        "evidence": "Bằng chứng", "quarantine": "Bản ghi bị cách ly", "line": "dòng", "reason": "lý do",
        "inputs": "Đầu vào", "packs": "Bộ chính sách", "generated": "Tạo lúc", "severity": "mức độ",
        "action": "hành động đề xuất", "category": "hạng mục", "of": "trên",
        "media": "Trong ảnh, âm thanh, video của bài", "at": "lúc",
    },
}


def highlight(text: str, findings: list[dict[str, Any]], source: str = "text") -> list[tuple[str, dict[str, Any] | None]]:
    """Split text into (piece, finding-or-None) so the template can mark evidence safely."""
    spans = sorted(
        ((f["start"], f["end"], f) for f in findings if f.get("source") == source and 0 <= f["start"] < f["end"] <= len(text)),
        key=lambda s: (s[0], -s[1]),
    )
    pieces: list[tuple[str, dict[str, Any] | None]] = []
    pos = 0
    for start, end, f in spans:
        if start < pos:  # overlapping evidence: the earlier span already covers it
            continue
        if start > pos:
            pieces.append((text[pos:start], None))
        pieces.append((text[start:end], f))
        pos = end
    if pos < len(text):
        pieces.append((text[pos:], None))
    return pieces


def _media_evidence(store: Any, post: dict[str, Any], findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For findings in a post's media: the image or frame (a small JPEG, inlined) and the text line
    or transcript segment with the evidence highlighted, from the store's media_evidence table."""
    sources = list(dict.fromkeys(f["source"] for f in findings if ":" in f["source"]))
    if not sources:
        return []
    from .extract.banks import load_evidence

    rows = load_evidence(store, post.get("platform"), post["id"])
    out = []
    for src in sources:
        ev = rows.get(src)
        if ev is None:
            continue
        thumb = ev.get("thumbnail")
        out.append(
            {
                "source": src,
                "path": ev["media_path"],
                "t": ev.get("t"),
                "pieces": highlight(ev.get("text") or "", findings, src),
                "img": "data:image/jpeg;base64," + base64.b64encode(thumb).decode() if thumb else None,
            }
        )
    return out


def write_report(db: str, scan_id: int | None, out: str, lang: str = "en", per_category: int = 10) -> str:
    from .store import Store

    if lang not in LABELS:
        raise TrustwatchError(f"The report language {lang!r} is not supported.", "Use en or vi.")
    store = Store.open(db)
    try:
        scan = store.get_scan(scan_id)
        if scan is None:
            what = f"scan run {scan_id}" if scan_id is not None else "scan runs"
            raise TrustwatchError(f"The database {db} has no {what}.", "Run `trustwatch scan` first, or pass --db.")
        run_id = scan["id"]
        examples: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in store.iter_results(run_id, flagged_only=True):
            for cat, hit in row["result"]["categories"].items():
                fs = [f for f in row["result"]["findings"] if f["category"] == cat] if hit else []
                # Posts flagged from their media are shown past the limit (a few), since their
                # evidence is the kind a reviewer cannot see in the text.
                in_media = any(":" in f["source"] for f in fs)
                if hit and (len(examples[cat]) < per_category or (in_media and len(examples[cat]) < per_category + 5)):
                    examples[cat].append(
                        {
                            "post": row["post"],
                            "score": row["result"]["category_scores"].get(cat),
                            "pieces": highlight(row["post"]["text"] or "", fs),
                            "title_pieces": highlight(row["post"].get("title") or "", fs, "title"),
                            "other": [f for f in fs if f["source"] not in ("text", "title")],
                            "findings": fs,
                            "media": _media_evidence(store, row["post"], fs),
                        }
                    )
        quarantine = store.quarantine(run_id)
    finally:
        store.close()
    # The criteria as the scan recorded them; runs from before they were recorded fall back to
    # the packs installed now.
    recorded = [p for p in scan.get("packs") or [] if isinstance(p, dict) and "criterion" in p]
    if recorded:
        packs: dict[str, Any] = {p["id"]: SimpleNamespace(pack=SimpleNamespace(**p)) for p in recorded}
    else:
        packs = {p.id: p for p in load_packs(None)}
    summary = scan.get("summary") or {}
    categories = list((summary.get("per_category") or {}).keys())
    env = Environment(loader=PackageLoader("trustwatch", "templates"), autoescape=select_autoescape(["html"]))
    html = env.get_template("report.html").render(
        t=LABELS[lang], lang=lang, scan=scan, summary=summary, categories=categories, packs=packs,
        examples=examples, quarantine=quarantine[:200], quarantine_total=len(quarantine),
        version=__version__, generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    Path(out).write_text(html, encoding="utf-8")
    return out
