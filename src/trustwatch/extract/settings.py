"""Media settings: where models live, the bounds that keep bad media from sinking a scan, and the
hash banks. A frozen dataclass, so it travels to worker processes as one small picklable value."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def default_cache_path(db: str | None) -> str | None:
    """The extraction cache beside a SQLite database file (`trustwatch.db` → `trustwatch.db.media-cache`);
    for a server URL, `./trustwatch-media-cache.sqlite`; None (no cache) only when asked for."""
    if db is None:
        return "./trustwatch-media-cache.sqlite"
    if "://" not in db:
        return db + ".media-cache"
    if db.startswith("sqlite:///") and len(db) > len("sqlite:///"):
        return db[len("sqlite:///") :] + ".media-cache"
    return "./trustwatch-media-cache.sqlite"


@dataclass(frozen=True)
class MediaSettings:
    enabled: bool = True
    # Bounds: a file past them gets a one-sentence error on its media item, never a crash.
    max_image_bytes: int = 50 * 1024 * 1024
    max_audio_bytes: int = 200 * 1024 * 1024
    max_video_bytes: int = 1024 * 1024 * 1024
    max_pixels: int = 40_000_000  # decompression bombs: checked from the header before decoding
    max_audio_seconds: float = 1800.0
    max_video_seconds: float = 900.0
    tool_timeout_s: float = 300.0  # any one tesseract/ffmpeg call
    # OCR
    ocr_langs: str = "vie+eng"
    ocr_min_conf: float = 60.0  # words tesseract is less sure of are background noise
    ocr_max_side: int = 2000  # larger images are scaled down first (OCR time grows with pixels)
    # ASR
    asr_model: str | None = None  # a faster-whisper model directory; None: the installed default
    asr_threads: int = 0  # 0: the machine's cores divided by the scan's workers
    asr_default_lang: str = "vi"  # when neither the post nor its text says
    asr_compute_type: str = "int8"
    asr_vad: bool = True  # skip silence (Silero VAD, shipped inside faster-whisper): faster, and no invented text
    # Video
    frame_fps: float = 1.0
    frame_max: int = 900  # as many as max_video_seconds at 1 fps
    # Known-image matching
    banks_db: str | None = None  # the store holding the hash banks (default: the scan's --db)
    # Cache
    cache_path: str | None = field(default=None)
    media_root: str | None = None  # base folder for media of records read from stdin

    def threads(self, workers: int) -> int:
        """Speech-model threads per worker process: the cores this process may run on (taskset and
        cgroup cpusets included) shared out among the scan's workers, so `scan --workers 2` on two
        cores runs two single-threaded transcriptions side by side."""
        if self.asr_threads > 0:
            return self.asr_threads
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, cores // max(1, workers))


def base_dir(source: str, settings: MediaSettings) -> Path:
    """The folder media paths are relative to: the input file's folder, or for stdin the
    `media_root` setting (default: the current folder)."""
    if source == "-" or not source:
        return Path(settings.media_root or ".").resolve()
    return Path(source).resolve().parent
