"""Media the tests make themselves (PIL + a Debian font, espeak-ng, ffmpeg), once per session, in a
temporary folder laid out like a real export: `posts.jsonl` beside a `media/` folder."""

from __future__ import annotations

import pytest
from media_fixtures import FILES, GREETING, OFFER, PRICE_LIST, SPEECH_EN, SPEECH_VI, MediaSet

from trustwatch.extract import synth


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> MediaSet:
    from PIL import Image

    root = tmp_path_factory.mktemp("export") / "in"
    m = root / "media"
    m.mkdir(parents=True)
    synth.render_image(m / FILES["price"], PRICE_LIST)
    synth.render_image(m / FILES["greeting"], GREETING, size=(640, 360), bg=(20, 30, 70), fg=(255, 255, 255), font_size=40)
    synth.render_image(m / FILES["offer"], OFFER, size=(640, 360), bg=(250, 250, 250), fg=(150, 0, 0), font_size=38)
    Image.new("RGB", (400, 300), (255, 255, 255)).save(m / FILES["blank"])
    synth.speak(m / FILES["speech_en"], SPEECH_EN, "en")
    synth.speak(m / FILES["speech_vi"], SPEECH_VI, "vi")
    synth.make_video(m / FILES["clip"], [(m / FILES["greeting"], 3), (m / FILES["offer"], 3)])
    synth.long_video(m / FILES["long_video"], 7200)
    data = (m / FILES["price"]).read_bytes()
    (m / FILES["truncated"]).write_bytes(data[: len(data) // 2])
    (m / FILES["text_as_jpg"]).write_text("this is a text file, not a picture\n")
    (m / FILES["empty_audio"]).write_bytes(b"")
    Image.new("1", (10_000, 10_000)).save(m / FILES["bomb"])  # 100 Mpx in a few kB
    import subprocess

    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "4", str(m / FILES["silence"])], check=True)
    # A real file outside the input folder, so the escape check is what refuses it.
    synth.render_image(root.parent / "outside.jpg", PRICE_LIST)
    return MediaSet(root)
