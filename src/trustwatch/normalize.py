"""Normalization for Vietnamese and English text, with an offset map back to the original.

Sellers dodge filters by writing `x.e.m b.ó.i`, `b0i`, `z@lo`, `giảiii`, `𝐱𝐞𝐦 𝐛𝐨́𝐢`, by dropping
diacritics, by putting emoji or zero-width characters inside words, and by mixing old and new tone
placement (hoá/hóa). Matching runs on a *folded* view that undoes all of this; evidence must still
point into the text the user gave us, so the view can carry, for each of its characters, the span of
the original characters it came from.

Two views:
- ``plain``: NFC with invisible format characters removed; patterns (phones, prices) run here.
- ``folded``: lowercase ASCII words separated by single spaces, with a space at each end; lexicons
  run here.

Speed: every post is folded, few are flagged. So the texts of both views are computed on a fast
path built from C-speed primitives (NFKD, ASCII encode, bytes.translate, split/join, regexes that
start with a literal or a small character set), and the offset maps only on demand, by the same
steps run with tracking. A test checks on every example corpus that both paths give the same text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# --- character classes and tables -------------------------------------------------------------------

# Format characters used to hide text or glue emoji: zero-width space/joiners, BOM, soft hyphen,
# directional marks, variation selectors, and stray combining marks that NFC could not compose.
_INVISIBLE_RE = re.compile("[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ufe00-\ufe0f]+")
_STRAY_MARK_RE = re.compile(r"(?:^|(?<=[\s\W]))[\u0300-\u036f]+")
# Either kind present at all: one cheap search that skips both passes for most texts.
_HIDDEN_HINT = re.compile("[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ufe00-\ufe0f\u0300-\u036f]")

# Everything that is neither ASCII nor a letter NFKD can fold to ASCII (Latin and Vietnamese
# letters, full-width and "fancy font" letters, circled letters, combining marks) is a symbol.
_SYMBOL_RE = re.compile(
    "[^\x00-\x7f\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f\uff00-\uffef\u2460-\u24ff"
    "\U0001d400-\U0001d7ff\u00aa\u00b2\u00b3\u00b9\u00ba\u0400-\u04ff]+"
)
_CYRILLIC_RE = re.compile("[\u0400-\u04ff]")
# Anything but ASCII and precomposed Latin letters: absent from most texts, and every hidden mark,
# symbol and look-alike the passes above look for is such a character, so one search skips them all.
_UNUSUAL = re.compile("[^\x00-\x7f\u00c0-\u024f\u1e00-\u1eff]")
_CYRILLIC = str.maketrans("аеорсхуіАЕОРСХУІ", "aeopcxyiAEOPCXYI")


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return cp >= 0x1F000 or 0x2190 <= cp <= 0x2BFF or cp in (0x200D, 0xFE0F, 0x3030, 0x303D)


# Characters that stand in for letters when written between two letters (b0i, z@lo, s!êu).
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l"}
_LEET_CHARS = "[" + re.escape("".join(_LEET)) + "]"
# Starts with the (rare) leet character so the regex engine can skip ahead; then checks both sides.
_LEET_RE = re.compile(_LEET_CHARS + "(?<=[a-z]" + _LEET_CHARS + ")(?=[a-z])")

# Three or more single letters glued by separators: x.e.m, b-o-i. The hint (a letter between two
# separators) is a cheap search that every such run contains.
_SEP = re.escape(".-_*|/~+:;^`'\"")
_LETTER_RUN_HINT = re.compile(f"[{_SEP}][a-z][{_SEP}]")
_LETTER_RUN_RE = re.compile(f"(?<![a-z0-9])[a-z](?:[{_SEP}]+[a-z](?![a-z0-9])){{2,}}")
# The same with spaces, "g i a i h a n": at least four letters, to spare real one-letter words.
_SPACED_RUN_RE = re.compile(" ((?:[a-z] ){3,}[a-z])(?= )")
_REPEAT_RE = re.compile(r"([a-z])\1+")
_DOUBLE_RE = re.compile(r"([a-z])\1")
_SPACES_RE = re.compile(r"  +")
_ALNUM_TABLE = bytes(c if (48 <= c <= 57 or 97 <= c <= 122) else 32 for c in range(256))

# Teencode and common chat abbreviations, folded to the words they stand for.
TEENCODE: dict[str, str] = {
    "ko": "khong", "k": "khong", "kh": "khong", "hok": "khong", "hem": "khong", "khg": "khong",
    "kg": "khong", "kq": "ket qua", "dc": "duoc", "dk": "duoc", "j": "gi", "ji": "gi",
    "z": "vay", "zay": "vay", "ib": "inbox", "inb": "inbox", "ibx": "inbox", "bn": "bao nhieu",
    "bnh": "bao nhieu", "stk": "so tai khoan", "sdt": "so dien thoai", "dt": "dien thoai",
    "lh": "lien he", "ctv": "cong tac vien", "mk": "minh", "mn": "moi nguoi", "mng": "moi nguoi",
    "ng": "nguoi", "nc": "nuoc", "ntn": "nhu the nao", "vs": "voi", "cx": "cung", "ck": "chuyen khoan",
    "nt": "nhan tin", "tks": "thanks", "thx": "thanks", "pls": "please", "plz": "please",
    "u": "you", "ur": "your", "r": "roi", "trc": "truoc", "kt": "kiem tra", "tg": "thoi gian",
    "tr": "trieu", "sp": "san pham", "nhiu": "nhieu", "iu": "yeu", "bit": "biet",
}
_TEEN_GET = TEENCODE.get
_TEEN_KEYS = frozenset(TEENCODE)
_TEENCODE_RE = re.compile("(?<= )(?:" + "|".join(sorted(map(re.escape, TEENCODE), key=len, reverse=True)) + ")(?= )")


@lru_cache(maxsize=65536)
def _ascii_fold(ch: str) -> str:
    """One character's ASCII form, exactly as the fast path's NFKD + ASCII encode computes it."""
    return unicodedata.normalize("NFKD", ch.replace("đ", "d").replace("Đ", "D")).encode("ascii", "ignore").decode("ascii")


class _TrackTable(dict[int, str]):
    """`str.translate` table computing each character's ASCII fold on first use, and noting the
    characters that fold to other than exactly one (Ø to none, ⑩ to two)."""

    def __init__(self) -> None:
        super().__init__()
        self.irregular: set[str] = set()

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        value = ch if ch.isascii() else _ascii_fold(ch)
        self[cp] = value
        if len(value) != 1:
            self.irregular.add(ch)
        return value


_TRACK_TABLE = _TrackTable()


# --- offset-tracking substitution ----------------------------------------------------------------

# A replacement returns the new text for a match and, for each new character, the index of the
# match-relative source character it stands for (None: the whole match).
Replacement = Callable[[re.Match[str]], tuple[str, list[int] | None]]


def _sub(
    pattern: re.Pattern[str], repl: Replacement, text: str, starts: list[int] | None, ends: list[int] | None
) -> tuple[str, list[int] | None, list[int] | None]:
    """Regex substitution that rewrites the offset map only around the matches.

    Without an offset map (``starts is None``) it is a plain C-speed ``re.sub`` with the same
    replacement, so the fast path and the tracked path cannot produce different texts.
    """
    if starts is None or ends is None:
        return pattern.sub(lambda m: repl(m)[0], text), None, None
    pos = 0
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    matched = False
    for m in pattern.finditer(text):
        matched = True
        s, e = m.span()
        out.append(text[pos:s])
        new_starts.extend(starts[pos:s])
        new_ends.extend(ends[pos:s])
        new, picks = repl(m)
        out.append(new)
        if picks is None:
            span_start = starts[s] if s < e else (starts[s] if s < len(starts) else (ends[s - 1] if s else 0))
            span_end = ends[e - 1] if s < e else span_start
            new_starts.extend([span_start] * len(new))
            new_ends.extend([span_end] * len(new))
        else:
            for rel in picks:
                new_starts.append(starts[s + rel])
                new_ends.append(ends[s + rel])
        pos = e
    if not matched:
        return text, starts, ends
    out.append(text[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    return "".join(out), new_starts, new_ends


def _delete(m: re.Match[str]) -> tuple[str, list[int] | None]:
    return "", []


def _symbol(m: re.Match[str]) -> tuple[str, list[int] | None]:
    """Emoji inside a word vanish (b🔮ói, c🎰asino); any other symbol run separates words.

    An emoji between two words written without spaces (giá🔥inbox) is common too, so an emoji only
    counts as inside a word when a single letter stands on one side of it.
    """
    s, e, text = m.start(), m.end(), m.string
    n = len(text)
    if 0 < s and e < n and text[s - 1].isalpha() and text[e].isalpha() and all(map(_is_emoji, m.group())):
        left_single = s < 2 or not text[s - 2].isalpha()
        right_single = e + 1 >= n or not text[e + 1].isalpha()
        if left_single or right_single:
            return "", []
    return " ", [0]


def _keep_letters(m: re.Match[str]) -> tuple[str, list[int] | None]:
    chars = [(i, c) for i, c in enumerate(m.group()) if "a" <= c <= "z"]
    return "".join(c for _, c in chars), [i for i, _ in chars]


def _spaced(m: re.Match[str]) -> tuple[str, list[int] | None]:
    text = m.group()
    picks = [0] + [i for i, c in enumerate(text) if c != " "]
    return " " + "".join(text[i] for i in picks[1:]), picks


def _first_char(m: re.Match[str]) -> tuple[str, list[int] | None]:
    return m.group(1), None


def _leet(m: re.Match[str]) -> str:
    return _LEET[m.group()]


def _single_space(m: re.Match[str]) -> tuple[str, list[int] | None]:
    return " ", [0]


def _teencode(m: re.Match[str]) -> tuple[str, list[int] | None]:
    return TEENCODE[m.group()], None


# --- the two paths --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class View:
    """A normalized view of a text; ``starts[i]:ends[i]`` is where character i came from."""

    text: str
    starts: list[int]
    ends: list[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of this view back to a span of the original text."""
        if end <= start:
            return self.starts[start], self.starts[start]
        return self.starts[start], self.ends[end - 1]


Tracked = tuple[str, list[int] | None, list[int] | None]

# A base character with the marks that compose onto it (combining marks; Hangul vowel and final
# jamo, which compose onto the jamo before them).
_CLUSTER_RE = re.compile(r"(?s).[\u0300-\u036f\u1160-\u11ff\ud7b0-\ud7ff]*|[\u0300-\u036f\u1160-\u11ff]+")


def _nfc(text: str, track: bool) -> Tracked:
    if unicodedata.is_normalized("NFC", text):
        n = len(text)
        return (text, list(range(n)), list(range(1, n + 1))) if track else (text, None, None)
    if not track:
        return unicodedata.normalize("NFC", text), None, None
    # Compose each base character with the combining marks that follow it, so every composed
    # character maps to the cluster it came from.
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in _CLUSTER_RE.finditer(text):
        piece = unicodedata.normalize("NFC", m.group())
        out.append(piece)
        starts.extend([m.start()] * len(piece))
        ends.extend([m.end()] * len(piece))
    composed = "".join(out)
    whole = unicodedata.normalize("NFC", text)
    if composed != whole:
        # Composition reached across clusters (an exotic script): evidence then spans the whole
        # text rather than pointing at the wrong characters.
        n = len(text)
        return whole, [0] * len(whole), [n] * len(whole)
    return composed, starts, ends


def _plain(text: str, track: bool) -> Tracked:
    t, s, e = _nfc(text, track)
    if t.isascii() or not _HIDDEN_HINT.search(t):
        return t, s, e
    t, s, e = _sub(_INVISIBLE_RE, _delete, t, s, e)
    return _sub(_STRAY_MARK_RE, _delete, t, s, e)


def _fold(t: str, s: list[int] | None, e: list[int] | None, teencode: bool = True, latin: bool = False) -> Tracked:
    """Fold plain text. With offsets (s, e) it tracks them; without, it takes the fast path.
    `latin`: the caller knows the text has only ASCII and Latin letters, so no symbol or Cyrillic."""
    track = s is not None
    if not t.isascii():
        if not latin:
            t, s, e = _sub(_SYMBOL_RE, _symbol, t, s, e)
        if not latin and _CYRILLIC_RE.search(t):  # Cyrillic look-alikes (с, а, о…) written inside Latin words
            t = t.translate(_CYRILLIC)
        if not track:
            t = unicodedata.normalize("NFKD", t.replace("đ", "d").replace("Đ", "D")).encode("ascii", "ignore").decode("ascii")
        else:
            assert s is not None and e is not None
            folded = t.translate(_TRACK_TABLE)
            if _TRACK_TABLE.irregular.isdisjoint(t):  # the usual case: every character folded to one
                t = folded
            else:
                out: list[str] = []
                ns: list[int] = []
                ne: list[int] = []
                for i, ch in enumerate(t):
                    f = ch if ch.isascii() else _ascii_fold(ch)
                    out.append(f)
                    ns.extend([s[i]] * len(f))
                    ne.extend([e[i]] * len(f))
                t, s, e = "".join(out), ns, ne
    t = t.lower()
    t = _LEET_RE.sub(_leet, t)  # one character for one, so offsets stay
    if _LETTER_RUN_HINT.search(t):
        t, s, e = _sub(_LETTER_RUN_RE, _keep_letters, t, s, e)
    t = t.encode("ascii").translate(_ALNUM_TABLE).decode("ascii")
    if not track:
        body = " ".join(t.split())
        t = " " + body + " " if body else " "
    else:
        assert s is not None and e is not None
        n_end = e[-1] if e else 0
        t, s, e = _sub(_SPACES_RE, _single_space, t, s, e)
        assert s is not None and e is not None
        lead = 1 if t.startswith(" ") else 0
        trail = 1 if len(t) > lead and t.endswith(" ") else 0
        body = t[lead : len(t) - trail]
        first = s[lead] if body else 0
        t = " " + body + " " if body else " "
        s = [first] + s[lead : lead + len(body)] + ([n_end] if body else [])
        e = [first] + e[lead : lead + len(body)] + ([n_end] if body else [])
    t, s, e = _sub(_SPACED_RUN_RE, _spaced, t, s, e)
    if _DOUBLE_RE.search(t):  # a quick search first: most Vietnamese text has no doubled letter
        t, s, e = _sub(_REPEAT_RE, _first_char, t, s, e)
    if teencode:
        if not track:
            words = t.split(" ")
            if not _TEEN_KEYS.isdisjoint(words):  # most texts have none: skip the rebuild
                t = " ".join(map(_TEEN_GET, words, words))
        elif not _TEEN_KEYS.isdisjoint(t.split(" ")):  # the regex scan costs more than this check
            t, s, e = _sub(_TEENCODE_RE, _teencode, t, s, e)
    return t, s, e


class Normalized:
    """The views of one text. Their texts are computed eagerly on the fast path; their offset
    maps only when evidence must be located (a flagged post), which is the uncommon case."""

    __slots__ = ("_folded", "_latin", "_plain", "folded_text", "original", "plain_text")

    def __init__(self, original: str) -> None:
        self.original = original
        plain = original if unicodedata.is_normalized("NFC", original) else unicodedata.normalize("NFC", original)
        self._latin = _UNUSUAL.search(plain) is None
        if self._latin:  # the usual case: no hidden marks, symbols or look-alikes
            self.plain_text = plain
            self.folded_text = _fold(plain, None, None, latin=True)[0]
        else:
            plain = _plain(original, False)[0]
            self.plain_text = plain
            self.folded_text = _fold(plain, None, None)[0]
        self._plain: View | None = None
        self._folded: View | None = None

    @property
    def plain(self) -> View:
        if self._plain is None:
            t, s, e = _plain(self.original, True)
            assert s is not None and e is not None
            self._plain = View(t, s, e)
        return self._plain

    @property
    def folded(self) -> View:
        if self._folded is None:
            p = self.plain
            t, s, e = _fold(p.text, p.starts, p.ends, latin=self._latin)
            assert s is not None and e is not None
            self._folded = View(t, s, e)
        return self._folded


def normalize(text: str) -> Normalized:
    return Normalized(text)


def fold(text: str, teencode: bool = True) -> str:
    """The folded form of a text alone (used for lexicon terms), without the outer spaces."""
    plain, _, _ = _plain(text, False)
    return _fold(plain, None, None, teencode)[0].strip()
