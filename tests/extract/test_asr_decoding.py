"""How the speech extractor decodes, on real espeak-ng speech, real ffmpeg and the installed model:
greedy at temperature 0 with a repeat guard (asr.DECODING), audio decoded by ffmpeg into memory,
segment times right after VAD has cut the silence out."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from trustwatch.extract import MediaError, MediaSettings, synth
from trustwatch.extract.asr import WhisperASR
from trustwatch.extract.base import MediaFile
from trustwatch.extract.safety import resolve
from trustwatch.extract.video import pcm, probe

SETTINGS = MediaSettings(cache_path=None)
PITCH = "Book a tarot reading today. Send a bank transfer of fifty dollars and we will remove your bad luck. "
LOOPS_VI = "Mời cô chú đến dự đám cưới của chúng tôi."  # at temperature 0 with no guard, Whisper base loops on it
REPEATS_EN = "Call now, call now, call now. Buy today, buy today, buy today, before it is gone."


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("asr")
    synth.speak(d / "pitch.ogg", PITCH * 8, "en")  # 54 s: two 30-s windows
    synth.speak(d / "loops_vi.wav", LOOPS_VI, "vi")
    synth.speak(d / "repeats_en.wav", REPEATS_EN, "en")
    # three seconds of silence, then a sentence: VAD cuts the silence out, the times must not move
    synth.speak(d / "prize.wav", "Click the link to claim your prize.", "en")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-t", "3", "-i", "anullsrc=r=22050:cl=mono",
         "-i", str(d / "prize.wav"), "-filter_complex", "[0:a][1:a]concat=n=2:v=0:a=1", str(d / "late.ogg")],
        check=True,
    )
    (d / "notes.wav").write_text("not audio at all\n")
    return d


@pytest.fixture(scope="module")
def asr() -> WhisperASR:
    return WhisperASR(SETTINGS, workers=1)


def audio(folder: Path, name: str, lang: str) -> MediaFile:
    return resolve(name, folder, "audio", SETTINGS, lang)


def text_of(ex) -> str:  # type: ignore[no-untyped-def]
    return " ".join(s.text for s in ex.segments)


def test_a_repeated_pitch_is_transcribed_whole(clips: Path, asr: WhisperASR) -> None:
    # Spoken eight times over 54 s. faster-whisper's temperature fallback took the repetition (a high
    # compression ratio) for a decoding loop and re-sampled windows into a fraction of the text
    # (3 to 6 of the 8 in our runs); greedy decoding keeps all of it.
    text = text_of(asr.extract(audio(clips, "pitch.ogg", "en"))).lower()
    assert text.count("tarot reading") == 8 and text.count("bad luck") == 8


def test_speech_that_repeats_itself_is_kept(clips: Path, asr: WhisperASR) -> None:
    text = text_of(asr.extract(audio(clips, "repeats_en.wav", "en"))).lower()
    assert len(re.findall(r"call now", text)) == 3


def test_a_decoding_loop_is_cut_and_transcripts_do_not_vary(clips: Path, asr: WhisperASR) -> None:
    first = asr.extract(audio(clips, "loops_vi.wav", "vi"))
    text = text_of(first)
    # With no guard the model repeats one syllable until its 448-token limit (~16× the sentence).
    assert text and len(text) < 3 * len(LOOPS_VI)
    assert not re.search(r"(\b\w+\b)(\s+\1\b){5}", text, re.IGNORECASE)
    assert asr.extract(audio(clips, "loops_vi.wav", "vi")) == first  # no sampling: the same every time


def test_speech_after_silence_keeps_its_time(clips: Path, asr: WhisperASR) -> None:
    ex = asr.extract(audio(clips, "late.ogg", "en"))
    assert "claim your prize" in text_of(ex).lower()
    first = ex.segments[0]
    assert 2.5 <= first.t <= 3.6, first
    assert first.position == f"asr@{first.t:.1f}s"
    assert ex.duration is not None and first.end_t is not None and first.t < first.end_t <= ex.duration + 0.1


def test_audio_is_decoded_to_16_khz_mono_in_memory(clips: Path) -> None:
    path = clips / "late.ogg"
    samples = pcm(path, SETTINGS, path.name)
    duration = probe(path, SETTINGS, path.name).duration
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert duration is not None and abs(len(samples) / 16000 - duration) < 0.1
    assert float(np.abs(samples[: 16000 * 2]).max()) < 1e-3 < float(np.abs(samples).max()) <= 1.0  # silence, then speech
    with pytest.raises(MediaError, match="could not be decoded") as info:
        pcm(clips / "notes.wav", SETTINGS, "notes.wav")
    assert info.value.message.endswith(".") and "\n" not in info.value.message


def test_each_scan_worker_gets_its_share_of_the_cores() -> None:
    import os
    import sys

    from trustwatch.extract.registry import build_extractors

    cores = len(os.sched_getaffinity(0))
    built = build_extractors(SETTINGS, workers=2)  # what each worker of `scan --workers 2` builds
    assert built["audio"][0].threads == max(1, cores // 2)
    assert built["video"][0].asr is built["audio"][0]  # one model per process
    assert build_extractors(SETTINGS, workers=1)["audio"][0].threads == cores
    assert MediaSettings(asr_threads=3).threads(2) == 3
    # pinned to one core (taskset, a cgroup cpuset), even a single worker gets one thread
    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from trustwatch.extract import MediaSettings; print(MediaSettings().threads(1))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "1"
