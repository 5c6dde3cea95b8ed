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
from collections.abc import Iterable
from typing import ClassVar

import ahocorasick
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..normalize import Normalized, fold
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


def _rewritten(word: str) -> bool:
    """Whether the normalizer changes this word beyond its marks (`muaaa`, `app`, `m1nh`): its
    letters then say nothing about which word was meant."""
    bare = "".join(c for c in unicodedata.normalize("NFD", word.replace("đ", "d")) if not unicodedata.combining(c))
    return fold(word, teencode=False) != bare


class MarkedTerm:
    """The written forms of one term of one signal, all with Vietnamese marks, and the judgement of
    one place where the folded text matched it: the term as written (any case, either tone
    placement), the term typed without any marks, or a spelling the normalizer undid (`#giaihan`,
    `m.ì.n.h`, `còn j`, `đã muaaa`, `app` for `áp`) count; the same letters marked otherwise, in any
    syllable, are another word (`da mùa` is not `đã mua`, `con gì` is not `còn gì`) and do not."""

    __slots__ = ("_words", "forms")

    def __init__(self, forms: tuple[str, ...]) -> None:
        self.forms = forms  # NFC, lower case
        # per form: each word's (letters without tones, tones) and its folded letters
        self._words = [[(_syllable(w), fold(w, teencode=False)) for w in _WORD.findall(f)] for f in forms]

    @staticmethod
    def of(texts: Iterable[str]) -> MarkedTerm | None:
        """The judgement for the written forms of one term, or None when there is nothing to judge:
        a form written without marks (it matches every marking, as its author asked), or one the
        normalizer rewrites beyond its marks (teencode, leetspeak), whose letters cannot be
        compared with the text's."""
        forms = []
        for text in texts:
            form = unicodedata.normalize("NFC", text).lower()
            words = _WORD.findall(form)
            if form.isascii() or not words or " ".join(fold(w, teencode=False) for w in words) != fold(text):
                return None
            forms.append(form)
        return MarkedTerm(tuple(sorted(set(forms))))

    def exact_count(self, low: str) -> int:
        """How often a written form stands as whole words in `low` (the source's plain text, lower
        case): when the folded text matched the term no more often, every match is one of them."""
        n = 0
        for form in self.forms:
            i = low.find(form)
            while i >= 0:
                j = i + len(form)
                if (i == 0 or not low[i - 1].isalnum()) and (j == len(low) or not low[j].isalnum()):
                    n += 1
                i = low.find(form, j)
        return n

    def accepts(self, written: str) -> bool:
        """Whether the text's own characters at one match (`written`) are this term."""
        s = unicodedata.normalize("NFC", written).lower()
        if s.isascii() or s in self.forms:
            return True
        words = _WORD.findall(s)
        for form_words in self._words:
            if len(words) != len(form_words):
                return True  # joined or split by the normalizer (a hashtag, spaced letters): kept
            if all(_syllable(w) == syl or fold(w, teencode=False) != folded or _rewritten(w)
                   for w, (syl, folded) in zip(words, form_words, strict=True)):
                return True
        return False


# Compact forms shorter than this are too likely to occur inside unrelated words.
_MIN_COMPACT = 6


class _LexiconMatcher(Matcher):
    def __init__(self, refs: list[SignalRef]) -> None:
        self.automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[int, str, float, str]]] = {}
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
                    entries.setdefault(form, []).append((ref.index, text, weight, folded))
        checks: dict[frozenset[str], MarkedTerm | None] = {}
        for form, vals in entries.items():
            # One entry per (signal, term); the strongest weight wins when a pack lists a term twice,
            # and every way the term was written counts when the text is judged.
            best: dict[tuple[int, str], tuple[float, str]] = {}
            written: dict[tuple[int, str], set[str]] = {}
            for idx, text, w, folded in vals:
                key = (idx, "t:" + folded)
                written.setdefault(key, set()).add(text)
                if key not in best or w > best[key][0]:
                    best[key] = (w, text)
            packed = []
            for k, (w, text) in best.items():
                texts = frozenset(written[k])
                if texts not in checks:
                    checks[texts] = MarkedTerm.of(texts)
                packed.append((k[0], k[1], f"term “{text}”", w, checks[texts]))
            # The folded text is words between single spaces with a space at each end, so a key
            # wrapped in spaces only ever matches whole words: no boundary checks, no mid-word hits.
            self.automaton.add_word(f" {form} ", (len(form), tuple(packed)))
        self.size = len(entries)
        if self.size:
            self.automaton.make_automaton()

    def match(self, doc: Document, only: frozenset[int] | None = None) -> list[Hit]:
        if not self.size:
            return []
        hits: list[Hit] = []
        for source, norm in doc.sources:
            marked: dict[MarkedTerm, list[Hit]] | None = None  # hits of terms written with marks
            for end_idx, (length, vals) in self.automaton.iter(norm.folded_text):
                end = end_idx  # the key's closing space is not part of the term
                start = end - length
                for ref, key, detail, weight, check in vals:
                    if only is not None and ref not in only:
                        continue
                    hit = Hit(ref, key, source, "folded", start, end, weight, detail)
                    if check is None:
                        hits.append(hit)
                    else:
                        if marked is None:
                            marked = {}
                        marked.setdefault(check, []).append(hit)
            if marked:
                hits.extend(self._judged(norm, marked))
        return hits

    @staticmethod
    def _judged(norm: Normalized, marked: dict[MarkedTerm, list[Hit]]) -> list[Hit]:
        """The hits of marked terms that are the term, not another word folding alike. Usually
        settled without locating them: a text without marks, or one holding each term as written
        at least as often as it matched. Otherwise each match's own characters are read (the
        folded view's offsets, computed only then)."""
        low = norm.plain_text.lower()
        if low.isascii():
            return [h for hs in marked.values() for h in hs]
        kept: list[Hit] = []
        for check, hs in marked.items():
            places = {(h.start, h.end) for h in hs}
            if check.exact_count(low) >= len(places):
                kept.extend(hs)
                continue
            view = norm.folded
            verdict = {}
            for start, end in places:
                a, b = view.span(start, end)
                verdict[(start, end)] = check.accepts(norm.original[a:b])
            kept.extend(h for h in hs if verdict[(h.start, h.end)])
        return kept


class LexiconSignal(SignalType):
    name: ClassVar[str] = "lexicon"
    cost: ClassVar[int] = 1
    config_model: ClassVar[type[BaseModel]] = LexiconConfig

    @classmethod
    def build(cls, refs: list[SignalRef]) -> Matcher:
        return _LexiconMatcher(refs)
