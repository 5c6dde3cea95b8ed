"""Notice files for platforms (JSON and CSV, same columns) and reading their responses back.

A notice goes out as both formats; the platform fills in `response` (removed, restricted, closed,
declined, no_response), `responded_at` (ISO 8601) and an optional `note` and sends either file
back. Rows that cannot be used are reported with their line and reason, never dropped silently.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson

from ..errors import InputError

COLUMNS = ("notice_id", "item_id", "platform", "request", "post_id", "url", "author_id", "case_id", "category",
           "criterion", "deadline", "response", "responded_at", "note")


def notice_rows(notice: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"notice_id": notice["id"], "item_id": it["id"], "platform": it["platform"], "request": it["request"],
         "post_id": it["post_id"], "url": it["url"], "author_id": it["author_id"], "case_id": it["case_pk"],
         "category": it["category"], "criterion": it["criterion"], "deadline": notice["deadline"],
         "response": it["response"] or "", "responded_at": it["responded_at"] or "", "note": it["note"] or ""}
        for it in notice["items"]
    ]


def write_notice(notice: dict[str, Any], out: str) -> tuple[str, str]:
    """Write the notice as JSON and CSV: `out` in its own format (by suffix) and the other beside it."""
    path = Path(out)
    base = path.with_suffix("") if path.suffix.lower() in (".json", ".csv") else path
    json_path, csv_path = base.with_suffix(".json"), base.with_suffix(".csv")
    rows = notice_rows(notice)
    doc = {"notice_id": notice["id"], "platform": notice["platform"], "created_at": notice["created_at"],
           "deadline": notice["deadline"], "sender": notice["created_by"], "reason": notice["reason"],
           "how_to_answer": "Fill in response (removed | restricted | closed | declined | no_response), responded_at "
                            "(ISO 8601) and note for each item, and send this file back.",
           "items": rows}
    json_path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return str(json_path), str(csv_path)


def read_responses(path: str) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """(line, row) pairs with an item_id and a response, and the rows that could not be used."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"The response file {path!r} does not exist.", "Pass the notice file the platform sent back.")
    rows: list[tuple[int, dict[str, Any]]] = []
    errors: list[dict[str, Any]] = []
    raw = p.read_bytes()
    if raw.lstrip()[:1] in (b"{", b"["):
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"The response file {path!r} is not valid JSON ({exc}).", "Send back the notice JSON.") from None
        items = doc.get("items") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise InputError(f"The response file {path!r} has no `items` list.", "Send back the notice JSON as written.")
        numbered = list(enumerate(items, start=1))
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"The response file {path!r} is not UTF-8 text.", "Save it as UTF-8 CSV.") from None
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or "item_id" not in reader.fieldnames or "response" not in reader.fieldnames:
            raise InputError(f"The CSV {path!r} has no item_id and response columns.", "Send back the notice CSV as written.")
        numbered = [(i + 2, r) for i, r in enumerate(reader)]  # line 1 is the header
    for line, r in numbered:
        if not isinstance(r, dict):
            errors.append({"line": line, "reason": "the row is not an object"})
            continue
        resp = str(r.get("response") or "").strip()
        if not resp:
            continue  # not answered yet: the request stays pending (and becomes overdue)
        try:
            int(str(r.get("item_id")))
        except ValueError:
            errors.append({"line": line, "reason": f"item_id {r.get('item_id')!r} is not a number"})
            continue
        rows.append((line, {**r, "response": resp}))
    return rows, errors
