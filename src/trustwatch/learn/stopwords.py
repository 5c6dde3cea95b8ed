"""Function words that a classifier's evidence never shows on their own.

A reviewer reads a flag's evidence spans to see *why* the post was flagged. The words that push a
linear model's score up most are often grammar (`và`, `của`, `bạn`, `the`, `to`): frequent in the
training positives, so weighted, but they say nothing. `Classifier.evidence` skips them.

Folding makes this tricky. The model reads the folded view (no diacritics), and many Vietnamese
function words fold onto content words that matter to the shipped packs: `để` and lô `đề`, `là`
and `lá` số / `lá` bùa, `cho` and `chó`, `của` and `cửa` Tài, `bởi` and `bói`, `cũng` and `cúng`,
`vậy` and `vay`, `vẫn` and `vận` hạn, `có`/`cô` and `cờ` bạc / `cổ` phiếu. So the decision is made
on the word as the user wrote it, lower-cased:

- written with diacritics: a stop word only if it is one of `VI_STOP` exactly (`để` is, `đề` is not);
- written without (or as teencode, leetspeak, spaced letters): its folded form is a stop word only
  if nothing topical folds onto it. `AMBIGUOUS` lists the folded forms that are left out for that
  reason: a post written without diacritics may show `de` or `cho` as evidence, rather than
  hiding `đề` or `chó`. English function words that are also Vietnamese syllables (`to`, `an`,
  `do`, `me`, `so`, `no`, `can`...) count only in a text that reads as English (`english`).

Bare numbers and single characters are never evidence on their own either.
"""

from __future__ import annotations

import re
import unicodedata

from ..normalize import Normalized, fold

# Vietnamese function words, as written: pronouns and forms of address, particles, conjunctions,
# prepositions, aspect and degree adverbs, quantifiers and demonstratives. Verbs, nouns and titles
# that name a trade (`thầy`, `làm` lễ, `lên` đồng, `người` âm, `năm` sinh, `sao` hạn) are not here.
_VI = (
    # pronouns and address (`cô`, `bà`, `ông` also head trade names, `cô đồng`: as a pair with a
    # content word they are still shown, see Classifier.evidence)
    "tôi tớ mình bạn các những mọi họ nó chúng ta em anh chị ông bà cô ai ae "
    # particles
    "à ạ ơi nhé nhá nha nhen nè hả hen thôi đấy đây đó kìa vậy thế chứ mà cơ "
    # conjunctions and prepositions
    "và với hoặc hay hãy nhưng thì là của cho để từ tại trong ngoài trên dưới về vào ra bằng theo qua "
    "đến tới nếu vì nên do bởi khi lúc rằng như cùng sau trước "
    # aspect, degree, negation, quantity
    "cũng còn đã đang sẽ vẫn rất quá lắm hơn nhất được bị có không chưa chẳng đều cả mỗi này kia ấy "
    "nào gì đâu bao nhiêu rồi luôn ngay liền vừa mới sắp đừng chỉ thật nhiều ít một cái chiếc thể "
    "hôm nay lại nữa thêm cần"
)
VI_STOP: frozenset[str] = frozenset(unicodedata.normalize("NFC", w) for w in _VI.split())

# Folded forms of VI_STOP words onto which a topical word also folds, so that without diacritics
# they are kept as possible evidence (the topical word they could be is in brackets).
AMBIGUOUS: frozenset[str] = frozenset((
    "to",     # tờ, tố (cáo)
    "ban",    # bán, bàn
    "cac",    # (vulgar, toxic)
    "ho",     # hụi/họ (rotating credit), hồ
    "chung",  # chứng (khoán)
    "anh",    # ảnh (bill)
    "ba",     # bùa bả, ba
    "co",     # cờ (bạc), cổ (phiếu), cỗ
    "nha",    # nhà (cái)
    "thoi",   # thời (vận)
    "do",     # đỏ (đen), độ (cá độ), đồ
    "vay",    # vay (tiền)
    "the",    # thẻ (cào, tín dụng)
    "ma",     # ma (quỷ), mã
    "thi",    # thi (hộ)
    "la",     # lá (số, bùa), lạ
    "cua",    # cửa (Tài, Xỉu)
    "cho",    # chó, chợ
    "de",     # đề (lô đề), dễ
    "tu",     # tử (vi), tự, tu
    "tai",    # tài (xỉu), tải
    "trong",  # trống, trọng
    "ngoai",  # ngoại (tình)
    "duoi",   # đuổi (vong)
    "ve",     # vé (số), vẽ
    "bang",   # bảng, băng
    "qua",    # quà (tặng), quả
    "den",    # đền, đen (đỏ đen), đèn
    "vi",     # ví (điện tử), (tử) vi
    "nen",    # nến, nền (tảng)
    "boi",    # bói
    "rang",   # răng
    "cung",   # cúng, cung (hoàng đạo)
    "con",    # con (số, giáp), cơn
    "da",     # đá (bóng đá), da
    "dang",   # đăng, đảng
    "van",    # vận (hạn), vấn
    "lam",    # làm (lễ)
    "hon",    # hồn (gọi hồn)
    "bi",     # bí (kíp)
    "chua",   # chùa, chúa
    "ca",     # cá (cược, độ)
    "dau",    # đầu (tư)
    "bao",    # báo (mộng), bảo (hiểm)
    "ngay",   # ngày (sinh)
    "lien",   # liên (hệ)
    "dung",   # đúng
    "cai",    # cài (đặt), cai (nghiện)
    "lai",    # lãi (suất)
    "can",    # căn (đồng)
    "chu",    # chú (bùa chú), chủ, chữ
))

# English function words (folded the way the text is: doubled letters collapse, `too` is `to`).
_EN = (
    "a an the and or but nor so if then than as of to in on at by for with from into onto over under "
    "about up out off i me my mine we us our you your yours he him his she her it its they them their "
    "this that these those there here who whom whose which what when where why how is are was were be "
    "been being am do does did done have has had having will would shall should can could may might "
    "must not no yes all any some more most such very just too also only now get got please"
)


def _folded(words: str) -> frozenset[str]:
    return frozenset(fold(w, teencode=False) for w in words.split())


EN_STOP: frozenset[str] = _folded(_EN)
# English function words that are also Vietnamese syllables once folded (an = ăn/an, to = to/tô,
# do = đỏ/đồ, me = mẹ, so = số, no = nợ, can = căn, than = thần, am = âm...): stop words only
# in a text that reads as English.
EN_AMBIGUOUS: frozenset[str] = EN_STOP & _folded(
    "a i an am at be but do go he hi in it me my no on so the to up than then that them can may"
)
# Words that show a text is English: no Vietnamese syllable folds onto them.
EN_CUES: frozenset[str] = _folded("and of is you your for with are was will have from this they their")

_VI_FOLDED = _folded(_VI)
# A word written without diacritics in a text written without them: stop if its folded form is.
ASCII_STOP: frozenset[str] = (_VI_FOLDED - AMBIGUOUS) | (EN_STOP - EN_AMBIGUOUS)

# Vietnamese letters with diacritics (lower and upper case): a text with many is written with them.
_ACCENTED = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE
)


def english(folded_text: str) -> bool:
    """Whether a (folded) text reads as English: two words or more that only English has, or one
    and more English function words than Vietnamese ones."""
    cues = en = vi = 0
    for w in folded_text.split():
        if w in EN_CUES:
            cues += 1
            if cues >= 2:
                return True
        if w in EN_STOP:
            en += 1
        elif w in _VI_FOLDED:
            vi += 1
    return cues >= 1 and en > vi


def accented(norm: Normalized) -> bool:
    """Whether a text is Vietnamese written with diacritics: a quarter of its words or more carry
    one. In such a text a word written without them is meant as written (`ngay`, `cho`, `to`)."""
    words = norm.folded_text.count(" ") - 1
    return words > 0 and len(_ACCENTED.findall(norm.plain_text)) >= 0.25 * words


class StopJudge:
    """Judges the words of one text's folded view (by their offsets there) against the stop list,
    looking at the characters the user wrote. Text-level facts are computed once, when needed."""

    def __init__(self, norm: Normalized) -> None:
        self.norm = norm
        self._english: bool | None = None
        self._accented: bool | None = None

    def original(self, start: int, end: int) -> tuple[int, int]:
        """Where folded-view characters start:end came from in the original text."""
        return self.norm.folded.span(start, end)

    def written(self, start: int, end: int) -> str:
        a, b = self.original(start, end)
        return unicodedata.normalize("NFKC", self.norm.original[a:b]).lower()

    def joinable(self, end: int, start: int) -> bool:
        """Whether two words of the folded view (one ending at `end`, the next starting at
        `start`) are separated by nothing but spaces in the original, so one span may hold both."""
        a = self.original(end - 1, end)[1]
        b = self.original(start, start + 1)[0]
        return not self.norm.original[a:b].strip()

    def is_title(self, start: int, end: int) -> bool:
        return unicodedata.normalize("NFC", self.written(start, end)) in TITLES

    def is_stop(self, start: int, end: int) -> bool:
        word = self.norm.folded_text[start:end]
        if len(word) <= 1 or word.isdigit():  # a single character or a bare number
            return True
        if word not in VI_FOLDED_OR_EN:  # the usual case: a content word in every reading
            return False
        written = self.written(start, end)
        if not written.isascii():  # written with diacritics: the word itself decides
            return unicodedata.normalize("NFC", written) in VI_STOP
        if self._english is None:
            self._english = english(self.norm.folded_text)
        if self._english:  # an English text: the English list alone (`day`, `ai` are words there)
            return word in EN_STOP
        if written == word:  # spelled out, not teencode or leetspeak
            if self._accented is None:
                self._accented = accented(self.norm)
            if self._accented:  # meant as written: `ngay` is ngay, not ngày
                return word in VI_STOP or word in EN_STOP and word not in EN_AMBIGUOUS
        return word in ASCII_STOP


VI_FOLDED_OR_EN: frozenset[str] = _VI_FOLDED | EN_STOP
# Forms of address that head a trade's name (`cô đồng`, `bà đồng`, `ông đồng`): a span may start
# with one, where another stop word at either end of a span is trimmed off.
TITLES: frozenset[str] = frozenset(("cô", "bà", "ông"))
