"""Extract: text from images (OCR), speech (ASR) and video, and PDQ hashes for known-image matching."""

from .base import Extraction, Extractor, ImageHash, MediaError, MediaFile, Segment
from .settings import MediaSettings

__all__ = ["Extraction", "Extractor", "ImageHash", "MediaError", "MediaFile", "MediaSettings", "Segment"]
