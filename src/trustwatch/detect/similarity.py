"""Similarity signal: a post is judged by its nearest neighbours among a pack's examples.

Each signal holds three kinds of reference texts, embedded with multilingual-e5-small (see
`embed`): the pack's examples (what the criterion catches), its counter-examples (look-alikes it
must not catch: news, warnings, disclosed ads) and the bundled everyday posts of `background`. A
post hits when, among its `k` nearest references, at least `min_votes` of them are examples *and*
the nearest one is an example. There is no fixed cosine cut-off: multilingual-e5 puts every pair of
texts between ~0.7 and 1.0, so an absolute cut-off either floods or misses; what counts is whether a
post sits closer to the examples than to the things it could be confused with. The examples can be
in either language: the model is cross-lingual.

It is the costliest signal (~50 ms a post on one thread), so it runs late in the cascade and only
for posts whose cheaper signals left the outcome open (`only_when_uncertain`): a post already
certain to be flagged, or certain not to be, never reaches it.

Pack YAML:

    - type: similarity
      group: topic
      weight: 0.8
      examples: ["Nhận xem bói, giải hạn…", …]        # inline, and/or
      counter_examples: ["Công an bắt nhóm giả danh thầy bói…", …]
      file: semantic/superstition.yaml              # {examples: […], counter_examples: […]}
      pack_examples: true                           # also use the pack's own examples
      k: 5
      min_votes: 0.6
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .background import BACKGROUND
from .base import Document, Hit, Matcher, SignalRef, SignalType
from .embed import shared_embedder


def resolve_path(value: str, info: ValidationInfo) -> Path:
    """A file named in a pack, relative to the pack's folder."""
    path = Path(value).expanduser()
    base = (info.context or {}).get("pack_path")
    if not path.is_absolute() and base:
        path = Path(base).resolve().parent / path
    return path


def _texts(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValueError(f"{what} must be a list of texts")
    return [t for t in value if t.strip()]


class SimilarityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = "similarity"
    group: str
    name: str | None = None
    weight: float = Field(0.7, ge=0.0, le=1.0)
    examples: list[str] = []
    counter_examples: list[str] = []
    file: str | None = None
    pack_examples: bool = False
    k: int = Field(5, ge=1, le=50)
    min_votes: float = Field(0.6, gt=0.0, le=1.0)
    background: bool = True
    # Filled in from `file` and the pack while validating.
    _more_examples: list[str] = PrivateAttr(default_factory=list)
    _more_counter_examples: list[str] = PrivateAttr(default_factory=list)

    @field_validator("file")
    @classmethod
    def _file(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return v
        path = resolve_path(v, info)
        try:
            _load_examples_file(str(path))
        except FileNotFoundError:
            raise ValueError(f"the examples file {str(path)!r} does not exist (paths are relative to the pack file)") from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ValueError(f"the examples file {str(path)!r} cannot be read as YAML ({type(exc).__name__})") from None
        return str(path)

    @model_validator(mode="after")
    def _enough(self, info: ValidationInfo) -> SimilarityConfig:
        if self.pack_examples:
            pack = (info.context or {}).get("pack") or {}
            self._more_examples += _texts(pack.get("examples"), "the pack's examples")
            self._more_counter_examples += _texts(pack.get("counter_examples"), "the pack's counter_examples")
        if self.file:
            ex, cex = _load_examples_file(self.file)
            self._more_examples += ex
            self._more_counter_examples += cex
        if len(self.all_examples) < 2:
            raise ValueError(
                "a similarity signal needs at least 2 examples; add `examples:`, a `file:` with examples, "
                "or `pack_examples: true`"
            )
        return self

    @property
    def all_examples(self) -> list[str]:
        return _dedupe(self.examples + self._more_examples)

    @property
    def all_counter_examples(self) -> list[str]:
        return _dedupe(self.counter_examples + self._more_counter_examples)


def _load_examples_file(path: str) -> tuple[list[str], list[str]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not set(data) <= {"examples", "counter_examples"}:
        raise ValueError(f"the examples file {path!r} must be a mapping with `examples:` and `counter_examples:` lists")
    return _texts(data.get("examples"), "examples"), _texts(data.get("counter_examples"), "counter_examples")


def _dedupe(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


POSITIVE, COUNTER, NEUTRAL, OTHER = 1, -1, 0, 2


def post_text(doc: Document) -> tuple[str, str] | None:
    """The source a semantic signal reads (the post's text, else its title) and its plain text."""
    by_name = dict(doc.sources)
    for name in ("text", "title"):
        norm = by_name.get(name)
        if norm is not None and norm.plain_text.strip():
            return name, norm.plain_text
    return None


class _SimilarityMatcher(Matcher):
    def __init__(self, refs: list[SignalRef]) -> None:
        self.refs = {r.index: r for r in refs}
        self._index: dict[int, tuple[np.ndarray, np.ndarray, list[str]]] | None = None

    def _build(self) -> dict[int, tuple[np.ndarray, np.ndarray, list[str]]]:
        # Embedded on first use, not at load: `policy check` and scans that never reach this stage
        # do not pay for the model. Each signal's references: its examples, its counter-examples,
        # the examples of the other packs' similarity signals (a scam is not a fortune-telling offer;
        # without them every harmful ad looks closest to whichever examples it is compared with) and
        # the everyday posts.
        embedder = shared_embedder()
        index = {}
        for i, ref in self.refs.items():
            cfg: SimilarityConfig = ref.config
            own = cfg.all_examples
            counter = cfg.all_counter_examples
            others = list(dict.fromkeys(
                t for r in self.refs.values() if r.pack_id != ref.pack_id for t in r.config.all_examples if t not in own
            ))
            neutral = list(BACKGROUND) if cfg.background else []
            texts = own + counter + others + neutral
            labels = np.array([POSITIVE] * len(own) + [COUNTER] * len(counter) + [OTHER] * len(others) + [NEUTRAL] * len(neutral))
            index[i] = (embedder.embed(texts), labels, texts)
        return index

    def possible(self, doc: Document) -> frozenset[int] | None:
        return None if post_text(doc) is not None else frozenset()

    def match(self, doc: Document, only: frozenset[int] | None = None) -> list[Hit]:
        found = post_text(doc)
        if found is None:
            return []
        source, text = found
        if self._index is None:
            self._index = self._build()
        vec = shared_embedder().embed([text])[0]
        hits = []
        for i, (matrix, labels, texts) in self._index.items():
            if only is not None and i not in only:
                continue
            cfg: SimilarityConfig = self.refs[i].config
            verdict = knn_vote(matrix @ vec, labels, cfg.k, cfg.min_votes)
            if verdict is None:
                continue
            best, votes, k, nearest_counter = verdict
            example = texts[best]
            short = example if len(example) <= 80 else example[:77] + "…"
            counter = f", nearest counter-example {nearest_counter:.2f}" if nearest_counter is not None else ""
            detail = (
                f"meaning close to example “{short}” (cosine {float(matrix[best] @ vec):.2f}; "
                f"{votes} of the {k} nearest references are examples{counter})"
            )
            hits.append(Hit(i, "sim", source, "plain", 0, len(text), cfg.weight, detail))
        return hits


def knn_vote(sims: np.ndarray, labels: np.ndarray, k: int, min_votes: float) -> tuple[int, int, int, float | None] | None:
    """(index of the nearest example, votes for, k, best counter-example cosine) when the post's
    k nearest references vote for the examples and the nearest is one; else None."""
    k = min(k, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    if labels[top[0]] != POSITIVE:
        return None
    votes = int((labels[top] == POSITIVE).sum())
    if votes < min_votes * k - 1e-9:
        return None
    counters = sims[labels == COUNTER]
    return int(top[0]), votes, k, (float(counters.max()) if counters.size else None)


class SimilaritySignal(SignalType):
    name: ClassVar[str] = "similarity"
    cost: ClassVar[int] = 50
    only_when_uncertain: ClassVar[bool] = True
    config_model: ClassVar[type[BaseModel]] = SimilarityConfig

    @classmethod
    def build(cls, refs: list[SignalRef]) -> Matcher:
        return _SimilarityMatcher(refs)
