"""Classifier signal: a trained text classifier (see trustwatch.learn) as evidence in a pack.

    - {type: classifier, group: learned, model: scam, weight: 1.0}          # a shipped model
    - {type: classifier, group: learned, model: ./models/mine, label: spam}  # a folder from `trustwatch train`

The hit's weight is the model's calibrated probability of `label` times `weight`; below
`min_probability` there is no hit. Evidence spans are the words and two-word phrases that pushed
the score up most, stop words left out (`Classifier.evidence`, learn/stopwords.py).

The content gate: a text with fewer than `min_content_words` (default 3) topic-bearing words
beyond contact, payment, call-to-action and filler words (`ib zalo 0912 345 678`, `DM me for more
info`) is not scored at all, so it gives no hit and costs no classifier call (content_gate.py says
which words are set aside and why). `min_content_words: 0` turns the gate off. The gate is judged
per text the classifier reads (the post's text, title, hashtags), as the score is.

Scoring is a hashed n-gram vector and one numpy dot product, but it still costs more than the
lexicon and pattern passes, so its `cost` puts it last in the cascade: it runs only for packs whose
cheaper signals leave the flag open (see BENCHMARKS.md (Learned detection) for the share of posts it reaches).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..learn.features import hashed, term_freqs
from ..learn.model import Classifier, ModelError, load
from .base import Document, Hit, Matcher, SignalRef, SignalType
from .content_gate import content_words


def shipped_models() -> list[str]:
    folder = resources.files("trustwatch") / "classifiers"
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and (p / "manifest.json").is_file())


def resolve(model: str) -> Path:
    """A shipped model's name, or a path to a model folder."""
    if "/" not in model and "\\" not in model and not model.startswith("."):
        shipped = resources.files("trustwatch") / "classifiers" / model
        if shipped.is_dir():
            return Path(str(shipped))
        if not Path(model).exists():
            raise ModelError(
                f"{model}: no shipped classifier has this name and no such folder exists",
                f"Use one of {shipped_models()} or a path to a folder written by `trustwatch train`.",
            )
    return Path(model).expanduser().resolve()


@lru_cache(maxsize=32)
def _load_cached(path: str, mtime: float) -> Classifier:
    return load(path)


def get_model(model: str) -> Classifier:
    path = resolve(model)
    mpath = path / "manifest.json" if path.is_dir() else path
    try:
        mtime = mpath.stat().st_mtime
    except OSError:
        mtime = 0.0
    return _load_cached(str(path), mtime)


class ClassifierConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = "classifier"
    group: str
    model: str = Field(min_length=1)
    label: str | None = None  # default: "1" if the model has it, else its last label
    weight: float = Field(0.7, ge=0.0, le=1.0)
    # Below this there is no hit (and no evidence to compute): by default half, the usual threshold.
    min_probability: float = Field(0.5, ge=0.0, le=1.0)
    # The content gate: a text with fewer topic-bearing words than this is not scored (0: off).
    min_content_words: int = Field(3, ge=0, le=50)

    @model_validator(mode="after")
    def _check(self) -> ClassifierConfig:
        try:
            clf = get_model(self.model)
        except ModelError as exc:  # names the file; pack loading reports it as file:field: message
            raise ValueError(str(exc)) from None
        if self.label is not None and self.label not in clf.labels:
            raise ValueError(f"label {self.label!r} is not one of the model's labels {clf.labels}")
        return self

    def label_index(self, clf: Classifier) -> int:
        if self.label is not None:
            return clf.labels.index(self.label)
        return clf.labels.index("1") if "1" in clf.labels else len(clf.labels) - 1


class _ClassifierMatcher(Matcher):
    def __init__(self, refs: list[SignalRef]) -> None:
        self.models: dict[str, Classifier] = {}
        self.entries: list[tuple[int, str, int, float, float, str, int]] = []
        for ref in refs:
            cfg: ClassifierConfig = ref.config
            clf = get_model(cfg.model)
            key = str(clf.path)
            self.models[key] = clf
            name = clf.manifest.get("name") or Path(key).name
            self.entries.append(
                (ref.index, key, cfg.label_index(clf), cfg.weight, cfg.min_probability, name, cfg.min_content_words)
            )
        self.gate = max((e[6] for e in self.entries), default=0)  # count words up to the largest gate
        # `possible` and `match` see the same document one after the other: count its words once.
        self._counted: tuple[Document | None, list[int]] = (None, [])

    def _content(self, doc: Document) -> list[int]:
        """Per source: its topic-bearing words, counted up to the largest gate."""
        last, counts = self._counted
        if last is not doc:
            counts = [content_words(norm, self.gate) for _, norm in doc.sources]
            self._counted = (doc, counts)
        return counts

    def possible(self, doc: Document) -> frozenset[int] | None:
        """The signals whose content gate some text of the post passes (None: all of them)."""
        if not self.gate:
            return None
        most = max(self._content(doc), default=0)
        passing = [e[0] for e in self.entries if e[6] <= most]
        return None if len(passing) == len(self.entries) else frozenset(passing)

    def match(self, doc: Document, only: frozenset[int] | None = None) -> list[Hit]:
        hits: list[Hit] = []
        counts = self._content(doc) if self.gate else None
        for i, (source, norm) in enumerate(doc.sources):
            probas: dict[str, object] = {}
            freqs: dict[object, tuple] = {}  # models with the same feature settings share the hashing
            for ref, key, label, weight, floor, name, gate in self.entries:
                if only is not None and ref not in only:
                    continue
                if counts is not None and counts[i] < gate:
                    continue  # too bare to judge: no score, no hit
                clf = self.models[key]
                p = probas.get(key)
                if p is None:
                    tf = freqs.get(clf.settings)
                    if tf is None:
                        idx, words = hashed(norm, clf.settings, with_words=True)
                        tf = freqs[clf.settings] = (*term_freqs(idx), words)
                    if not len(tf[0]):
                        break  # an empty text is evidence of nothing
                    p = probas[key] = clf.proba_tf(tf[0], tf[1], clf.embed([norm.original])[0] if clf.embeds else None)
                w = float(p[label]) * weight  # type: ignore[index]
                if w < floor or w <= 0.0:
                    continue
                detail = f"classifier “{name}” (P({clf.labels[label]}) = {float(p[label]):.2f})"  # type: ignore[index]
                spans = clf.evidence(norm, label, hashed_words=freqs[clf.settings]) or [(1, max(1, len(norm.folded_text) - 1), 0.0)]
                for start, end, _ in spans:
                    hits.append(Hit(ref, "model:" + key, source, "folded", start, end, w, detail))
        return hits


class ClassifierSignal(SignalType):
    name: ClassVar[str] = "classifier"
    cost: ClassVar[int] = 50
    # Asked only when the cheaper signals leave the flag open: a post the lexicons and patterns
    # already flag (or already clear) never pays for it, and its score is then a lower bound.
    only_when_uncertain: ClassVar[bool] = True
    config_model: ClassVar[type[BaseModel]] = ClassifierConfig

    @classmethod
    def build(cls, refs: list[SignalRef]) -> Matcher:
        return _ClassifierMatcher(refs)
