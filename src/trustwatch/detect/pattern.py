"""Pattern signal: regular expressions for contact details, money and links.

Patterns run on the plain view (NFC, invisible characters removed, original letters), so a phone
number written `0 9 1 2 . 3 4 5 . 6 7 8` or a price `2tr5` is found and its evidence span points
into the original text. Each distinct regex runs once per source, however many packs use it.

Python's regex engine tries a pattern at every position of the text, so fifty patterns cost fifty
passes. Most patterns can only match a text that contains one of a few literal strings
(`fb88|w88|…`, `.casino|.bet`, `@`); those are read from the parsed regex and looked for, for all
patterns at once, with one Aho-Corasick pass; a pattern runs only on texts that contain one.
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # the stdlib's own regex parser, to read a pattern's literal prefixes
from typing import Any, ClassVar

import ahocorasick
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
        rf"(?<![\d+])(?:(?:\+|00){_SEP}84{_SEP}(?:\(?0\)?{_SEP})?|0{_SEP})[35789](?:{_SEP}\d){{8}}(?!\d)"
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


_MAX_ANCHORS = 400


_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
_MAX_TRIES = 40  # beyond this many candidate positions, one finditer pass is cheaper


def _required(items: Any) -> tuple[set[str] | None, set[str] | None]:
    """Read a parsed regex sequence.

    Returns (required, literal): `required` is a set of lowercased strings one of which occurs in
    the text wherever the sequence matches (the best such set found, or None); `literal` is the set
    of all strings the sequence can match when it is made of literals and alternatives only.
    """
    candidates: list[set[str]] = []
    run = {""}
    whole = True
    for op, av in items:
        name = str(op)
        if name in ("AT", "ASSERT_NOT"):
            continue  # zero-width: literals on both sides stay adjacent
        if name == "LITERAL":
            run = {r + chr(av).lower() for r in run}
            continue
        lit: set[str] | None = None
        req: set[str] | None = None
        if name == "ASSERT":
            req = _required(av[1])[0]
            if req:
                candidates.append(req)
            continue
        if name == "SUBPATTERN":
            req, lit = _required(av[3])
        elif name == "BRANCH":
            parts = [_required(branch) for branch in av[1]]
            if all(p[1] is not None for p in parts):
                lit = set().union(*(p[1] for p in parts if p[1] is not None))
            if all(p[0] for p in parts):
                req = set().union(*(p[0] for p in parts if p[0]))
        elif name == "IN":
            lit = _class_chars(av)
        elif name in _REPEATS and av[0] >= 1:
            inner_req, inner_lit = _required(av[2])
            req = inner_lit if inner_lit and "" not in inner_lit else inner_req
        if lit is not None and "" not in lit and len(run) * len(lit) <= _MAX_ANCHORS:
            run = {r + x for r in run for x in lit}
            continue
        whole = False
        if run != {""}:
            candidates.append(run)
        # Every match of a repeat ends with its body's literal ending (`(?:\w+\.){1,3}` ends in
        # "."), which then runs on into the literals that follow (".com", ".io").
        run = (_suffixes(list(av[2])) or {""}) if name in _REPEATS and av[0] >= 1 else {""}
        if req and "" not in req:
            candidates.append(req)
    if run != {""}:
        candidates.append(run)
    usable = [c for c in candidates if c and "" not in c and len(c) <= _MAX_ANCHORS]
    best = max(usable, key=lambda c: (min(map(len, c)), -len(c))) if usable else None
    return best, (run if whole else None)


def _suffixes(items: list[Any]) -> set[str] | None:
    """Lowercased literals one of which every match of the sequence ends with; None if unknown."""
    current = {""}
    for op, av in reversed(items):
        name = str(op)
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            break  # an assertion at the end could be followed by anything: stop here
        lit: set[str] | None
        if name == "LITERAL":
            lit = {chr(av).lower()}
        elif name == "IN":
            lit = _class_chars(av)
        elif name in ("SUBPATTERN", "BRANCH"):
            lit = _required([(op, av)])[1]
        else:
            break
        if not lit or "" in lit or len(current) * len(lit) > _MAX_ANCHORS:
            break
        current = {x + c for x in lit for c in current}
    return None if current == {""} else current


def _class_chars(av: Any) -> set[str] | None:
    """The characters of a small character class such as [ậa] or \\d; None for a large one."""
    chars: set[str] = set()
    for o, a in av:
        kind = str(o)
        if kind == "LITERAL":
            chars.add(chr(a).lower())
        elif kind == "RANGE" and a[1] - a[0] < 12:
            chars |= {chr(c).lower() for c in range(a[0], a[1] + 1)}
        elif kind == "CATEGORY" and str(a) == "CATEGORY_DIGIT":
            chars |= set("0123456789")
        else:
            return None
    return chars if 0 < len(chars) <= 12 else None


def _prefixes(items: list[Any]) -> set[str] | None:
    """Lowercased literals one of which every match starts with (after zero-width assertions)."""
    current = {""}
    for pos, (op, av) in enumerate(items):
        name = str(op)
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        if name == "LITERAL":
            current = {c + chr(av).lower() for c in current}
            continue
        lit: set[str] | None = None
        if name == "SUBPATTERN":
            _, lit = _required(av[3])
            if lit is None:
                inner = _prefixes(list(av[3]))
                if inner is None:
                    return None if current == {""} else current
                return _join(current, inner)
        elif name == "BRANCH":
            parts = [_prefixes(list(b)) for b in av[1]]
            if any(p is None for p in parts) or any("" in p for p in parts if p is not None):
                return None if current == {""} else current
            whole = [_required(b)[1] for b in av[1]]
            if all(w is not None for w in whole):
                lit = set().union(*(w for w in whole if w is not None))
            else:
                return _join(current, set().union(*(p for p in parts if p is not None)))
        elif name == "IN":
            lit = _class_chars(av)
        elif name in _REPEATS and current != {""} and av[0] == 0 and av[1] == 1 and _optional_literal(av[2], len(current)):
            # An optional literal after a literal (`dz?alo`): the prefixes go on with and without it.
            current = {c + x for c in current for x in _required(av[2])[1] or ()} | current
            continue
        elif name in _REPEATS and current != {""}:
            return current  # the literals so far already start every match
        elif name in _REPEATS and av[0] == 0:
            inner, rest = _prefixes(list(av[2])), _prefixes(items[pos + 1 :])
            return None if inner is None or rest is None else inner | rest
        elif name in _REPEATS:
            return _prefixes(list(av[2]))
        if lit is None or "" in lit:
            return None if current == {""} else current
        joined = _join(current, lit)
        if joined is None or joined is current:
            # too many combinations to go on: the literals so far start every match, and nothing
            # after this item may be appended to them
            return joined
        current = joined
    return None if current == {""} else current


def _optional_literal(body: Any, n: int) -> bool:
    lit = _required(body)[1]
    return bool(lit) and "" not in lit and n * (len(lit) + 1) <= _MAX_ANCHORS  # type: ignore[arg-type]


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _starts_at_boundary(regex: re.Pattern[str]) -> bool:
    """Whether the pattern begins with \\b (before any literal), so it can only match at a word start
    (a word character preceded by a non-word one: true when the prefix starts with a word character)."""
    try:
        parsed = list(sre_parse.parse(regex.pattern, regex.flags & ~re.UNICODE))
    except re.error:
        return False
    return bool(parsed) and str(parsed[0][0]) == "AT" and str(parsed[0][1]) == "AT_BOUNDARY"


def _join(left: set[str], right: set[str]) -> set[str] | None:
    if len(left) * len(right) > _MAX_ANCHORS or "" in right:
        return None if left == {""} else left
    return {a + b for a in left for b in right}


class _PatternMatcher(Matcher):
    """Runs each regex only where it can match: at the positions where one of its literal prefixes
    occurs, or over the whole text when the text contains one of its required literals."""

    def __init__(self, refs: list[SignalRef]) -> None:
        by_regex: dict[tuple[str, int], tuple[re.Pattern[str], list[tuple[int, str, float]]]] = {}
        for ref in refs:
            cfg: PatternConfig = ref.config
            compiled = _compile(cfg)
            entry = by_regex.setdefault((compiled.pattern, compiled.flags), (compiled, []))
            entry[1].append((ref.index, cfg.name, cfg.weight))
        self.patterns = list(by_regex.values())
        self._labels = {name: ("p:" + name, f"pattern {name}") for _, users in self.patterns for _, name, _ in users}
        self.refs_of = [frozenset(u[0] for u in users) for _, users in self.patterns]
        # A regex that starts with \b before its literal prefix can only match at a word start.
        self.word_start = [_starts_at_boundary(rx) for rx, _ in self.patterns]
        self.always: list[int] = []
        self.automaton = ahocorasick.Automaton()
        anchors: dict[str, set[tuple[int, bool]]] = {}
        for i, (regex, _) in enumerate(self.patterns):
            try:
                parsed = list(sre_parse.parse(regex.pattern, regex.flags & ~re.UNICODE))
            except re.error:
                parsed = None
            prefixes = _prefixes(parsed) if parsed is not None else None
            if prefixes and "" not in prefixes:
                for a in prefixes:
                    anchors.setdefault(a, set()).add((i, True))
                continue
            found = _required(parsed)[0] if parsed is not None else None
            if found is None:
                self.always.append(i)
            else:
                for a in found:
                    anchors.setdefault(a, set()).add((i, False))
        for a, idx in anchors.items():
            # A regex that starts with \b cannot match at an anchor that starts with a word
            # character inside a word: known per anchor, so the hot loop checks only one character.
            entries = tuple((i, is_prefix, self.word_start[i] and _is_word(a[0])) for i, is_prefix in sorted(idx))
            self.automaton.add_word(a, (len(a), entries))
        self.anchored = bool(anchors)
        self._cached: tuple[Document, list[tuple[dict[int, list[int]], set[int]]]] | None = None
        if anchors:
            self.automaton.make_automaton()

    def _plan(self, text: str) -> tuple[dict[int, list[int]], set[int]]:
        """Where to try each regex: {regex: start positions} and the regexes to run everywhere."""
        starts: dict[int, list[int]] = {}
        whole = set(self.always)
        if self.anchored:
            low = text.lower()
            if "ſ" in low or "ı" in low:  # case-insensitive regexes match these as s and i
                low = low.replace("ſ", "s").replace("ı", "i")
            exact = len(low) == len(text)  # positions carry over unless lowercasing changed length
            for end, (length, entries) in self.automaton.iter(low):
                pos = end - length + 1
                for i, is_prefix, at_word in entries:
                    if i in whole:
                        continue
                    if is_prefix and exact:
                        if at_word and pos and _is_word(low[pos - 1]):
                            continue  # \b then a word character: cannot start inside a word
                        found = starts.get(i)
                        if found is None:
                            starts[i] = [pos]
                        else:
                            found.append(pos)
                    else:
                        whole.add(i)
                        starts.pop(i, None)
        return starts, whole

    def _plans(self, doc: Document) -> list[tuple[dict[int, list[int]], set[int]]]:
        # `possible` and then `match` on the same document share one plan.
        cached = self._cached
        if cached is not None and cached[0] is doc:
            return cached[1]
        plans = [self._plan(norm.plain_text) for _, norm in doc.sources]
        self._cached = (doc, plans)
        return plans

    def possible(self, doc: Document) -> frozenset[int] | None:
        regexes: set[int] = set()
        for starts, whole in self._plans(doc):
            regexes.update(starts)
            regexes |= whole
        refs_of = self.refs_of
        return frozenset(r for i in regexes for r in refs_of[i])

    def match(self, doc: Document, only: frozenset[int] | None = None) -> list[Hit]:
        hits: list[Hit] = []
        refs_of = self.refs_of
        for (source, norm), (starts, whole) in zip(doc.sources, self._plans(doc), strict=True):
            text = norm.plain_text
            for i in sorted(set(starts) | whole):
                if only is not None and refs_of[i].isdisjoint(only):
                    continue
                regex, users = self.patterns[i]
                positions = starts.get(i)
                if positions is None or len(positions) > _MAX_TRIES:
                    # One pass costs less than trying many positions one by one.
                    found = [m.span() for m in regex.finditer(text) if m.end() > m.start()]
                else:
                    # Same result as finditer: matches can only begin at these positions.
                    found = []
                    last = 0
                    for pos in sorted(set(positions)):
                        if pos < last:
                            continue
                        m = regex.match(text, pos)
                        if m and m.end() > m.start():
                            found.append(m.span())
                            last = m.end()
                for start, end in found:
                    for ref, name, weight in users:
                        if only is not None and ref not in only:
                            continue
                        key, detail = self._labels[name]
                        hits.append(Hit(ref, key, source, "plain", start, end, weight, detail))
        return hits


class PatternSignal(SignalType):
    name: ClassVar[str] = "pattern"
    cost: ClassVar[int] = 2
    config_model: ClassVar[type[BaseModel]] = PatternConfig

    @classmethod
    def build(cls, refs: list[SignalRef]) -> Matcher:
        return _PatternMatcher(refs)
