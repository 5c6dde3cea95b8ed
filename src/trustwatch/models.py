"""Values that move through the pipeline.

Frozen dataclasses, so a stage cannot change what an earlier stage produced; pydantic is kept for
the boundaries (policy YAML, settings, API). The shapes follow ../shared/DESIGN.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


class _Compact:
    """Pickle as the class and its field values in order: a plain constructor call when a worker's
    posts reach the main process, several times cheaper than the default state restore of a
    frozen slotted dataclass."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return type(self), tuple(getattr(self, name) for name in _field_names(type(self)))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


@dataclass(frozen=True, slots=True)
class Author(_Compact):
    id: str | None = None
    name: str | None = None
    followers: int | None = None
    mcn: str | None = None
    verified: bool | None = None


@dataclass(frozen=True, slots=True)
class Media(_Compact):
    type: str  # image | audio | video
    path: str


@dataclass(frozen=True, slots=True)
class Post(_Compact):
    """One validated input record. `raw` keeps every field, unknown ones included."""

    id: str
    platform: str | None
    text: str
    title: str | None = None
    url: str | None = None
    created_at: str | None = None
    lang: str | None = None
    author: Author = field(default_factory=Author)
    media: tuple[Media, ...] = ()
    metrics: dict[str, int] = field(default_factory=dict)
    hashtags: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    reply_to: str | None = None
    shared_from: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of evidence: which signal saw what, where, and why it matters."""

    category: str
    signal: str
    score: float
    source: str
    start: int
    end: int
    excerpt: str
    explanation: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "signal": self.signal,
            "score": self.score,
            "source": self.source,
            "start": self.start,
            "end": self.end,
            "excerpt": self.excerpt,
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that could not be read: where it was and a one-sentence reason."""

    source: str  # input file name (or "-" for stdin)
    line: int  # 1-based line number (data row number for CSV/Parquet)
    reason: str
    raw: str  # the offending record, truncated for storage

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "reason": self.reason, "raw": self.raw}
