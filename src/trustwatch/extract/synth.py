"""Media the project makes itself for its tests, demo and benchmarks — never downloaded: images
rendered with PIL and a Debian font with Vietnamese glyphs, speech from espeak-ng, videos
assembled with ffmpeg from them. Deterministic for given arguments.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import MissingToolError

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)


def font_path() -> str:
    for p in FONT_CANDIDATES:
        if Path(p).is_file():
            return p
    raise MissingToolError("No font with Vietnamese glyphs was found.", "Install the Debian package fonts-dejavu-core (make install does).")


def render_image(path: Path, lines: list[str], size: tuple[int, int] = (720, 0), font_size: int = 34,
                 bg: tuple[int, int, int] = (250, 242, 215), fg: tuple[int, int, int] = (110, 0, 0), quality: int = 88) -> Path:
    """Text lines on a plain background (a banner, a price list), saved as JPEG or PNG by suffix."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_path(), font_size)
    step = int(font_size * 1.7)
    w, h = size[0], size[1] or (40 + step * len(lines))
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        d.text((24, 24 + i * step), line, font=font, fill=fg)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, quality=quality) if path.suffix.lower() in (".jpg", ".jpeg") else img.save(path)
    return path


def _run(cmd: list[str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise MissingToolError(f"{cmd[0]} is not installed.", "Install the Debian packages espeak-ng and ffmpeg (make install does).")
    proc = subprocess.run(cmd, capture_output=True, check=False, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}… failed: {proc.stderr.decode(errors='replace')[-400:]}")


def speak(path: Path, text: str, voice: str = "en", speed: int = 150) -> Path:
    """Speech with espeak-ng; `.wav` as is, other suffixes (.ogg, .mp3, .m4a) through ffmpeg."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wav = path if path.suffix.lower() == ".wav" else path.with_suffix(".tmp.wav")
    _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text])
    if wav != path:
        codec = {".ogg": ["-c:a", "libopus", "-b:a", "24k"], ".opus": ["-c:a", "libopus", "-b:a", "24k"]}.get(path.suffix.lower(), [])
        _run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-ac", "1", "-ar", "16000", *codec, str(path)])
        wav.unlink()
    return path


def make_video(path: Path, slides: list[tuple[Path, float]], audio: Path | None = None, fps: int = 10) -> Path:
    """A slideshow video (each image shown for its seconds), with an audio track if given, else silence."""
    path.parent.mkdir(parents=True, exist_ok=True)
    total = sum(s for _, s in slides)
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    for img, seconds in slides:
        cmd += ["-loop", "1", "-t", f"{seconds}", "-i", str(img)]
    if audio is not None:
        cmd += ["-i", str(audio)]
    else:
        cmd += ["-f", "lavfi", "-t", f"{total}", "-i", "anullsrc=r=16000:cl=mono"]
    n = len(slides)
    scale = "".join(f"[{i}:v]scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2,setsar=1[s{i}];" for i in range(n))
    chain = scale + "".join(f"[s{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0,format=yuv420p[v]"
    cmd += ["-filter_complex", chain, "-map", "[v]", "-map", f"{n}:a", "-r", str(fps), "-c:v", "libx264",
            "-preset", "veryfast", "-crf", "32", "-c:a", "aac", "-b:a", "32k", "-t", f"{total}", str(path)]
    _run(cmd)
    return path


def long_video(path: Path, seconds: int = 7200) -> Path:
    """A tiny-frame video of the given length (two hours by default), for the time bound."""
    _run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=32x32:r=1", "-t", str(seconds),
          "-c:v", "libx264", "-preset", "ultrafast", str(path)])
    return path
