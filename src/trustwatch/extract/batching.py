"""Batches for a scan with several workers, re-cut so that media posts spread over the workers.
Imports nothing heavy: a text-only scan with several workers runs this over every block."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..ingest import Block

_MEDIA_KEY = b'"media"'


def spread_media(batches: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """Batches for a scan with several workers, re-cut so that each holds at most one record with
    media. A JSON Lines block is ~512 KB, thousands of posts: left whole, every voice clip and video
    of a small file would go to one worker with one thread while the others idle. A media item
    costs seconds, a text post a fraction of a millisecond, so a batch per media post spreads the
    work and the extra batches cost nothing that shows. Text-only blocks pass through untouched;
    line numbers and order are kept."""
    for source, batch in batches:
        if isinstance(batch, Block):
            if _MEDIA_KEY not in batch.data:
                yield source, batch
                continue
            yield from _cut_block(source, batch)
        elif isinstance(batch, list) and any(_has_media(u.payload) for u in batch):
            piece: list[Any] = []
            for u in batch:
                piece.append(u)
                if _has_media(u.payload):
                    yield source, piece
                    piece = []
            if piece:
                yield source, piece
        else:
            yield source, batch


def _has_media(payload: Any) -> bool:
    if isinstance(payload, bytes):
        return _MEDIA_KEY in payload
    return isinstance(payload, dict) and bool(payload.get("media"))


def _cut_block(source: str, block: Any) -> Iterator[tuple[str, Any]]:
    """The block as pieces that each end with the line of one record with media."""
    data, first = block.data, block.first_line
    piece_start, piece_first, pos, line_no = 0, first, 0, first
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end == -1 else end + 1
        if _MEDIA_KEY in data[pos:end]:
            yield source, Block(block.source, piece_first, data[piece_start:end], _at(block, piece_start))
            piece_start, piece_first = end, line_no + 1
        pos = end
        line_no += 1
    if piece_start < len(data):
        yield source, Block(block.source, piece_first, data[piece_start:], _at(block, piece_start))


def _at(block: Any, start: int) -> int:
    """Where a piece starts in the file (a Ray actor reads it back by position), or -1."""
    return block.offset + start if block.offset >= 0 else -1
