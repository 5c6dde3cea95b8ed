"""Extractor plugins: the built-ins and third-party ones registered under the entry point group
`trustwatch.extractors` go through the same path. Names are unique and checked."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from ..errors import TrustwatchError
from .base import Extractor
from .settings import MediaSettings

ENTRY_POINT_GROUP = "trustwatch.extractors"


@cache
def extractor_types() -> dict[str, type[Extractor]]:
    from .asr import WhisperASR
    from .ocr import TesseractOCR
    from .video import VideoExtractor

    found: dict[str, type[Extractor]] = {}
    for cls in (TesseractOCR, WhisperASR, VideoExtractor):
        found[cls.name] = cls
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Extractor)):
            raise TrustwatchError(f"The entry point {ep.name} in {ENTRY_POINT_GROUP} is not an Extractor subclass.")
        if cls.name in found:
            raise TrustwatchError(f"Two extractors are named {cls.name!r}; extractor names must be unique.")
        found[cls.name] = cls
    return found


def build_extractors(settings: MediaSettings, workers: int = 1) -> dict[str, list[Extractor]]:
    """Media type → the extractors that read it. The built-in video extractor shares the ASR
    extractor's model, so a process loads it once."""
    from .asr import WhisperASR
    from .ocr import TesseractOCR
    from .video import VideoExtractor

    asr = WhisperASR(settings, workers)
    by_type: dict[str, list[Extractor]] = {"image": [TesseractOCR(settings)], "audio": [asr], "video": [VideoExtractor(settings, asr)]}
    for name, cls in extractor_types().items():
        if cls in (TesseractOCR, WhisperASR, VideoExtractor):
            continue
        ext = cls(settings)  # type: ignore[call-arg]
        for t in cls.media_types:
            by_type.setdefault(t, []).append(ext)
        del name
    return by_type
