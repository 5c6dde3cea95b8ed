"""Pattern signal: regular expressions for contact details, money and links.

Patterns run on the plain view (NFC, invisible characters removed, original letters), so a phone
number written `0 9 1 2 . 3 4 5 . 6 7 8` or a price `2tr5` is found and its evidence span points
into the original text. Each distinct regex runs once per source, however many packs use it.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .base import Document, Hit, Matcher, SignalRef, SignalType

_SEP = r"[\s.\-·]*"
_BANKS = (
    r"vietcombank|vcb|techcombank|tcb|mb\s?bank|mbbank|bidv|agribank|vietinbank|acb|tp\s?bank|vp\s?bank|"
    r"sacombank|shb|hdbank|vib|ocb|msb|seabank|eximbank|scb|lpbank|lienvietpostbank|abbank|nam\s?a\s?bank|"
    r"bac\s?a\s?bank|pvcombank|kienlongbank|vietbank|momo|zalopay|viettel\s?money|timo|cake|ubank"
)

# Built-in patterns (name -> regex). Written for Vietnamese and international formats; every one is
# case-insensitive unless it sets its own flags.
BUILTIN: dict[str, str] = {
    # Vietnamese mobiles (03/05/07/08/09 + 8 digits, or +84), landlines (02x), hotlines 1900/1800,
    # with spaces, dots or dashes anywhere between digits.
    "vn_phone": (
        rf"(?<![\d+])(?:(?:\+|00){_SEP}84{_SEP}\(?0?\)?|0){_SEP}[35789](?:{_SEP}\d){{8}}(?!\d)"
        rf"|(?<![\d+])0{_SEP}2(?:{_SEP}\d){{9}}(?!\d)"
        rf"|(?<!\d)1[89]00(?:{_SEP}\d){{4,6}}(?!\d)"
    ),
    "intl_phone": r"(?<![\w+])\+(?!84)[1-9](?:[\s.\-()]*\d){7,14}(?!\d)",
    "zalo": (
        r"(?<![\w@])(?:z[a@4]\s?l[o0]+|dz?alo|zl)(?![a-z])(?:[\s:.\-/]*(?:\+?84|0)?[\d\s.\-]{8,14}\d)?"
    ),
    "telegram": (
        r"(?:\bt\.me/[\w+]{3,}|(?<![\w@])(?:telegram|tele|tlg|tg)(?![a-z])[\s:.\-]*@?[a-z][\w.]{3,}"
        r"|(?<![\w@])(?:telegram|tele)(?![a-z]))"
    ),
    "whatsapp": r"(?:\bwa\.me/\+?\d{6,}|(?<![\w])whats\s?app(?![a-z])(?:[\s:.\-]*\+?[\d\s.\-]{8,16}\d)?)",
    "bank_account": (
        rf"(?:(?<![\w])(?:stk|số\s*tk|số\s*tài\s*khoản|so\s*tai\s*khoan|tài\s*khoản|account\s*(?:number|no\.?)|acc\s*no\.?|a/c)"
        rf"[\s:.\-]*(?:(?:{_BANKS})[\s:.\-]*)?\d(?:[\s.\-]?\d){{5,18}}(?!\d)"
        rf"|(?<![\w])(?:{_BANKS})(?![a-z])[\s:.\-]*(?:stk[\s:.\-]*)?\d(?:[\s.\-]?\d){{6,18}}(?!\d)"
        rf"|(?<!\d)\d(?:[\s.\-]?\d){{7,18}}[\s:.\-]*(?:\(|-)?\s*(?:{_BANKS})(?![a-z]))"
    ),
    "url": (
        r"(?:https?://[^\s<>\"')]+|(?<![\w@.])www\.[^\s<>\"')]+"
        r"|(?<![\w@.\-])[a-z0-9][a-z0-9\-]{1,62}\.(?:com|vn|net|org|io|xyz|top|club|bet|vip|info|me|cc|co|shop|store"
        r"|link|site|online|app|asia|win|fun|live|pro|tv|us|biz|page|ly|gg)(?:\.vn)?(?:/[^\s<>\"')]*)?(?![\w.]))"
    ),
    "short_url": (
        r"(?<![\w.])(?:https?://)?(?:bit\.ly|tinyurl\.com|s\.id|shorturl\.at|cutt\.ly|rb\.gy|t\.co|goo\.gl|is\.gd"
        r"|ow\.ly|tiny\.cc|shope\.ee|s\.shopee\.vn|vt\.tiktok\.com|linktr\.ee|bom\.so|urlgot\.com|tinyurl|lnkd\.in"
        r"|amzn\.to|lzd\.co|c\.lazada\.vn|fb\.me|bitly\.ws)/[^\s<>\"')]+"
    ),
    "price": (
        r"(?<![\w.,])(?:"
        r"\d{1,3}(?:[.,]\d{3})+\s*(?:đ|₫|vnđ|vnd|đồng|dong|d)(?![\w])"
        r"|\d+(?:[.,]\d+)?\s*(?:k|K|nghìn|ngàn|ngan|nghin|củ|cu|lít|xị|tr|triệu|trieu|tỷ|tỏi)(?:\s?\d+)?(?![\w])"
        r"|\d+\s*(?:đ|₫|vnđ|vnd|đồng)(?![\w])"
        r"|\$\s?\d+(?:[.,]\d+)?(?:\s?[kK])?"
        r"|\d+(?:[.,]\d+)?\s*(?:usd|usdt|dollars?|bucks|eur|€)(?![\w])"
        r")"
    ),
    "discount_code": (
        r"(?i:(?<![\w])(?:mã\s*giảm\s*giá|ma\s*giam\s*gia|mã\s*(?:giảm|gg|code|voucher|km)|mgg|voucher|coupon|"
        r"promo\s*code|discount\s*code|use\s*code|dùng\s*code|nhập\s*(?:mã|code)|nhap\s*ma|code)(?![a-z]))"
        r"[\s:\-\"'“”]*(?=[A-Z0-9]*\d|[A-Z]{4,})[A-Z0-9][A-Z0-9_\-]{3,19}(?![\w])"
    ),
    "email": r"(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![\w])",
}
_CASE_SENSITIVE = {"discount_code"}


class PatternConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = "pattern"
    group: str
    name: str
    regex: str | None = None
    weight: float = Field(0.6, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _check(self) -> PatternConfig:
        if self.regex is None and self.name not in BUILTIN:
            raise ValueError(
                f"{self.name!r} is not a built-in pattern and has no `regex`; add `regex:` or use one of {sorted(BUILTIN)}"
            )
        try:
            _compile(self)
        except re.error as exc:
            raise ValueError(f"the regex does not compile ({exc})") from None
        return self


def _compile(cfg: PatternConfig) -> re.Pattern[str]:
    if cfg.regex is not None:
        return re.compile(cfg.regex, re.IGNORECASE)
    flags = 0 if cfg.name in _CASE_SENSITIVE else re.IGNORECASE
    return re.compile(BUILTIN[cfg.name], flags)


class _PatternMatcher(Matcher):
    def __init__(self, refs: list[SignalRef]) -> None:
        by_regex: dict[tuple[str, int], tuple[re.Pattern[str], list[tuple[int, str, float]]]] = {}
        for ref in refs:
            cfg: PatternConfig = ref.config
            compiled = _compile(cfg)
            entry = by_regex.setdefault((compiled.pattern, compiled.flags), (compiled, []))
            entry[1].append((ref.index, cfg.name, cfg.weight))
        self.patterns = list(by_regex.values())

    def match(self, doc: Document, only: frozenset[int] | None = None) -> list[Hit]:
        hits: list[Hit] = []
        for source, norm in doc.sources:
            text = norm.plain_text
            for regex, users in self.patterns:
                if only is not None and not any(u[0] in only for u in users):
                    continue
                for m in regex.finditer(text):
                    if m.end() == m.start():
                        continue
                    for ref, name, weight in users:
                        if only is not None and ref not in only:
                            continue
                        hits.append(Hit(ref, "p:" + name, source, "plain", m.start(), m.end(), weight, f"pattern {name}"))
        return hits


class PatternSignal(SignalType):
    name: ClassVar[str] = "pattern"
    cost: ClassVar[int] = 2
    config_model: ClassVar[type[BaseModel]] = PatternConfig

    @classmethod
    def build(cls, refs: list[SignalRef]) -> Matcher:
        return _PatternMatcher(refs)
