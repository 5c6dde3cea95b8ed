"""The small interface every media extractor implements, and the values it hands back.

An extractor turns one media file into text segments, each named by its position in the media
(`ocr`, `asr@3.5s`, `frame@12.0s:ocr`), and optionally perceptual hashes of what it saw. The scan
prefixes the position with the media item (`image:0:`), so a finding's `source` says exactly where
its evidence is, and its offsets index that segment's text.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..errors import TrustwatchError


class MediaError(TrustwatchError):
    """One media item could not be used; the message is one sentence and the post is still scanned."""


@dataclass(frozen=True, slots=True)
class Segment:
    """Text found at one position of a media file. `t` is the start in seconds (audio, video)."""

    position: str
    text: str
    t: float | None = None
    end_t: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "text": self.text, "t": self.t, "end_t": self.end_t}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        return cls(d["position"], d["text"], d.get("t"), d.get("end_t"))


@dataclass(frozen=True, slots=True)
class ImageHash:
    """The PDQ hash of an image or a video frame with its eight dihedral variants (hex, 64 digits
    each; the first is the image as it is) and PDQ's quality score (0-100)."""

    position: str  # "pdq" for an image, "frame@12.0s:pdq" for a frame
    variants: tuple[str, ...]
    quality: int
    t: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "variants": list(self.variants), "quality": self.quality, "t": self.t}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImageHash:
        return cls(d["position"], tuple(d["variants"]), int(d["quality"]), d.get("t"))


@dataclass(frozen=True, slots=True)
class Extraction:
    """What the extractors found in one media file (cached by the file's content hash)."""

    segments: tuple[Segment, ...] = ()
    hashes: tuple[ImageHash, ...] = ()
    duration: float | None = None
    notes: tuple[str, ...] = field(default=())  # partial problems, e.g. "the audio track could not be read"
    # Small JPEGs (base64) of the video frames that had text, by position: the report shows the
    # frame a finding came from, and seeking back into the video later is not frame-exact.
    thumbs: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "segments": [s.as_dict() for s in self.segments],
            "hashes": [h.as_dict() for h in self.hashes],
            "duration": self.duration,
            "notes": list(self.notes),
            "thumbs": [list(t) for t in self.thumbs],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Extraction:
        return cls(
            tuple(Segment.from_dict(s) for s in d.get("segments", [])),
            tuple(ImageHash.from_dict(h) for h in d.get("hashes", [])),
            d.get("duration"),
            tuple(d.get("notes", [])),
            tuple((p, b) for p, b in d.get("thumbs", [])),
        )


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A media file that passed the safety checks: resolved inside the input's folder, within the
    size bounds, of the kind it claims to be."""

    type: str  # image | audio | video
    path: Path
    sha256: str
    size: int
    lang: str | None = None  # language of the post, for ASR (never the model's own guess)


class Extractor(ABC):
    """A kind of extraction. `name` is unique; `version` and `settings_key()` are part of the cache
    key, so a changed extractor or setting never serves stale text."""

    name: ClassVar[str]
    media_types: ClassVar[tuple[str, ...]]
    version: ClassVar[str] = "1"

    def settings_key(self) -> str:
        return ""

    @abstractmethod
    def extract(self, media: MediaFile) -> Extraction:
        """Everything this extractor finds in the file; raise MediaError with one sentence if it cannot."""
