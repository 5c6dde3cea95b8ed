"""Image → text with Debian's tesseract (`vie`+`eng`), one thread per process.

Tesseract runs as a subprocess reading the image from stdin (no temporary files) and answers in
TSV, word by word with a confidence; words under `ocr_min_conf` are dropped, since on banners and
photos they are mostly background texture read as letters. The kept words are joined into lines
in tesseract's reading order, so a finding's offsets index text a reviewer can read.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from typing import Any

from ..errors import MissingToolError
from .base import Extraction, Extractor, MediaError, MediaFile, Segment
from .settings import MediaSettings

_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # tesseract's OpenMP threads fight the scan's workers


def tesseract_path() -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        raise MissingToolError(
            "tesseract is not installed, so images cannot be read.",
            "Install the Debian packages tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng (make install does).",
        )
    return exe


def tsv_to_text(tsv: str, min_conf: float) -> str:
    """Lines of the words tesseract is at least `min_conf` sure of, in reading order."""
    lines: dict[tuple[int, int, int, int], list[str]] = {}
    order: list[tuple[int, int, int, int]] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        word = cols[11].strip()
        try:
            conf = float(cols[10])
        except ValueError:
            continue
        if not word or conf < min_conf:
            continue
        key = (int(cols[1]), int(cols[2]), int(cols[3]), int(cols[4]))
        if key not in lines:
            lines[key] = []
            order.append(key)
        lines[key].append(word)
    return "\n".join(" ".join(lines[k]) for k in order)


def ocr_image(img: Any, settings: MediaSettings, shown: str) -> str:
    """OCR one PIL image (an image file or a video frame)."""
    from PIL import ImageOps, ImageStat

    exe = tesseract_path()
    img = img.convert("L")
    if ImageStat.Stat(img).mean[0] < 110:  # light text on a dark banner: tesseract reads dark on light
        img = ImageOps.invert(img)
    w, h = img.size
    side = max(w, h)
    if side > settings.ocr_max_side:
        scale = settings.ocr_max_side / side
        img = img.resize((max(1, int(w * scale)), max(1, int(h * scale))))
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    try:
        proc = subprocess.run(
            [exe, "stdin", "stdout", "-l", settings.ocr_langs, "--psm", "3", "tsv"],
            input=buf.getvalue(), capture_output=True, timeout=settings.tool_timeout_s, env=_ENV, check=False,
        )
    except subprocess.TimeoutExpired:
        raise MediaError(f"OCR of {shown!r} took longer than {settings.tool_timeout_s:.0f} s and was stopped.") from None
    if proc.returncode != 0:
        why = proc.stderr.decode(errors="replace").strip().splitlines()
        reason = next((ln for ln in why if "Error" in ln or "Failed" in ln), why[-1] if why else f"exit {proc.returncode}")
        raise MediaError(f"tesseract could not read {shown!r}: {reason.strip().rstrip('.')}.")
    return tsv_to_text(proc.stdout.decode("utf-8", errors="replace"), settings.ocr_min_conf)


class TesseractOCR(Extractor):
    name = "ocr"
    media_types = ("image",)
    version = "1"

    def __init__(self, settings: MediaSettings) -> None:
        self.settings = settings

    def settings_key(self) -> str:
        s = self.settings
        return f"{s.ocr_langs}|{s.ocr_min_conf}|{s.ocr_max_side}"

    def extract(self, media: MediaFile) -> Extraction:
        from .pdq import hash_image
        from .safety import open_image

        shown = media.path.name
        img = open_image(media.path, self.settings, shown)
        try:
            frame = img
            if getattr(img, "n_frames", 1) > 1:  # animated GIF/WebP: the first frame
                img.seek(0)
            frame = img.convert("RGB")
            text = ocr_image(frame, self.settings, shown)
            hashes = (hash_image(frame, "pdq"),)
        finally:
            img.close()
        segments = (Segment("ocr", text),) if text.strip() else ()
        return Extraction(segments, hashes)
