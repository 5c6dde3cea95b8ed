"""What the media tests make and expect: the texts rendered into images and spoken, and where
each file lies in the session's export folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PRICE_LIST = ["BẢNG GIÁ DỊCH VỤ", "Xem bói tình duyên: 300k/lần", "Giải hạn, cắt duyên âm: 2 triệu", "Liên hệ Zalo 0912 345 678"]
OFFER = ["Xem bói tarot 200k/lần", "Giải hạn, trục vong", "Liên hệ Zalo 0987 654 321"]
GREETING = ["Chúc mừng năm mới", "An khang thịnh vượng"]
SPEECH_EN = "Book your tarot reading today. Send a bank transfer of fifty dollars and we will remove your bad luck."
SPEECH_VI = "Xin chào các bạn, hôm nay trời đẹp quá."


@dataclass(frozen=True)
class MediaSet:
    root: Path  # the input folder (posts.jsonl goes here)

    def __getattr__(self, name: str) -> Path:
        return self.root / "media" / FILES[name]


FILES = {
    "price": "price.jpg", "greeting": "greeting.png", "offer": "offer.png", "speech_en": "speech_en.ogg",
    "speech_vi": "speech_vi.wav", "clip": "clip.mp4", "truncated": "truncated.jpg", "text_as_jpg": "notes.jpg",
    "empty_audio": "empty.wav", "bomb": "bomb.png", "long_video": "two_hours.mp4", "blank": "blank.png",
    "silence": "silence.wav",
}
