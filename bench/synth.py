"""Deterministic synthetic posts for benchmarks: Vietnamese and English, mostly ordinary, with a
share that trips the default packs, so the benchmark exercises evidence building too."""

from __future__ import annotations

import random
from collections.abc import Iterator

import orjson

VI_WORDS = ["hôm", "nay", "trời", "đẹp", "quá", "mọi", "người", "ơi", "mình", "vừa", "đi", "ăn", "phở", "ở", "quán", "quen", "gần", "nhà", "ngon", "lắm", "giá", "cũng", "hợp", "lý", "cuối", "tuần", "này", "cả", "nhà", "mình", "về", "quê", "thăm", "ông", "bà", "chụp", "được", "mấy", "tấm", "ảnh", "đẹp", "chia", "sẻ", "với", "cả", "nhà", "nhé", "công", "việc", "dạo", "này", "bận", "rộn", "nhưng", "vui", "vì", "được", "học", "hỏi", "nhiều", "điều", "mới", "đội", "bóng", "thắng", "trận", "tối", "qua", "bạn", "nào", "biết", "chỗ", "sửa", "xe", "uy", "tín", "ở", "quận", "ba", "không", "chỉ", "mình", "với", "cảm", "ơn", "nhiều", "ạ", "thời", "tiết", "se", "lạnh", "rồi"]
EN_WORDS = ["just", "got", "back", "from", "the", "market", "and", "the", "weather", "is", "lovely", "today", "we", "tried", "a", "new", "noodle", "place", "downtown", "the", "kids", "loved", "the", "park", "and", "the", "dog", "would", "not", "stop", "running", "around", "what", "a", "great", "weekend", "with", "friends", "reading", "a", "good", "book", "this", "week", "any", "recommendations", "for", "a", "quiet", "cafe", "to", "work", "from", "near", "the", "river"]
HARMFUL = [
    "Nhận xem bói tarot, giải hạn đầu năm, inbox zalo 0912 345 678 phí 500k/lần",
    "Việc nhẹ lương cao, làm nhiệm vụ like đơn hàng nhận hoa hồng 30%, nạp trước 200k, liên hệ tele @job_vip88",
    "Nhà cái uy tín K8bet nạp đầu khuyến mãi 100%, soi cầu lô đề chuẩn, link đăng ký bit.ly/k8bet-vip",
    "Serum này xài mê luôn, nhập mã SALE50 giảm 50%, link mua ngay trong bio nha mọi người",
    "Guaranteed 30% monthly returns on crypto, DM me on WhatsApp +1 415 555 0199 to start today",
    "x.e.m b.ó.i chuẩn, cắt duyên âm, trục vong, ck trước STK 1903 4567 8901 Techcombank",
]
# Share of posts carrying harmful text. Real monitoring feeds run well under 1%; 5% keeps the
# evidence path (offset maps, findings) a visible part of the cost.
HARMFUL_SHARE = 0.05
PLATFORMS = ("facebook", "tiktok", "youtube", "instagram", "x")


def post(i: int, rng: random.Random) -> dict[str, object]:
    vi = rng.random() < 0.65
    words = VI_WORDS if vi else EN_WORDS
    text = " ".join(rng.choice(words) for _ in range(rng.randint(15, 60)))
    if rng.random() < HARMFUL_SHARE:
        text = text + ". " + rng.choice(HARMFUL)
    return {
        "id": f"syn:{i}",
        "platform": PLATFORMS[i % len(PLATFORMS)],
        "url": f"https://example.com/p/{i}",
        "created_at": f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+07:00",
        "author": {"id": f"acct:{i % 5000}", "name": f"Creator {i % 5000}", "followers": (i * 37) % 250000},
        "text": text,
        "lang": "vi" if vi else "en",
        "metrics": {"views": (i * 13) % 100000, "likes": (i * 7) % 5000, "comments": i % 300, "shares": i % 120},
        "hashtags": ["review"] if i % 9 == 0 else [],
    }


def posts(n: int, seed: int = 7) -> Iterator[bytes]:
    rng = random.Random(seed)
    for i in range(n):
        yield orjson.dumps(post(i, rng)) + b"\n"


def write(path: str, n: int, seed: int = 7) -> None:
    with open(path, "wb") as f:
        buf: list[bytes] = []
        for line in posts(n, seed):
            buf.append(line)
            if len(buf) >= 10000:
                f.write(b"".join(buf))
                buf.clear()
        f.write(b"".join(buf))
