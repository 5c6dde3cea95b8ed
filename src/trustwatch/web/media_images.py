"""Images sent to `/v1/moderations`, read by the media area's extractor (`trustwatch.extract`,
issue 4): OCR text scored with the request's text parts, and matches against the hash banks.

The scanner reads files, so each request's images are written to a private temporary folder
(removed when the request is done) under names the server chooses; the scanner's own checks
(size, pixel count, real image type) apply. One scanner per process, built at startup; calls are
serialized with a lock (OCR saturates a core anyway).
"""

from __future__ import annotations

import base64
import tempfile
import threading
from pathlib import Path
from typing import Any

from ..detect import Detector
from ..extract.banks import load_banks, load_evidence
from ..extract.scanner import MediaScanner
from ..extract.settings import MediaSettings
from ..models import Media, Post
from ..normalize import Normalized, normalize
from ..store import Store

SUFFIX = {"image/png": ".png", "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/webp": ".webp", "image/gif": ".gif",
          "image/bmp": ".bmp", "image/tiff": ".tif"}


class ExtractImageReader:
    def __init__(self, store: Store) -> None:
        self.scanner = MediaScanner(MediaSettings(cache_path=None), workers=1, banks=load_banks(store))
        self._lock = threading.Lock()

    def read(self, images: list[tuple[int, str, bytes]]) -> tuple[list[tuple[str, Normalized]], Any, dict[int, str]]:
        with tempfile.TemporaryDirectory(prefix="tw-moderation-") as tmp:
            media = []
            for part, mime, data in images:
                name = f"part{part}{SUFFIX.get(mime, '.img')}"
                (Path(tmp) / name).write_bytes(data)
                media.append(Media("image", name))
            post = Post(id="moderation", platform=None, text="", media=tuple(media))
            with self._lock:
                outcomes = self.scanner.extract_post(post, str(Path(tmp) / "request.jsonl"))
        failed: dict[int, str] = {}
        sources: list[tuple[str, Normalized]] = []
        for o, (part, _, _) in zip(outcomes, images, strict=True):
            o.index = part  # findings name the request's part, not the position among its images
            o.path = f"part {part}"
            if o.error is not None:
                failed[part] = o.error.replace(str(Path(tmp)), "(upload)")
                continue
            if o.extraction is None:
                continue
            blocked = MediaScanner._blocked(o)
            for s in o.extraction.segments:
                if "*" not in blocked and s.position not in blocked:
                    sources.append((f"image:{part}:{s.position}", normalize(s.text)))
        return sources, outcomes, failed

    def add_matches(self, result: dict[str, Any], handle: Any, detector: Detector) -> None:
        MediaScanner._add_matches(result, handle, detector)


def media_evidence(store: Store, platform: str | None, post_id: str) -> dict[str, dict[str, Any]]:
    """Source → what a scan kept of a media finding: the OCR or transcript text, its time, and a
    small JPEG of the image or frame (as a data URL, which the CSP allows for images)."""
    out = {}
    for source, row in load_evidence(store, platform, post_id).items():
        thumb = row.get("thumbnail")
        out[source] = {"text": row.get("text"), "t": row.get("t"), "end_t": row.get("end_t"), "path": row.get("media_path"),
                       "thumbnail": "data:image/jpeg;base64," + base64.b64encode(thumb).decode() if thumb else None}
    return out
