"""Media in a scan: resolve each media item, extract (or read the cache), and hand the text to the
same detector as captions, each segment under its own source name; then add known-image matches.

Only posts that have media come here; a text-only post never touches this module. Whatever goes
wrong with one media item becomes a one-sentence `error` on that item in the result's `media`
list; the post is still scanned on its text and its other media.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..detect.base import Document
from ..detect.engine import Detector, document_for
from ..errors import TrustwatchError
from ..models import Post
from ..normalize import normalize
from .asr import guess_language
from .base import Extraction, Extractor, MediaError, MediaFile
from .cache import ExtractionCache
from .pdq import BankMatch, BankMatcher, HashBank
from .registry import build_extractors
from .safety import open_image, resolve
from .settings import MediaSettings, base_dir
from .video import THUMB_SIDE, jpeg_thumb


@dataclass
class MediaOutcome:
    index: int
    type: str
    path: str
    file: MediaFile | None = None
    extraction: Extraction | None = None
    error: str | None = None
    matches: list[tuple[str, BankMatch]] = field(default_factory=list)  # (position, match)

    def status(self) -> dict[str, Any]:
        d: dict[str, Any] = {"index": self.index, "type": self.type, "path": self.path}
        if self.error is not None:
            d.update(status="error", error=self.error)
            return d
        d["status"] = "ok"
        if self.file is not None:
            d["sha256"] = self.file.sha256
        ex = self.extraction
        if ex is not None:
            d["segments"] = len(ex.segments)
            if ex.duration is not None:
                d["duration"] = round(ex.duration, 2)
            if ex.notes:
                d["notes"] = list(ex.notes)
        negative = [m for _, m in self.matches if m.kind == "negative"]
        if negative:
            m = negative[0]
            d["known_fine"] = {"bank": m.bank, "distance": m.distance, "entry": m.entry.hash, "label": m.entry.label}
        return d


class MediaScanner:
    """Built once per worker process, on its first post with media."""

    def __init__(self, settings: MediaSettings, workers: int = 1, banks: list[HashBank] | None = None) -> None:
        self.settings = settings
        self.extractors = build_extractors(settings, workers)
        self.cache = ExtractionCache(settings.cache_path)
        self.banks = BankMatcher(banks or [])

    # -- extraction ----------------------------------------------------------------------------

    def _run(self, ext: Extractor, mf: MediaFile) -> Extraction:
        key = f"{ext.version}|{ext.settings_key()}"
        cached = self.cache.get(mf.sha256, ext.name, key)
        if cached is not None:
            if "error" in cached:
                raise MediaError(cached["error"])
            return Extraction.from_dict(cached)
        try:
            ex = ext.extract(mf)
        except MediaError as exc:
            self.cache.put(mf.sha256, ext.name, key, {"error": exc.message})
            raise
        self.cache.put(mf.sha256, ext.name, key, ex.as_dict())
        return ex

    def extract_post(self, post: Post, source: str) -> list[MediaOutcome]:
        base = base_dir(source, self.settings)
        lang = guess_language(post.lang, f"{post.title or ''} {post.text}", self.settings.asr_default_lang)
        outcomes: list[MediaOutcome] = []
        for i, m in enumerate(post.media):
            out = MediaOutcome(i, m.type, m.path)
            outcomes.append(out)
            try:
                out.file = resolve(m.path, base, m.type, self.settings, lang)
                parts = [self._run(ext, out.file) for ext in self.extractors.get(m.type, [])]
                out.extraction = Extraction(
                    tuple(s for p in parts for s in p.segments),
                    tuple(h for p in parts for h in p.hashes),
                    next((p.duration for p in parts if p.duration is not None), None),
                    tuple(n for p in parts for n in p.notes),
                    tuple(t for p in parts for t in p.thumbs),
                )
                if self.banks:
                    for h in out.extraction.hashes:
                        out.matches.extend((h.position, bm) for bm in self.banks.match(h))
            except TrustwatchError as exc:  # MediaError, or a missing tool/model for this kind
                out.error = str(exc)
            except Exception as exc:  # noqa: BLE001 - a decoder bug on one file must not sink the post
                out.error = f"The {m.type} {m.path!r} could not be read ({exc.__class__.__name__}: {str(exc)[:200]})."
        return outcomes

    # -- detection -----------------------------------------------------------------------------

    @staticmethod
    def _blocked(o: MediaOutcome) -> set[str]:
        """Positions whose text is not used: an image on a negative bank, or that frame of a video."""
        blocked: set[str] = set()
        for position, m in o.matches:
            if m.kind != "negative":
                continue
            if position == "pdq":
                return {"*"}
            blocked.add(position.removesuffix(":pdq") + ":ocr")
        return blocked

    def scan(self, detector: Detector, post: Post, source: str) -> tuple[dict[str, Any], list[MediaOutcome]]:
        outcomes = self.extract_post(post, source)
        doc = document_for(post)
        extra = []
        for o in outcomes:
            if o.extraction is None:
                continue
            blocked = self._blocked(o)
            for s in o.extraction.segments:
                if "*" in blocked or s.position in blocked:
                    continue
                extra.append((f"{o.type}:{o.index}:{s.position}", normalize(s.text)))
        result = detector.detect_document(Document(doc.sources + tuple(extra)) if extra else doc)
        self._add_matches(result, outcomes, detector)
        result["media"] = [o.status() for o in outcomes]
        return result, outcomes

    @staticmethod
    def _add_matches(result: dict[str, Any], outcomes: list[MediaOutcome], detector: Detector) -> None:
        active = set(detector.active)
        for o in outcomes:
            for position, m in o.matches:
                if m.kind != "bad" or m.category not in active:
                    continue
                score = round(1.0 - m.distance / 256, 4)
                label = f" “{m.entry.label}”" if m.entry.label else ""
                result["findings"].append(
                    {
                        "category": m.category,
                        "signal": "pdq",
                        "score": score,
                        "source": f"{o.type}:{o.index}:{position}",
                        "start": 0,
                        "end": 0,
                        "excerpt": "",
                        "explanation": (
                            f"the PDQ hash of {o.type} {o.index} ({m.variant}) is {m.distance} bits from entry "
                            f"{m.entry.hash[:16]}…{label} of hash bank “{m.bank}” (known bad, {m.category}); "
                            f"the bank matches within {m.max_distance} bits"
                        ),
                        "bank": m.bank,
                        "distance": m.distance,
                        "entry": {"hash": m.entry.hash, "quality": m.entry.quality, "label": m.entry.label},
                    }
                )
                cat = m.category
                result["categories"][cat] = True
                result["category_scores"][cat] = max(result["category_scores"].get(cat, 0.0), score)
                result["flagged"] = True

    # -- evidence for the report ---------------------------------------------------------------

    def evidence(self, post: Post, result: dict[str, Any], outcomes: list[MediaOutcome]) -> list[dict[str, Any]]:
        """For each media source a finding points at: its text, time and a small JPEG of the image
        or frame, for the report. Only flagged posts get here, so this is rarely paid."""
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        by_index = {o.index: o for o in outcomes}
        for f in result.get("findings", []):
            src = f["source"]
            if src in seen or src in ("text", "title", "hashtags"):
                continue
            seen.add(src)
            kind, idx, position = src.split(":", 2)
            o = by_index.get(int(idx))
            if o is None or o.file is None or o.extraction is None:
                continue
            seg = next((s for s in o.extraction.segments if s.position == position), None)
            t = seg.t if seg is not None else next((h.t for h in o.extraction.hashes if h.position == position), None)
            thumb: bytes | None = None
            stored = dict(o.extraction.thumbs).get(position)
            try:
                if stored is not None:
                    thumb = base64.b64decode(stored)
                elif kind == "image":
                    thumb = self._thumb_image(o.file.path)
            except (TrustwatchError, OSError, ValueError):
                thumb = None
            rows.append(
                {
                    "platform": post.platform or "",
                    "post_id": post.id,
                    "source": src,
                    "media_sha256": o.file.sha256,
                    "media_path": o.path,
                    "text": seg.text if seg is not None else None,
                    "t": t,
                    "end_t": seg.end_t if seg is not None else None,
                    "thumbnail": thumb,
                }
            )
        return rows

    def _thumb_image(self, path: Path) -> bytes:
        img = open_image(path, self.settings, path.name, draft=(THUMB_SIDE * 2, THUMB_SIDE * 2))
        try:
            return jpeg_thumb(img)
        finally:
            img.close()

    def close(self) -> None:
        self.cache.close()

