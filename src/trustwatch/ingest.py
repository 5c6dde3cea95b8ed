"""Ingest: read posts from JSON Lines, CSV or Parquet (plain or gzip, or `-` for stdin), streaming.

Reading is split in two so it can run in parallel: `read_batches` (cheap, in order, in the main
process) yields raw records with their line numbers, and `parse_unit` (in the workers) turns one raw
record into a validated `Post` or a `Quarantined` with a one-sentence reason. A record that cannot be
read is never dropped: it is quarantined and the scan goes on.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from .errors import InputError
from .models import Author, Media, Post, Quarantined

MAX_LINE_BYTES = 16 * 1024 * 1024  # a longer line is quarantined without being held in memory
MAX_TEXT_CHARS = 100_000  # a post longer than this is not a post; quarantined with a reason
RAW_KEEP = 2000  # characters of a bad record kept in the quarantine file
MEDIA_TYPES = ("image", "audio", "video")


class Unit(NamedTuple):
    """One raw record: JSON bytes (JSON Lines) or a dict (CSV, Parquet), or a read error.
    A named tuple: one is made per input line in the main process, so it must be cheap."""

    source: str
    line: int
    payload: bytes | dict[str, Any] | None
    error: str | None = None


class Block(NamedTuple):
    """Many whole JSON Lines records as one piece of bytes, split by the worker that parses them:
    the main process then does no per-record work at all."""

    source: str
    first_line: int  # line number of the block's first line
    data: bytes
    offset: int = -1  # where `data` starts in the file; -1 when it cannot be read back by position (gzip, stdin)

    def units(self) -> Iterator[Unit]:
        lines = self.data.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        for i, line in enumerate(lines):
            line_no = self.first_line + i
            if len(line) >= MAX_LINE_BYTES:
                yield Unit(self.source, line_no, None, _TOO_LONG)
                continue
            if line_no == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if line.strip():
                yield Unit(self.source, line_no, line + b"\n")


_TOO_LONG = f"The line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB, too long to be one post."
BLOCK_BYTES = 512 * 1024


class RecordError(ValueError):
    """Why one record was quarantined (a full sentence)."""


# --- formats ----------------------------------------------------------------------------------------


def detect_format(path: str, head: bytes) -> str:
    """`jsonl`, `csv` or `parquet`, from the name first, then from the first bytes."""
    name = path.lower().removesuffix(".gz").removesuffix(".gzip")
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".tsv")):
        return "csv"
    if name.endswith((".parquet", ".pq")) or head.startswith(b"PAR1"):
        return "parquet"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") or not stripped:
        return "jsonl"
    first_line = stripped.split(b"\n", 1)[0]
    if b"," in first_line and b"id" in first_line.lower():
        return "csv"
    return "jsonl"


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        raw: IO[bytes] = sys.stdin.buffer
    else:
        p = Path(path)
        if not p.exists():
            raise InputError(f"The input file {path} does not exist.", "Check the path.")
        if p.is_dir():
            raise InputError(f"The input {path} is a folder, not a file.", "Pass the files inside it.")
        raw = open(p, "rb")  # noqa: SIM115 - closed by the caller's generator
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buffered)  # type: ignore[return-value]
    return buffered


def check_inputs(paths: list[str]) -> None:
    """Fail before scanning if an input path is missing, so a typo costs nothing."""
    for path in paths:
        if path != "-" and not Path(path).is_file():
            what = "is a folder, not a file" if Path(path).is_dir() else "does not exist"
            raise InputError(f"The input {path} {what}.", "Check the path.")


def read_batches(path: str, size: int) -> Iterator[Block | list[Unit]]:
    """The records of one input in order, grouped for the workers: JSON Lines as raw blocks of
    about BLOCK_BYTES, other formats as lists of `size` units."""
    stream = _open_binary(path)
    try:
        try:
            head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
        except (OSError, EOFError) as exc:
            yield [Unit(path, 0, None, f"The file could not be read ({exc}).")]
            return
        fmt = detect_format(path, head)
        if fmt == "jsonl":
            yield from _jsonl_blocks(path, stream, seekable=path != "-" and isinstance(stream, io.BufferedReader))
            return
        batch: list[Unit] = []
        for unit in (_csv_units(path, stream) if fmt == "csv" else _parquet_units(path, stream)):
            batch.append(unit)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:
        if path != "-":
            stream.close()


def _jsonl_blocks(path: str, stream: IO[bytes], seekable: bool = False) -> Iterator[Block | list[Unit]]:
    line_no = 0  # lines handed out so far
    carry = b""
    pos = 0  # bytes of the file handed out (or skipped) so far
    while True:
        chunk, damage = _read_some(stream)
        if damage is not None:  # truncated or corrupt gzip: keep every complete line before it
            data = carry + chunk
            if data:
                yield Block(path, line_no + 1, data, pos if seekable else -1)
                line_no += data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            yield [Unit(path, line_no + 1, None, f"The file is damaged after line {line_no} and could not be read further ({damage}).")]
            return
        if not chunk:
            if carry:
                yield Block(path, line_no + 1, carry, pos if seekable else -1)
            return
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n")
        if cut == -1:
            carry = data
            if len(carry) >= MAX_LINE_BYTES:
                # An overlong line: report it and skip to its end without keeping it.
                line_no += 1
                yield [Unit(path, line_no, None, _TOO_LONG)]
                skipped = len(carry)
                carry, rest = _skip_line(stream)
                pos += skipped + rest
            continue
        block, carry = data[: cut + 1], data[cut + 1 :]
        yield Block(path, line_no + 1, block, pos if seekable else -1)
        pos += len(block)
        line_no += block.count(b"\n")


def _read_some(stream: IO[bytes]) -> tuple[bytes, Exception | None]:
    """Up to BLOCK_BYTES, and, if the stream breaks, everything decoded before the break."""
    parts: list[bytes] = []
    got = 0
    while got < BLOCK_BYTES:
        try:
            part = stream.read1(BLOCK_BYTES - got)  # type: ignore[attr-defined]
        except (OSError, EOFError) as exc:
            return b"".join(parts), exc
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts), None


def _skip_line(stream: IO[bytes]) -> tuple[bytes, int]:
    """Read past the end of the current line; return what follows it in the last chunk read, and
    how many bytes of the line were skipped (its newline included)."""
    skipped = 0
    while True:
        try:
            chunk = stream.read(BLOCK_BYTES)
        except (OSError, EOFError):
            return b"", skipped
        if not chunk:
            return b"", skipped
        nl = chunk.find(b"\n")
        if nl != -1:
            return chunk[nl + 1 :], skipped + nl + 1
        skipped += len(chunk)


def read_units(path: str) -> Iterator[Unit]:
    """The raw records of one input, one at a time, in order (for callers without workers)."""
    for batch in read_batches(path, 1000):
        yield from (batch.units() if isinstance(batch, Block) else batch)


def _csv_units(path: str, stream: IO[bytes]) -> Iterator[Unit]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    delimiter = "\t" if path.lower().removesuffix(".gz").endswith(".tsv") else ","
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (UnicodeDecodeError, csv.Error) as exc:
        yield Unit(path, 1, None, f"The CSV header could not be read ({exc}).")
        return
    header = [h.lstrip("\ufeff").strip() for h in header]
    missing_id = "id" not in header
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield Unit(path, start, None, f"The row is not valid UTF-8 text ({exc.reason} at byte {exc.start}); the rest of the file could not be read.")
            return
        except csv.Error as exc:
            yield Unit(path, start, None, f"The row is not valid CSV ({exc}).")
            start = reader.line_num + 1
            continue
        line = start
        start = reader.line_num + 1
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            yield Unit(path, line, ",".join(row).encode("utf-8"), f"The row has {len(row)} fields but the header has {len(header)}; a column is missing or a comma is not quoted.")
            continue
        if missing_id:
            yield Unit(path, line, None, "The record has no id because the CSV has no `id` column; add one.")
            continue
        yield Unit(path, line, dict(zip(header, row, strict=True)))


def _parquet_units(path: str, stream: IO[bytes]) -> Iterator[Unit]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    damaged = (pa.ArrowException, OSError, ValueError, EOFError)
    try:
        source: Any = path if path != "-" and not isinstance(stream, gzip.GzipFile) else io.BytesIO(stream.read())
        pf = pq.ParquetFile(source)
    except damaged as exc:
        yield Unit(path, 0, None, f"The file could not be read as Parquet ({exc}).")
        return
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=4096):
            for rec in batch.to_pylist():
                row += 1
                yield Unit(path, row, rec)
    except damaged as exc:
        yield Unit(path, row + 1, None, f"The Parquet file is damaged after row {row} ({exc}).")


# --- validation -------------------------------------------------------------------------------------


def _type_name(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number", type(None): "null"}.get(type(v), type(v).__name__)


def _str(rec: dict[str, Any], key: str, required: bool = False) -> str | None:
    return _as_str(rec.get(key), key, required)


def _as_str(v: Any, key: str, required: bool = False) -> str | None:
    if type(v) is str and v:  # the common case first
        return v
    if v is None or v == "":
        if required:
            raise RecordError(f"The record has no `{key}`; every post needs one.")
        return None
    if isinstance(v, datetime):
        return v.isoformat()
    if not isinstance(v, str):
        raise RecordError(f"The field `{key}` must be text but is {_type_name(v)}.")
    return v


def _int(v: Any, field: str) -> int | None:
    if type(v) is int and v >= 0:  # the common case first
        return v
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        raise RecordError(f"The field `{field}` must be a whole number but is true/false.")
    if isinstance(v, int):
        n = v
    elif isinstance(v, float) and v.is_integer():
        n = int(v)
    elif isinstance(v, str) and v.strip().isascii() and v.strip().isdigit() and len(v.strip()) <= 18:
        n = int(v.strip())
    else:
        raise RecordError(f"The field `{field}` must be a whole number but is {v!r:.40}.")
    if n < 0:
        raise RecordError(f"The field `{field}` must not be negative but is {n}.")
    return n


def _bool(v: Any, field: str) -> bool | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "1", "yes", "false", "0", "no"):
        return v.strip().lower() in ("true", "1", "yes")
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise RecordError(f"The field `{field}` must be true or false but is {v!r:.40}.")


def _str_list(v: Any, field: str) -> tuple[str, ...]:
    if v is None or v == "" or v == []:
        return ()
    if isinstance(v, str):  # flattened CSV: a JSON list, or items separated by spaces, commas or |
        s = v.strip()
        if s.startswith("["):
            try:
                v = orjson.loads(s)
            except orjson.JSONDecodeError:
                raise RecordError(f"The field `{field}` looks like a JSON list but does not parse.") from None
        else:
            return tuple(x for x in s.replace("|", " ").replace(",", " ").split() if x)
    if not isinstance(v, list | tuple) or not all(isinstance(x, str) for x in v):
        raise RecordError(f"The field `{field}` must be a list of text items.")
    return tuple(v)


def _flattened(rec: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    """`author_id`, `author_name` … (CSV and flat Parquet) back into a nested object."""
    found = {k[len(prefix) + 1 :]: v for k, v in rec.items() if k.startswith(prefix + "_")}
    return found or None


_NO_AUTHOR = Author()


def to_post(rec: Any) -> Post:
    """Validate one decoded record into a Post, or raise RecordError with the reason."""
    if not isinstance(rec, dict):
        raise RecordError(f"The record is {_type_name(rec)}, not a JSON object.")
    rid = rec.get("id")
    if isinstance(rid, int) and not isinstance(rid, bool):
        rid = str(rid)
    if rid is None or rid == "":
        raise RecordError("The record has no `id`; every post needs a unique id.")
    if not isinstance(rid, str):
        raise RecordError(f"The field `id` must be text but is {_type_name(rid)}.")
    if len(rid) > 512:
        raise RecordError(f"The id is {len(rid)} characters long; ids longer than 512 are not accepted.")
    text = rec.get("text")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise RecordError(f"The field `text` must be text but is {_type_name(text)}.")
    if len(text) > MAX_TEXT_CHARS:
        raise RecordError(f"The text is {len(text):,} characters long, over the {MAX_TEXT_CHARS:,}-character limit for one post.")
    title = _str(rec, "title")
    if title and len(title) > MAX_TEXT_CHARS:
        raise RecordError(f"The title is {len(title):,} characters long, over the {MAX_TEXT_CHARS:,}-character limit.")
    created = _str(rec, "created_at")
    if created is not None:
        try:
            datetime.fromisoformat(created)
        except ValueError:
            raise RecordError(f"The field `created_at` is not an ISO 8601 date and time: {created!r:.60}.") from None
    author_raw = rec.get("author")
    if author_raw is None:
        author_raw = _flattened(rec, "author") or {}
    if not isinstance(author_raw, dict):
        raise RecordError(f"The field `author` must be an object but is {_type_name(author_raw)}.")
    aid = author_raw.get("id")
    if isinstance(aid, int) and not isinstance(aid, bool):
        aid = str(aid)
    author = Author(
        id=_as_str(aid, "author.id"),
        name=_as_str(author_raw.get("name"), "author.name"),
        followers=_int(author_raw.get("followers"), "author.followers"),
        mcn=_as_str(author_raw.get("mcn"), "author.mcn"),
        verified=_bool(author_raw.get("verified"), "author.verified"),
    ) if author_raw else _NO_AUTHOR
    metrics_raw = rec.get("metrics")
    if metrics_raw is None:
        metrics_raw = _flattened(rec, "metrics") or {}
    if not isinstance(metrics_raw, dict):
        raise RecordError(f"The field `metrics` must be an object but is {_type_name(metrics_raw)}.")
    metrics: dict[str, int] = {}
    for k, v in metrics_raw.items():
        if type(v) is int and v >= 0:  # the common case, without building a field name
            metrics[k] = v
            continue
        n = _int(v, f"metrics.{k}")
        if n is not None:
            metrics[str(k)] = n
    media_raw = rec.get("media")
    if isinstance(media_raw, str) and media_raw.strip().startswith("["):
        try:
            media_raw = orjson.loads(media_raw)
        except orjson.JSONDecodeError:
            raise RecordError("The field `media` looks like a JSON list but does not parse.") from None
    media: list[Media] = []
    if media_raw not in (None, ""):
        if not isinstance(media_raw, list):
            raise RecordError(f"The field `media` must be a list but is {_type_name(media_raw)}.")
        for i, m in enumerate(media_raw):
            if not isinstance(m, dict) or not isinstance(m.get("path"), str) or not m.get("path"):
                raise RecordError(f"The media item {i} must be an object with a `path`.")
            if m.get("type") not in MEDIA_TYPES:
                raise RecordError(f"The media item {i} has type {m.get('type')!r}; use image, audio or video.")
            media.append(Media(type=m["type"], path=m["path"]))
    return Post(
        id=rid,
        platform=_str(rec, "platform"),
        text=text,
        title=title,
        url=_str(rec, "url"),
        created_at=created,
        lang=_str(rec, "lang"),
        author=author,
        media=tuple(media),
        metrics=metrics,
        hashtags=_str_list(rec.get("hashtags"), "hashtags"),
        links=_str_list(rec.get("links"), "links"),
        reply_to=_str(rec, "reply_to"),
        shared_from=_str(rec, "shared_from"),
        raw=rec,
    )


def _raw_text(payload: bytes | dict[str, Any] | None) -> str:
    if payload is None:
        return ""
    if isinstance(payload, bytes):
        return payload[:RAW_KEEP].decode("utf-8", errors="replace").rstrip("\n")
    try:
        return orjson.dumps(payload, default=str).decode()[:RAW_KEEP]
    except TypeError:
        return repr(payload)[:RAW_KEEP]


def parse_unit(unit: Unit) -> Post | Quarantined:
    """Decode and validate one raw record; never raises for bad data."""
    if unit.error is not None:
        return Quarantined(unit.source, unit.line, unit.error, _raw_text(unit.payload))
    payload = unit.payload
    try:
        if isinstance(payload, bytes):
            if b"\x00" in payload:
                raise RecordError("The line contains NUL bytes; it looks like binary data, not JSON.")
            try:
                rec = orjson.loads(payload)  # validates UTF-8 itself
            except orjson.JSONDecodeError as exc:
                try:
                    payload.decode("utf-8")
                except UnicodeDecodeError as bad:
                    raise RecordError(f"The line is not valid UTF-8 text (byte 0x{payload[bad.start]:02x} at position {bad.start}).") from None
                raise RecordError(f"The line is not valid JSON ({str(exc).split(':')[0]}).") from None
        else:
            rec = payload
        return to_post(rec)
    except RecordError as exc:
        return Quarantined(unit.source, unit.line, str(exc), _raw_text(payload))
    except RecursionError:
        return Quarantined(unit.source, unit.line, "The record is nested too deeply to read.", _raw_text(payload))
    except Exception as exc:  # noqa: BLE001 - the last line of defence: bad input never stops a scan
        return Quarantined(unit.source, unit.line, f"The record could not be read ({type(exc).__name__}: {exc}).", _raw_text(payload))
