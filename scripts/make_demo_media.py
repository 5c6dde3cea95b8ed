"""Make the demo's media (examples/media/) and the posts that carry them (examples/media_posts.jsonl).

Each demo post has a harmless caption; what offends is only in its image, voice clip or video:
  md:1  a fortune-teller's price list as an image                    → superstition_service
  md:2  a "you won a prize, pay the fee" voice message (English)     → scam
  md:3  a greeting video whose second scene is a betting banner      → gambling
  md:4  a post whose picture is missing: a media error, the post is still scanned
Run: .venv/bin/python scripts/make_demo_media.py   (needs espeak-ng, ffmpeg and a DejaVu font)
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from trustwatch.extract import synth

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def main() -> None:
    media = EXAMPLES / "media"
    media.mkdir(parents=True, exist_ok=True)
    synth.render_image(
        media / "price_list.jpg",
        ["BẢNG GIÁ DỊCH VỤ TÂM LINH", "Xem bói tình duyên: 300k/lần", "Giải hạn, cắt duyên âm: 2 triệu", "Liên hệ Zalo 0912 345 678"],
        size=(640, 0), font_size=30, quality=70,
    )
    synth.speak(
        media / "voice_prize.ogg",
        "Congratulations, you have won an iPhone. To receive your prize, pay a small shipping fee by bank transfer today.",
        "en",
    )
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        greeting = synth.render_image(t / "greeting.png", ["Chúc mừng năm mới", "An khang thịnh vượng"], size=(640, 360),
                                      bg=(20, 30, 70), fg=(255, 255, 255), font_size=40)
        banner = synth.render_image(t / "banner.png", ["Nhà cái uy tín số 1", "Nạp lần đầu tặng 100%", "Tài xỉu, nổ hũ đổi thưởng"],
                                    size=(640, 360), bg=(250, 250, 250), fg=(150, 0, 0), font_size=38)
        synth.make_video(media / "new_year.mp4", [(greeting, 3), (banner, 3)])
    posts = [
        {"id": "md:1", "platform": "facebook", "lang": "vi", "text": "Cuối tuần vui vẻ cả nhà ơi 🌸",
         "author": {"id": "page:demo1", "name": "Góc Bình Yên"}, "media": [{"type": "image", "path": "media/price_list.jpg"}]},
        {"id": "md:2", "platform": "zalo", "lang": "en", "text": "Listen to this good news!",
         "author": {"id": "user:demo2"}, "media": [{"type": "audio", "path": "media/voice_prize.ogg"}]},
        {"id": "md:3", "platform": "tiktok", "lang": "vi", "text": "Năm mới an khang 🎉",
         "author": {"id": "creator:demo3", "followers": 54000}, "media": [{"type": "video", "path": "media/new_year.mp4"}]},
        {"id": "md:4", "platform": "facebook", "lang": "vi", "text": "Ảnh đi chơi hôm qua",
         "media": [{"type": "image", "path": "media/not_uploaded.jpg"}]},
    ]
    with open(EXAMPLES / "media_posts.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(p, ensure_ascii=False) + "\n" for p in posts)
    total = sum(p.stat().st_size for p in media.iterdir())
    print(f"wrote {len(posts)} posts and {total / 1024:.0f} KB of media to {EXAMPLES}", file=sys.stderr)


if __name__ == "__main__":
    main()
