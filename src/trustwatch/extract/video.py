"""Video → frames through OCR and PDQ, and the audio track through ASR, with Debian's ffmpeg.

Frames are decoded at `frame_fps` (1 per second) straight into memory as raw RGB through a pipe,
never written to disk. A frame whose PDQ hash is within a few bits of the last one read is the same
picture (a static title card, a talking head), so it is neither OCR'd nor reported again: a
ten-second clip with one banner costs one OCR call, not ten.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MissingToolError, TrustwatchError
from .base import Extraction, Extractor, ImageHash, MediaError, MediaFile, Segment
from .settings import MediaSettings

SAME_FRAME_BITS = 10  # PDQ distance under which two consecutive frames count as one picture
FRAME_SIDE = 1280  # frames are scaled down to this before OCR


THUMB_SIDE = 360


def jpeg_thumb(img: Any) -> bytes:
    """A small JPEG of an image or frame, for the report's evidence."""
    img = img.convert("RGB")
    img.thumbnail((THUMB_SIDE * 2, THUMB_SIDE * 2))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=70)
    return buf.getvalue()


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise MissingToolError(f"{name} is not installed, so audio and video cannot be read.", "Install the Debian package ffmpeg (make install does).")
    return exe


@dataclass(frozen=True, slots=True)
class ProbeInfo:
    duration: float | None
    has_audio: bool
    has_video: bool
    width: int = 0
    height: int = 0


def probe(path: Path, settings: MediaSettings, shown: str) -> ProbeInfo:
    try:
        proc = subprocess.run(
            [_tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
            capture_output=True, timeout=min(60.0, settings.tool_timeout_s), check=False,
        )
    except subprocess.TimeoutExpired:
        raise MediaError(f"Reading the header of {shown!r} took too long; the file is probably damaged.") from None
    if proc.returncode != 0:
        why = proc.stderr.decode(errors="replace").strip().splitlines()
        reason = why[-1].split(": ", 1)[-1] if why else "unknown format"
        raise MediaError(f"The file {shown!r} is not a readable audio or video file ({reason.rstrip('.')}).")
    data = json.loads(proc.stdout or b"{}")
    streams = data.get("streams", [])
    video = [
        s for s in streams
        if s.get("codec_type") == "video" and s.get("disposition", {}).get("attached_pic") != 1 and s.get("width") and s.get("height")
    ]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    duration = None
    for src in [data.get("format", {}), *streams]:
        try:
            duration = float(src["duration"])
            break
        except (KeyError, TypeError, ValueError):
            continue
    w = int(video[0].get("width") or 0) if video else 0
    h = int(video[0].get("height") or 0) if video else 0
    return ProbeInfo(duration, bool(audio), bool(video), w, h)


def pcm(path: Path, settings: MediaSettings, shown: str, max_seconds: float | None = None) -> Any:
    """The audio track as 16 kHz mono float32 samples (numpy), what Whisper reads: ffmpeg decodes
    and resamples straight into a pipe, with no temporary file and no second decode."""
    import numpy as np

    cmd = [_tool("ffmpeg"), "-nostdin", "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", "16000"]
    if max_seconds:
        cmd += ["-t", str(max_seconds)]
    try:
        proc = subprocess.run([*cmd, "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1"], capture_output=True,
                              timeout=settings.tool_timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise MediaError(f"Decoding the audio of {shown!r} took longer than {settings.tool_timeout_s:.0f} s.") from None
    if proc.returncode != 0 or len(proc.stdout) < 2:
        why = proc.stderr.decode(errors="replace").strip().splitlines()
        raise MediaError(f"The audio of {shown!r} could not be decoded ({(why[-1] if why else 'no audio samples').rstrip('.')}).")
    data = proc.stdout[: len(proc.stdout) // 2 * 2]
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def frames(path: Path, info: ProbeInfo, settings: MediaSettings, shown: str) -> Iterator[tuple[float, object]]:
    """(time in seconds, PIL image) for each sampled frame, decoded through a pipe."""
    from PIL import Image

    w, h = info.width, info.height
    if w <= 0 or h <= 0:
        raise MediaError(f"The video {shown!r} reports no frame size.")
    if w * h > settings.max_pixels:
        raise MediaError(f"The video {shown!r} has {w}×{h} frames, over the {settings.max_pixels:,}-pixel limit.")
    scale = min(1.0, FRAME_SIDE / max(w, h))
    ow, oh = max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)
    cmd = [
        _tool("ffmpeg"), "-nostdin", "-v", "error", "-i", str(path), "-an",
        "-vf", f"fps={settings.frame_fps},scale={ow}:{oh}", "-frames:v", str(settings.frame_max),
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]
    size = ow * oh * 3
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        k = 0
        assert proc.stdout is not None
        while True:
            buf = proc.stdout.read(size)
            if len(buf) < size:
                break
            yield k / settings.frame_fps, Image.frombytes("RGB", (ow, oh), buf)
            k += 1
        proc.wait(timeout=settings.tool_timeout_s)
        if k == 0:
            why = (proc.stderr.read() if proc.stderr else b"").decode(errors="replace").strip().splitlines()
            raise MediaError(f"No frame of the video {shown!r} could be decoded ({(why[-1] if why else 'empty stream').rstrip('.')}).")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                f.close()


class VideoExtractor(Extractor):
    """Frames (OCR, PDQ) as `frame@12.0s:ocr` / `frame@12.0s:pdq`, and the soundtrack as `asr@3.5s`."""

    name = "video"
    media_types = ("video",)
    version = "3"  # 3: greedy decoding without temperature fallback (asr.DECODING)

    def __init__(self, settings: MediaSettings, asr: Extractor | None) -> None:
        self.settings = settings
        self.asr = asr

    def settings_key(self) -> str:
        s = self.settings
        asr = self.asr.settings_key() if self.asr is not None else "-"
        return f"{s.frame_fps}|{s.frame_max}|{s.ocr_langs}|{s.ocr_min_conf}|{asr}"

    def extract(self, media: MediaFile) -> Extraction:
        from .ocr import ocr_image
        from .pdq import distance, hash_image

        shown = media.path.name
        s = self.settings
        info = probe(media.path, s, shown)
        if not info.has_video:
            raise MediaError(f"The file {shown!r} has no video stream that can be decoded.")
        if info.duration is not None and info.duration > s.max_video_seconds:
            raise MediaError(f"The video {shown!r} is {info.duration:.0f} s long, over the {s.max_video_seconds:.0f} s limit.")
        segments: list[Segment] = []
        hashes: list[ImageHash] = []
        notes: list[str] = []
        thumbs: list[tuple[str, str]] = []
        last: ImageHash | None = None
        last_text = ""
        for t, img in frames(media.path, info, s, shown):
            h = hash_image(img, f"frame@{t:.1f}s:pdq", t)
            if last is not None and distance(h.variants[0], last.variants[0]) <= SAME_FRAME_BITS:
                continue  # the same picture as the frame before: nothing new to read or match
            last = h
            hashes.append(h)
            text = ocr_image(img, s, f"{shown} at {t:.1f} s")
            if text.strip() and text != last_text:
                segments.append(Segment(f"frame@{t:.1f}s:ocr", text, round(t, 2)))
                thumbs.append((f"frame@{t:.1f}s:ocr", base64.b64encode(jpeg_thumb(img)).decode()))
            last_text = text
        if info.has_audio and self.asr is not None:
            try:
                audio = pcm(media.path, s, shown)
                speech, _ = self.asr.transcribe(audio, media.lang or s.asr_default_lang, shown)  # type: ignore[attr-defined]
                segments.extend(speech)
            except TrustwatchError as exc:  # no speech model, or a damaged soundtrack: keep the frames
                notes.append(str(exc))
        return Extraction(tuple(segments), tuple(hashes), info.duration, tuple(notes), tuple(thumbs))
