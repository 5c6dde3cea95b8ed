"""Checks every media file passes before any decoder sees it: inside the input's folder, present,
non-empty, within the size bound, and (for images) within the pixel bound read from the header.

Each failure is a `MediaError` with one sentence naming the item and the fix; the post is still
scanned on its text.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .base import MediaError, MediaFile
from .settings import MediaSettings

_KIND_BYTES = {"image": "max_image_bytes", "audio": "max_audio_bytes", "video": "max_video_bytes"}


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def resolve(path: str, base: Path, kind: str, settings: MediaSettings, lang: str | None = None) -> MediaFile:
    """The checked media file for a record's `path`, or MediaError."""
    if "://" in path or path.startswith("data:"):
        raise MediaError(f"The media path {path!r} is a URL; trustwatch reads only local files and never downloads.")
    if not path.strip() or "\x00" in path:
        raise MediaError("The media path is empty or holds a NUL character.")
    candidate = (base / path) if not Path(path).is_absolute() else Path(path)
    try:
        real = candidate.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # symlink loops
        raise MediaError(f"The media path {path!r} cannot be resolved ({exc.__class__.__name__}).") from None
    if not real.is_relative_to(base):
        raise MediaError(
            f"The media path {path!r} points outside the input file's folder {base}; it was refused "
            "(media paths are relative to the input file and may not escape it)."
        )
    if not real.exists():
        raise MediaError(f"The media file {path!r} does not exist (looked in {base}).")
    if not real.is_file():
        raise MediaError(f"The media path {path!r} is not a regular file.")
    size = real.stat().st_size
    if size == 0:
        raise MediaError(f"The media file {path!r} is empty (0 bytes).")
    limit = getattr(settings, _KIND_BYTES[kind])
    if size > limit:
        raise MediaError(f"The {kind} file {path!r} is {_mb(size)}, over the {_mb(limit)} limit for {kind} files.")
    return MediaFile(kind, real, file_sha256(real), size, lang)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def open_image(path: Path, settings: MediaSettings, shown: str, draft: tuple[int, int] | None = None):
    """Open an image for decoding after checking it is one and its pixel count from the header.
    `draft` asks JPEG for a reduced-size decode (much faster when only a small image is needed)."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # our own bound below, with a clearer message than PIL's warning
    try:
        img = Image.open(path)
    except UnidentifiedImageError:
        raise MediaError(f"The file {shown!r} is not an image in a format trustwatch can read (JPEG, PNG, GIF, WebP, BMP, TIFF).") from None
    except OSError as exc:
        raise MediaError(f"The image {shown!r} cannot be opened: {exc}.") from None
    w, h = img.size
    if w * h > settings.max_pixels:
        img.close()
        raise MediaError(
            f"The image {shown!r} is {w}×{h} pixels, over the {settings.max_pixels:,}-pixel limit "
            "(a decompression bomb or an oversized scan); it was not decoded."
        )
    if draft is not None and img.format == "JPEG":
        img.draft("RGB", draft)
    try:
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:
        img.close()
        raise MediaError(f"The image {shown!r} is truncated or corrupt ({exc}).") from None
    return img
