"""Labeled texts from CSV/TSV, JSON Lines or Parquet (optionally gzip-compressed)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError


@dataclass
class Labeled:
    texts: list[str]
    labels: list[str]
    skipped: int  # rows without a usable text or label
    sha256: str  # of the file's bytes


def _open_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file.", "Check the path.") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a data file.") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: damaged gzip data ({exc}).") from None
    return raw


def _kind(path: Path, raw: bytes) -> str:
    name = path.name.lower().removesuffix(".gz")
    if raw[:4] == b"PAR1" or name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith(".tsv"):
        return "tsv"
    if name.endswith(".csv"):
        return "csv"
    return "jsonl" if raw.lstrip()[:1] == b"{" else "csv"


def read_labeled(path: str | Path, text_col: str, label_col: str) -> Labeled:
    path = Path(path)
    raw = _open_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    kind = _kind(path, raw)
    rows: list[tuple[object, object]] = []
    columns: set[str] = set()
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(io.BytesIO(raw))
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{path}: not a readable Parquet file ({exc}).") from None
        columns = set(table.column_names)
        if text_col in columns and label_col in columns:
            rows = list(zip(table.column(text_col).to_pylist(), table.column(label_col).to_pylist(), strict=True))
    elif kind == "jsonl":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text.") from None
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: invalid JSON ({exc.msg}).") from None
            if not isinstance(rec, dict):
                raise InputError(f"{path}:{n}: a line is not a JSON object.")
            columns |= rec.keys()
            rows.append((rec.get(text_col), rec.get(label_col)))
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text.") from None
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if kind == "tsv" else ",")
        columns = set(reader.fieldnames or [])
        if text_col in columns and label_col in columns:
            try:
                rows = [(r.get(text_col), r.get(label_col)) for r in reader]
            except csv.Error as exc:
                raise InputError(f"{path}: unreadable CSV ({exc}).") from None
    for col, what in ((text_col, "--text-col"), (label_col, "--label-col")):
        if col not in columns:
            raise InputError(
                f"{path}: no column {col!r} ({what}); the columns are {sorted(columns)[:20]}.",
                f"Pass {what} with one of them.",
            )
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for t, y in rows:
        if not isinstance(t, str) or not t.strip() or y is None or (isinstance(y, str) and not y.strip()):
            skipped += 1
            continue
        if isinstance(y, float) and y.is_integer():
            y = int(y)
        texts.append(t)
        labels.append(str(y).strip())
    if not texts:
        raise InputError(f"{path}: no row has both a text in {text_col!r} and a label in {label_col!r}.")
    return Labeled(texts, labels, skipped, digest)
