"""Lexicon signal: term lists matched on the folded view with one Aho-Corasick automaton.

All lexicons of all packs share the automaton, so the cost per post is one pass over its text
whatever the number of terms (measured: building 100,000 terms and scanning stays fast, see
bench/). Terms are folded exactly like the text, so diacritics, case, leetspeak, teencode and
repeated letters are handled once, in `normalize`.

Folding makes different Vietnamese words alike (`đã mua` "bought" and `da mùa` "winter skin",
`còn gì` and `con gì`). A term written with Vietnamese marks therefore matches the word written
with those same marks, or with none (`da mua`, typed without diacritics), but not a word the text
marks otherwise: that is another word (`MarkedTerm`). A term written without marks matches
every marking, as its author asked.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import ClassVar

import ahocorasick
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..normalize import fold
from .base import Document, Hit, Matcher, SignalRef, SignalType


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid")
    term: str = Field(min_length=1)
    weight: float | None = Field(None, ge=0.0, le=1.0)


class LexiconConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = "lexicon"
    group: str
    name: str | None = None
    weight: float = Field(0.7, ge=0.0, le=1.0)
    terms: list[str | Term] = Field(min_length=1)
    compact: bool = True  # also match multi-word terms written without spaces (#giaihan)

    @field_validator("terms")
    @classmethod
    def _terms(cls, v: list[str | Term]) -> list[str | Term]:
        for t in v:
            text = t if isinstance(t, str) else t.term
            if not fold(text):
                raise ValueError(f"the term {text!r} has no letters or digits left after normalization")
        return v


# Tone marks: their place in a syllable varies by spelling convention (`hoà` / `hòa`), so a
# syllable is compared by its letters without them and the set of tones it carries.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_WORD = re.compile(r"\w+")


def _syllable(word: str) -> tuple[str, str]:
    d = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES)), "".join(sorted(c for c in d if c in _TONES))


@cache
def _letter_class(ch: str) -> str:
    """A regex class of the lowercase letters that fold to the ASCII letter `ch` (a: a à ă ẵ â …)."""
    if not ch.isalpha():
        return re.escape(ch)
    same = [c for c in map(chr, (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)))
            if c.islower() and fold(c, teencode=False) == ch]
    return f"[{ch}{''.join(same)}]" if same else ch


class MarkedTerm:
    """The check for a term written with Vietnamese marks: does the text hold the term as written
    (any case, any tone placement), or written without marks, or only words folding alike that
    are marked otherwise (a collision, not a match)?"""

    __slots__ = ("_finder", "_syllables", "form")

    def __init__(self, text: str) -> None:
        self.form = unicodedata.normalize("NFC", text).lower()
        # built on first use: most terms never need more than the substring test
        self._syllables: list[tuple[str, str]] | None = None
        self._finder: re.Pattern[str] | None = None

    @property
    def finder(self) -> re.Pattern[str]:
        """Every spelling of the term's letters with any marks, whole words, any separators."""
        if self._finder is None:
            words = _WORD.findall(self.form)
            pattern = r"[\W_]+".join("".join(_letter_class(c) for c in fold(w, teencode=False)) for w in words)
            self._finder = re.compile(rf"(?<!\w){pattern}(?!\w)")
        return self._finder

    @property
    def syllables(self) -> list[tuple[str, str]]:
        if self._syllables is None:
            self._syllables = [_syllable(w) for w in _WORD.findall(self.form)]
        return self._syllables

    @staticmethod
    def of(text: str) -> MarkedTerm | None:
        """The check for a term, or None when there is nothing to check: a term without marks, or
        one the normalizer rewrites beyond its marks (teencode, leetspeak), whose forms in a text
        cannot be told apart by their letters."""
        if text.isascii():
            return None
        words = _WORD.findall(unicodedata.normalize("NFC", text).lower())
        if not words or " ".join(fold(w, teencode=False) for w in words) != fold(text):
            return None
        return MarkedTerm(text)

    def found_in(self, low: str) -> bool:
        """`low`: a source's plain text, lowercased. False only when every form of the term's
        letters in it is marked otherwise, wholly or in part (`con gì` is not `còn gì`); a text
        that writes it in some other way the normalizer undoes (`#giaihan`, `m.ì.n.h`) keeps the
        match."""
        if self.form in low:
            return True
        collided = False
        for m in self.finder.finditer(low):
            found = m.group()
            words = _WORD.findall(found)
            if found.isascii() or len(words) != len(self.syllables):
                return True
            if all(_syllable(w) == s for w, s in zip(words, self.syllables, strict=True)):
                return True
            collided = True
        return not collided


# Compact forms shorter than this are too likely to occur inside unrelated words.
_MIN_COMPACT = 6


class _LexiconMatcher(Matcher):
    def __init__(self, refs: list[SignalRef]) -> None:
        self.automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[int, str, float]]] = {}
        marked: dict[str, MarkedTerm | None] = {}
        for ref in refs:
            cfg: LexiconConfig = ref.config
            for t in cfg.terms:
                text, weight = (t, cfg.weight) if isinstance(t, str) else (t.term, t.weight if t.weight is not None else cfg.weight)
                folded = fold(text)
                forms = {folded}
                compact = folded.replace(" ", "")
                if cfg.compact and " " in folded and len(compact) >= _MIN_COMPACT:
                    forms.add(compact)
                for form in forms:
                    entries.setdefault(form, []).append((ref.index, text, weight))
        for form, vals in entries.items():
            # One entry per (signal, term); the strongest weight wins when a pack lists a term twice.
            best: dict[tuple[int, str], tuple[float, str]] = {}
            for idx, text, w in vals:
                key = (idx, "t:" + fold(text))
                if key not in best or w > best[key][0]:
                    best[key] = (w, text)
            packed = tuple(
                (idx, key, f"term “{text}”", w, marked[text] if text in marked else marked.setdefault(text, MarkedTerm.of(text)))
                for (idx, key), (w, text) in best.items()
            )
            # The folded text is words between single spaces with a space at each end, so a key
            # wrapped in spaces only ever matches whole words: no boundary checks, no mid-word hits.
            self.automaton.add_word(f" {form} ", (len(form), packed))
        self.size = len(entries)
        if self.size:
            self.automaton.make_automaton()

    def match(self, doc: Document, only: frozenset[int] | None = None) -> list[Hit]:
        if not self.size:
            return []
        hits: list[Hit] = []
        for source, norm in doc.sources:
            low = ""  # the plain text lowercased, once a marked term needs it ("" if it has no marks)
            lowered = False
            for end_idx, (length, vals) in self.automaton.iter(norm.folded_text):
                end = end_idx  # the key's closing space is not part of the term
                start = end - length
                for ref, key, detail, weight, check in vals:
                    if only is not None and ref not in only:
                        continue
                    if check is not None:
                        if not lowered:
                            lowered = True
                            low = norm.plain_text.lower()
                            if low.isascii():
                                low = ""
                        if low and check.form not in low and not check.found_in(low):
                            continue
                    hits.append(Hit(ref, key, source, "folded", start, end, weight, detail))
        return hits


class LexiconSignal(SignalType):
    name: ClassVar[str] = "lexicon"
    cost: ClassVar[int] = 1
    config_model: ClassVar[type[BaseModel]] = LexiconConfig

    @classmethod
    def build(cls, refs: list[SignalRef]) -> Matcher:
        return _LexiconMatcher(refs)
