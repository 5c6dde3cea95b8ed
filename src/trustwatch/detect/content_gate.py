"""The content gate of the classifier signal: a text too bare to say what is offered is not shown
to a classifier.

The seed classifiers learned that contact and payment lines go with paid offers, because nearly
every offer ends with one. Alone, such a line (`ib zalo 0912 345 678`, `Liên hệ zalo 0912 345 678
để được tư vấn`, `DM me for more info`) says nothing about *what* is sold, yet the classifiers score
it above 0.5, and the pack's commerce group is satisfied by the same line, so it would be flagged.
The classifier stands in for a pack's topic evidence, so it may only speak where there is a topic
to judge: a text counts as content when it has at least `min_content_words` words left once these
are set aside:

- numbers of any kind (phones, prices `300k`, `2tr5`, codes) and single letters;
- web addresses, e-mail addresses and @handles;
- the words in `STOPWORDS` and the two-word phrases in `STOP_PAIRS` below (folded, so `liên hệ`
  and `lien he` are one entry): contact channels and calls to action, payment, and the filler
  around them (particles, pronouns, prepositions, "please", "more info"). They are deliberately
  few: only words that carry no subject in any of the four seed categories. A word that could name
  what is sold (`xem`, `thầy`, `bói`, `cược`, `vay`, `review`) is not among them;
- a word already counted (a word repeated is one word).

Words are counted on the normalizer's folded view (lowercase ASCII, teencode expanded: `ib` is
already `inbox`, `ck` is `chuyen khoan`), so spellings with and without diacritics count the same.
Folding merges some words (`bán`/`bạn` are both `ban`). A single word is listed when the words it
folds from are, in these posts, mostly filler; the few topic syllables lost that way (`lá` số,
lô `đề`, `căn` đồng, cậu `đồng`) cost a post one word, and a real offer has many more.

The check is a split and a set lookup per word, stopping at the limit; a second fold is made only
for a text with an address or handle in it.
"""

from __future__ import annotations

import re

from ..normalize import Normalized, fold

# Folded words that say nothing about what a post offers. Keep it small and explain additions.
# A syllable that is also part of a topic word once folded (`vận` hạn, `cúng`, `vay` tiền, `tài`
# xỉu, `quà`, bóng `đá`) is not listed alone; its filler uses are listed as pairs in STOP_PAIRS.
# Contact channels, addresses and calls to action: zalo, inbox (ib), alo, sđt, "for details".
_CONTACT = (
    "zalo zl inbox messenger mess fanpage page facebook fb tele telegram whatsapp viber hotline "
    "sdt so alo goi kb add sms chat dm pm message messages msg text call contact email mail gmail "
    "phone number tel link bio profile trang web website site info information detail details "
    "more support please pls plz kindly click check here below duoi tren now ngay xin hay get "
    "touch reach out ask inquiries inquiry questions question interested book booking order"
)
# Payment: cọc, giá, phí, tiền, triệu (tr), nghìn, đồng; stk is `so tai khoan` after teencode.
_PAYMENT = (
    "stk coc gia phi tien trieu nghin ngan dong vnd usd momo bank price fee pay payment deposit "
    "cod ship free mien"
)
# Pronouns and forms of address.
_PRONOUNS = (
    "toi minh em anh chi ban co chu bac ong ba ad admin shop ae moi "
    "i me my we us our you your they them he she him her it"
)
# Particles, conjunctions and other filler (Vietnamese, then English).
_FILLER = (
    "nha nhe nhen ne a ah oi ha hen ak uh duoc de cho voi va hoac thi la ai can muon nao gi "
    "roi luon nay do day khong se dang "
    "the an and or to for of in on at by with from is are be this that if any just only via "
    "all anything need want will do"
)
# Folded as the text is (doubled letters collapse: `need` is `ned`, `free` is `fre`), so each entry
# is written as people spell it.
STOPWORDS: frozenset[str] = frozenset(fold(w, teencode=False) for w in f"{_CONTACT} {_PAYMENT} {_PRONOUNS} {_FILLER}".split())
# Two-word fillers whose syllables alone can carry a topic: tư vấn, chi tiết, thông tin, liên hệ
# (lh), nhắn tin, chuyển khoản (ck), tài khoản, thanh toán, hỗ trợ, vui lòng, ưu đãi, quan tâm …
STOP_PAIRS: frozenset[tuple[str, str]] = frozenset(
    tuple(fold(p, teencode=False).split()) for p in (
        "tu van", "chi tiet", "thong tin", "lien he", "lien lac", "nhan tin", "nhan rieng", "ket ban",
        "dien thoai", "chuyen khoan", "tai khoan", "thanh toan", "ngan hang", "dat coc", "dat lich",
        "dat hang", "ho tro", "vui long", "thac mac", "quan tam", "khach hang", "quy khach",
        "moi nguoi", "co the", "uu dai", "khuyen mai", "giam gia",
    )
)
_PAIR_FIRST = frozenset(a for a, _ in STOP_PAIRS)

# Web and e-mail addresses and @handles: their pieces fold into ordinary-looking words.
_ADDRESS_RE = re.compile(
    r"(?:https?://|www\.)\S+|\S+@\S+|@[\w.]+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|vn|net|org|me|ly|io|co|info|link|shop|xyz|app|gg|to|cc|tv|site|online)\b(?:/\S*)?",
    re.IGNORECASE,
)
# Every address above has one of these; most texts have none, so the full pattern rarely runs.
_ADDRESS_HINT = re.compile(r"[@/]|www|\.[a-zA-Z]{2}")


def content_words(norm: Normalized, limit: int) -> int:
    """How many topic-bearing words the text has, counted up to `limit` (the caller's gate)."""
    if limit <= 0:
        return 0
    folded = norm.folded_text
    plain = norm.plain_text
    if _ADDRESS_HINT.search(plain):
        stripped = _ADDRESS_RE.sub(" ", plain)
        if stripped != plain:
            folded = fold(stripped)
    seen: set[str] = set()
    words = folded.split()
    skip = False
    for i, w in enumerate(words):
        if skip:  # the second word of a stop pair
            skip = False
            continue
        if w in _PAIR_FIRST and i + 1 < len(words) and (w, words[i + 1]) in STOP_PAIRS:
            skip = True
            continue
        if len(w) > 1 and w not in STOPWORDS and w.isalpha() and w not in seen:
            seen.add(w)
            if len(seen) >= limit:
                break
    return len(seen)
