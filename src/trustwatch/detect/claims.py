"""Known false claims: posts that restate a claim a fact-checker has rated false.

Operators keep a CSV of fact-checked claims, one a row:

    claim,verdict,source_url,language,keywords
    Drinking hot lemon water every morning cures cancer,false,https://…,en,lemon|chanh ; cancer|ung thư

A post is matched in two steps, so the check keeps up with a scan:

1. a lexical prefilter (one Aho-Corasick pass over the folded text, shared by all claims) keeps the
   claims whose `keywords` the post contains: groups separated by `;`, each satisfied by any of its
   `|` alternatives. Keywords in both languages let a post in the other language through. A claim
   without keywords uses its own content words: at least half of them (and two) must occur;
2. the post and the candidate claims are embedded with multilingual-e5-small (cross-lingual) and the
   closest claim matches when it stands out from the claim's own background: its cosine to the post,
   rescaled between the claim's mean cosine to everyday posts in the post's language (0) and
   identity (1), reaches `min_score`. Each claim gets its own cut-off this way; generic claims sit
   closer to everything, and cross-lingual pairs score lower than same-language ones.

The keyword groups carry most of the precision: measured on the bundled examples, the model alone
scores a post that merely mentions a claim's subject about as high as a cross-lingual restatement,
so a claim's keywords should name its subject *and* what it asserts (`chanh ; ung thư ; chữa khỏi`).

A matched post gets a finding with the claim, its verdict, its source URL and its language. Rows
rated true are ignored. A bad row (no claim text, an unknown language, a source that is not an
http(s) URL, a missing verdict) is skipped with a one-sentence warning naming the file and line; a
file that cannot be read at all is a policy error.

`trustwatch scan --claims FILE` adds the built-in `known_false_claim` pack (`claims_pack`) over
FILE; a pack of one's own can use the signal directly: `{type: claims, group: claim, file: …}`.
"""

from __future__ import annotations

import csv
import io
import math
import multiprocessing
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import ahocorasick
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator

from ..normalize import fold
from .background import BACKGROUND
from .base import Document, Hit, Matcher, SignalRef, SignalType
from .embed import shared_embedder
from .similarity import post_text, resolve_path

LANGUAGES = ("vi", "en")
REQUIRED = ("claim", "verdict", "source_url", "language")
TRUE_VERDICTS = frozenset({"true", "correct", "accurate", "mostly true", "dung", "chinh xac", "dung su that"})
_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)
# Folded words too common to say what a claim is about.
_STOP_WORDS = """a an and are as at be by can do every for from has have if in is it its of on or that the their
    this to was were will with you your all any but not no so than then they we who what when which
    la va cua cho cac nhung mot co khong duoc the nay do thi ma voi tu trong tren duoi den neu vi se
    da dang rat nhieu moi ai bi khi nguoi ban minh ho"""
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True, slots=True)
class Claim:
    line: int
    text: str
    verdict: str
    source_url: str
    language: str
    groups: tuple[tuple[str, ...], ...]  # folded keyword alternatives per group
    need: int  # how many groups must occur for the claim to be a candidate


def _content_words(text: str) -> list[str]:
    return list(dict.fromkeys(w for w in fold(text).split() if len(w) >= 3 and w not in _STOP and not w.isdigit()))


def parse_claims(path: str) -> tuple[list[Claim], list[str]]:
    """The usable claims of a CSV file and one warning sentence per skipped row.
    Raises ValueError when the file as a whole cannot be used."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ValueError(f"the claims file {path!r} does not exist") from None
    except OSError as exc:
        raise ValueError(f"the claims file {path!r} cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"the claims file {path!r} is not UTF-8 text; save it as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ValueError(f"the claims file {path!r} is empty; it needs a header line {','.join(REQUIRED)},keywords") from None
    except csv.Error as exc:
        raise ValueError(f"the claims file {path!r} is not valid CSV ({exc})") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"the claims file {path!r} has no column(s) {missing}; its header must name {list(REQUIRED)} (keywords is optional)")
    col = {name: header.index(name) for name in header}
    claims: list[Claim] = []
    problems: list[str] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"{path} line {reader.line_num}: the row is not valid CSV ({exc}) and was skipped.")
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header) and all(col[c] < len(row) for c in REQUIRED):
            row = row + [""] * (len(header) - len(row))  # optional trailing columns left out
        if len(row) != len(header):
            problems.append(f"{path} line {line}: the row has {len(row)} fields where the header has {len(header)}, so it was skipped; quote fields that contain commas.")
            continue

        def get(name: str, row: list[str] = row) -> str:
            return row[col[name]].strip() if name in col else ""

        claim, verdict, url, lang = get("claim"), get("verdict"), get("source_url"), get("language").lower()
        problem = None
        if not claim:
            problem = "the claim text is empty"
        elif not verdict:
            problem = "the verdict is empty (write e.g. false)"
        elif not _URL.match(url):
            problem = f"the source URL {url!r} is not an http(s) address"
        elif lang not in LANGUAGES:
            problem = f"the language {lang!r} is not one of {list(LANGUAGES)}"
        if problem:
            problems.append(f"{path} line {line}: {problem}, so the row was skipped.")
            continue
        if fold(verdict) in TRUE_VERDICTS:
            continue
        groups: list[tuple[str, ...]] = []
        for group in get("keywords").split(";"):
            alts = tuple(dict.fromkeys(f for f in (fold(a) for a in group.split("|")) if f))
            if alts:
                groups.append(alts)
        if groups:
            need = len(groups)
        else:
            words = _content_words(claim)
            groups = [(w,) for w in words]
            need = min(len(groups), max(2, math.ceil(len(groups) / 2)))
        if not groups:
            problems.append(f"{path} line {line}: the claim has no content words and no keywords, so the row was skipped.")
            continue
        claims.append(Claim(line, claim, verdict, url, lang, tuple(groups), need))
    return claims, problems


# A sentence: text up to and including its closing punctuation (or a line break).
_SENTENCE = re.compile(r"[^.!?…\n]+[.!?…]*")
_VI_LETTERS = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)


def guess_language(text: str) -> str:
    """vi when the text has letters only Vietnamese uses, else en (the two languages in scope)."""
    return "vi" if _VI_LETTERS.search(text) else "en"


_WARNED: set[str] = set()


def _warn_once(problems: list[str]) -> None:
    # Packs are loaded by the main process and again by every worker: warn from the main one only.
    if multiprocessing.parent_process() is not None:
        return
    for p in problems:
        if p not in _WARNED:
            _WARNED.add(p)
            print(f"warning: {p}", file=sys.stderr)


class ClaimsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = "claims"
    group: str
    name: str | None = None
    weight: float = Field(0.9, ge=0.0, le=1.0)
    file: str
    min_score: float = Field(0.25, gt=0.0, le=1.0)
    _claims: list[Claim] = PrivateAttr(default_factory=list)
    _problems: list[str] = PrivateAttr(default_factory=list)

    @field_validator("file")
    @classmethod
    def _file(cls, v: str, info: ValidationInfo) -> str:
        path = str(resolve_path(v, info))
        claims, _ = parse_claims(path)  # ValueError → a policy error at this field
        if not claims:
            raise ValueError(f"the claims file {path!r} has no usable false claim")
        return path

    def model_post_init(self, context: Any) -> None:
        self._claims, self._problems = parse_claims(self.file)
        _warn_once(self._problems)

    @property
    def claims(self) -> list[Claim]:
        return self._claims

    @property
    def problems(self) -> list[str]:
        return self._problems


class _ClaimsMatcher(Matcher):
    def __init__(self, refs: list[SignalRef]) -> None:
        # Flattened: entry j is (ref index, claim); one automaton over every keyword of every claim.
        self.entries: list[tuple[int, Claim]] = []
        self.automaton = ahocorasick.Automaton()
        forms: dict[str, set[tuple[int, int]]] = {}
        for ref in refs:
            for claim in ref.config.claims:
                j = len(self.entries)
                self.entries.append((ref.index, claim))
                for g, alts in enumerate(claim.groups):
                    for form in alts:
                        forms.setdefault(form, set()).add((j, g))
        for form, slots in forms.items():
            self.automaton.add_word(f" {form} ", tuple(slots))
        if forms:
            self.automaton.make_automaton()
        self.size = len(forms)
        self.min_score = {ref.index: ref.config.min_score for ref in refs}
        self.weight = {ref.index: ref.config.weight for ref in refs}
        self._vectors: np.ndarray | None = None
        self._base: dict[str, np.ndarray] | None = None

    def candidates(self, doc: Document) -> list[int]:
        """Claims whose keyword groups the post contains (the cheap lexical step)."""
        if not self.size:
            return []
        seen: dict[int, set[int]] = {}
        for _, norm in doc.sources:
            for _, slots in self.automaton.iter(norm.folded_text):
                for j, g in slots:
                    seen.setdefault(j, set()).add(g)
        return [j for j, groups in seen.items() if len(groups) >= self.entries[j][1].need]

    def possible(self, doc: Document) -> frozenset[int] | None:
        return frozenset(self.entries[j][0] for j in self.candidates(doc))

    def _embed_claims(self) -> None:
        embedder = shared_embedder()
        self._vectors = embedder.embed([c.text for _, c in self.entries])
        # A claim's background level in each language: cross-lingual cosines run lower, so a post is
        # measured against everyday posts in its own language.
        self._base = {}
        for lang in LANGUAGES:
            background = embedder.embed([b for b in BACKGROUND if guess_language(b) == lang])
            self._base[lang] = (self._vectors @ background.T).mean(axis=1)

    def match(self, doc: Document, only: frozenset[int] | None = None) -> list[Hit]:
        cands = [j for j in self.candidates(doc) if only is None or self.entries[j][0] in only]
        found = post_text(doc) if cands else None
        if found is None:
            return []
        source, text = found
        if self._vectors is None:
            self._embed_claims()
        assert self._vectors is not None and self._base is not None
        start, end = self._window(text, cands)
        vec = shared_embedder().embed([text[start:end]])[0]
        idx = np.array(cands)
        cos = self._vectors[idx] @ vec
        base = self._base[guess_language(text)][idx]
        score = (cos - base) / np.maximum(1.0 - base, 1e-6)
        best = int(np.argmax(score))
        j = cands[best]
        ref, claim = self.entries[j]
        if score[best] < self.min_score[ref]:
            return []
        data = {
            "claim": {
                "text": claim.text,
                "verdict": claim.verdict,
                "source_url": claim.source_url,
                "language": claim.language,
                "similarity": round(float(score[best]), 4),
            }
        }
        detail = f"restates the claim “{claim.text}”, rated {claim.verdict} by {claim.source_url} (similarity {score[best]:.2f})"
        return [Hit(ref, f"claim:{claim.line}", source, "plain", start, end, self.weight[ref], detail, data)]

    def _window(self, text: str, cands: list[int]) -> tuple[int, int]:
        """The span of `text` from the first to the last sentence holding a keyword of a candidate
        claim: a claim made in one sentence of a long post is embedded (and shown) on its own, not
        diluted by the rest of the post."""
        forms = {f" {form} " for j in cands for alts in self.entries[j][1].groups for form in alts}
        spans = []
        for m in _SENTENCE.finditer(text):
            folded = f" {fold(m.group())} "
            if any(form in folded for form in forms):
                spans.append(m.span())
        if not spans:
            return 0, len(text)
        start, end = spans[0][0], spans[-1][1]
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        return start, end


class ClaimsSignal(SignalType):
    name: ClassVar[str] = "claims"
    cost: ClassVar[int] = 40
    config_model: ClassVar[type[BaseModel]] = ClaimsConfig

    @classmethod
    def build(cls, refs: list[SignalRef]) -> Matcher:
        return _ClaimsMatcher(refs)


# --- the built-in pack behind `scan --claims FILE` -------------------------------------------------

PACK_ID = "known_false_claim"

_DEBUNK = [
    "sai sự thật", "không đúng sự thật", "tin đồn", "tin giả", "tin thất thiệt", "thông tin sai", "bịa đặt",
    "bác bỏ", "không có căn cứ", "không có cơ sở", "chưa được chứng minh", "không có tác dụng", "cảnh giác",
    "cảnh báo", "đừng tin", "không nên tin", "kiểm chứng", "fact check", "fact-check", "false claim", "hoax",
    "debunk", "debunked", "myth", "no evidence", "not true", "misinformation", "fake news", "don't believe",
    "do not believe", "beware", "không chữa được", "không thể chữa", "không giúp", "does not cure", "doesn't cure", "cannot cure",
]


def claims_pack_yaml(csv_path: str) -> str:
    """The YAML text of the `known_false_claim` pack over one claims file."""
    import hashlib

    import yaml

    digest = hashlib.sha256(Path(csv_path).read_bytes()).hexdigest() if Path(csv_path).is_file() else "missing"
    pack = {
        "id": PACK_ID,
        "version": 1,
        "title": "Restates a known false claim (fact-checked)",
        "title_vi": "Lặp lại thông tin sai đã được kiểm chứng",
        "criterion": (
            "Restating, in any wording or language, a claim that a fact-checker has rated false and that "
            "the operator lists in its claims file: fake cures, fake prizes and giveaways, scam rumours."
        ),
        "criterion_vi": (
            "Lặp lại (bằng bất kỳ cách diễn đạt hay ngôn ngữ nào) một thông tin đã được kiểm chứng là sai và "
            "có trong danh sách của đơn vị vận hành: chữa bệnh sai sự thật, trúng thưởng giả, tin đồn lừa đảo."
        ),
        "severity": "medium",
        "action": "label",
        "dsa": {"category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "keywords": ["KEYWORD_OTHER"]},
        "signals": [
            {"type": "claims", "group": "claim", "weight": 0.9, "file": str(Path(csv_path).resolve())},
            {"type": "lexicon", "group": "debunk", "weight": 0.8, "terms": _DEBUNK},
        ],
        "require": "claim and not debunk",
        "threshold": 0.5,
    }
    # The digest makes the pack's fingerprint (stored with every scan) change with the claims file.
    return f"# claims file sha256: {digest}\n" + yaml.safe_dump(pack, allow_unicode=True, sort_keys=False)
