"""Normalization for Vietnamese and English text, with an offset map back to the original.

Sellers dodge filters by writing `x.e.m b.ó.i`, `b0i`, `z@lo`, `giảiii`, by dropping diacritics, by
putting emoji or zero-width characters inside words, and by mixing old and new tone placement
(hoá/hóa). Matching runs on a *folded* view that undoes all of this; evidence must still point into
the text the user gave us, so every step keeps, for each output character, the span of the input
characters it came from.

Two views are produced:
- ``plain``: NFC with invisible format characters removed; patterns (phones, prices) run here.
- ``folded``: lowercase ASCII letters and digits separated by single spaces; lexicons run here.

Each step is a C-speed ``str.translate`` or regex pass; offsets are only rewritten where a regex
actually matched, so clean text costs little.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

# --- character tables -------------------------------------------------------------------------

_EMOJI = (
    "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u2190-\u21ff"
    "\u25a0-\u25ff\u2900-\u297f\u3030\u303d\u3297\u3299\ufe0f\U000e0020-\U000e007f"
)
# Format characters used to hide text or glue emoji: zero-width space/joiners, BOM, soft hyphen,
# directional marks, variation selectors, and combining marks left over after NFC.
_INVISIBLE = "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufe00-\ufe0e\u0300-\u036f"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]+")

# Characters that stand in for letters when written between two letters (b0i, z@lo, s!êu).
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s",
         "!": "i", "€": "e", "|": "l", "¡": "i"}
_LEET_RE = re.compile("(?<=[a-z])[" + re.escape("".join(_LEET)) + "](?=[a-z])")

# Teencode and common chat abbreviations, folded to the words they stand for.
TEENCODE: dict[str, str] = {
    "ko": "khong", "k": "khong", "kh": "khong", "hok": "khong", "hem": "khong", "khg": "khong",
    "kg": "khong", "kq": "ket qua", "dc": "duoc", "dk": "duoc", "đc": "duoc", "j": "gi", "ji": "gi",
    "z": "vay", "zay": "vay", "ib": "inbox", "inb": "inbox", "ibx": "inbox", "bn": "bao nhieu",
    "bnh": "bao nhieu", "stk": "so tai khoan", "sdt": "so dien thoai", "đt": "dien thoai",
    "lh": "lien he", "ctv": "cong tac vien", "mk": "minh", "mn": "moi nguoi", "mng": "moi nguoi",
    "ng": "nguoi", "nc": "nuoc", "ntn": "nhu the nao", "vs": "voi", "cx": "cung", "ck": "chuyen khoan",
    "nt": "nhan tin", "tks": "thanks", "thx": "thanks", "pls": "please", "plz": "please",
    "u": "you", "ur": "your", "r": "roi", "trc": "truoc", "kt": "kiem tra", "tg": "thoi gian",
    "tr": "trieu", "sp": "san pham", "nhiu": "nhieu", "iu": "yeu", "bít": "biet", "bit": "biet",
}

_SEPARATORS = ".\\-_*·•|/~+,:;'\"`^"
# Three or more single letters glued by one separator or emoji each: x.e.m, b-ó-i, x🔮e🔮m.
_LETTER_RUN_RE = re.compile(
    f"(?<![a-z0-9])[a-z](?:(?:[{re.escape(_SEPARATORS)}]|[{_EMOJI}])+[a-z](?![a-z0-9])){{2,}}"
)
# The same with spaces: "g i a i  h a n" (only runs of at least 4 letters, to spare real words).
_SPACED_RUN_RE = re.compile("(?<![a-z0-9])[a-z](?: [a-z](?![a-z0-9])){3,}")
# Emoji between two letters of one word: b🔮ói.
_EMOJI_IN_WORD_RE = re.compile(f"(?<=[a-z])[{_EMOJI}]+(?=[a-z])")
_REPEAT_RE = re.compile(r"([a-z])\1+")
_NON_ALNUM_RE = re.compile(r"[^a-z0-9 ]")
_SPACES_RE = re.compile(r" {2,}")
_TEENCODE_RE = re.compile(
    r"(?<![a-z0-9])(?:" + "|".join(sorted((re.escape(k) for k in TEENCODE if k.isascii()), key=len, reverse=True)) + r")(?![a-z0-9])"
)
_TEENCODE_FOLDED = {k: v for k, v in TEENCODE.items() if k.isascii()}


def _build_fold_table() -> dict[int, str]:
    """Lowercase and strip diacritics, one character to one character, so offsets do not move."""
    table: dict[int, str] = {}
    for cp in range(0x00C0, 0x1F00):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch.lower())
        stripped = "".join(c for c in base if not unicodedata.combining(c))
        if len(stripped) == 1 and stripped.isascii() and stripped.isalpha():
            table[cp] = stripped
    for cp in range(0x1EA0, 0x1F00):  # Vietnamese precomposed letters (ạ … ỹ)
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch.lower())
        stripped = "".join(c for c in base if not unicodedata.combining(c))
        if len(stripped) == 1 and stripped.isascii():
            table[cp] = stripped
    for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[ord(ch)] = ch.lower()
    table.update({ord("đ"): "d", ord("Đ"): "d", ord("ơ"): "o", ord("Ơ"): "o", ord("ư"): "u",
                  ord("Ư"): "u", ord("ı"): "i", ord("ß"): "s", ord("ø"): "o", ord("Ø"): "o"})
    # Full-width ASCII (ｘｅｍ) and common look-alike Cyrillic letters used to dodge filters.
    for cp in range(0xFF01, 0xFF5F):
        folded = chr(cp - 0xFEE0).lower()
        if folded.isalnum():
            table[cp] = folded
    for cyr, lat in zip("аеорсхуіАЕОРСХУІ", "aeopcxyiaeopcxyi", strict=True):
        table[ord(cyr)] = lat
    # Every other whitespace becomes a plain space (still one character).
    for ws in "\t\n\r\x0b\x0c\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000":
        table[ord(ws)] = " "
    return table


_FOLD_TABLE = _build_fold_table()


# --- offset-tracking substitution ----------------------------------------------------------------

# A replacement returns the new text for a match and, for each new character, the index of the
# match-relative source character it stands for (None: the whole match).
Replacement = Callable[[re.Match[str]], tuple[str, list[int] | None]]


def _sub(
    pattern: re.Pattern[str], repl: Replacement, text: str, starts: list[int], ends: list[int]
) -> tuple[str, list[int], list[int]]:
    """Regex substitution that rewrites the offset map only around the matches."""
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


def _keep_letters(m: re.Match[str]) -> tuple[str, list[int] | None]:
    chars = [(i, c) for i, c in enumerate(m.group()) if "a" <= c <= "z"]
    return "".join(c for _, c in chars), [i for i, _ in chars]


def _first_char(m: re.Match[str]) -> tuple[str, list[int] | None]:
    return m.group(1), None


def _leet(m: re.Match[str]) -> tuple[str, list[int] | None]:
    return _LEET[m.group()], [0]


def _space(m: re.Match[str]) -> tuple[str, list[int] | None]:
    return " ", [0]


def _single_space(m: re.Match[str]) -> tuple[str, list[int] | None]:
    return " ", [0]


def _teencode(m: re.Match[str]) -> tuple[str, list[int] | None]:
    return _TEENCODE_FOLDED[m.group()], None


# --- public API -----------------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class Normalized:
    original: str
    plain: View
    folded: View


def _nfc(text: str) -> tuple[str, list[int], list[int]]:
    n = len(text)
    if unicodedata.is_normalized("NFC", text):
        return text, list(range(n)), list(range(1, n + 1))
    # Compose each base character with the combining marks that follow it, so every composed
    # character maps to the cluster it came from.
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in re.finditer(r".[\u0300-\u036f]*|[\u0300-\u036f]+", text, re.S):
        piece = unicodedata.normalize("NFC", m.group())
        out.append(piece)
        starts.extend([m.start()] * len(piece))
        ends.extend([m.end()] * len(piece))
    return "".join(out), starts, ends


def plain_view(text: str) -> View:
    """NFC text without invisible characters, still in the original's case and letters."""
    t, s, e = _nfc(text)
    t, s, e = _sub(_INVISIBLE_RE, _delete, t, s, e)
    return View(t, s, e)


def fold_view(plain: View, teencode: bool = True) -> View:
    """Fold a plain view into lowercase ASCII words for diacritic- and evasion-insensitive matching."""
    t, s, e = plain.text.translate(_FOLD_TABLE), plain.starts, plain.ends
    if len(t) != len(s):  # a character outside the table folded to more than one (never expected)
        raise AssertionError("fold table must map one character to one character")
    t, s, e = _sub(_EMOJI_IN_WORD_RE, _delete, t, s, e)
    t, s, e = _sub(_LEET_RE, _leet, t, s, e)
    t, s, e = _sub(_LETTER_RUN_RE, _keep_letters, t, s, e)
    t, s, e = _sub(_NON_ALNUM_RE, _space, t, s, e)
    t, s, e = _sub(_SPACES_RE, _single_space, t, s, e)
    t, s, e = _sub(_SPACED_RUN_RE, _keep_letters, t, s, e)
    t, s, e = _sub(_REPEAT_RE, _first_char, t, s, e)
    if teencode:
        t, s, e = _sub(_TEENCODE_RE, _teencode, t, s, e)
    return View(t, s, e)


def normalize(text: str) -> Normalized:
    plain = plain_view(text)
    return Normalized(text, plain, fold_view(plain))


def fold(text: str, teencode: bool = True) -> str:
    """The folded form of a text alone (used for lexicon terms), stripped of outer spaces."""
    return fold_view(plain_view(text), teencode=teencode).text.strip()
