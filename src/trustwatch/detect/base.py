"""The small interface every signal implements.

A signal type compiles *all* signals of its type across all packs into one matcher, so that, for
example, every lexicon of every pack is searched by one automaton in one pass over the text.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from pydantic import BaseModel

from ..normalize import Normalized


@dataclass(frozen=True, slots=True)
class SignalRef:
    """One signal of one pack, as the engine numbers them."""

    index: int
    pack_id: str
    group: str
    config: Any  # the signal type's validated config model


@dataclass(frozen=True, slots=True)
class Document:
    """The texts of one post to search, each under its source name (`text`, `title`, `image:0:ocr`)."""

    sources: tuple[tuple[str, Normalized], ...]


class Hit(NamedTuple):
    """One match of one signal: `key` identifies what matched (two hits with one key count once).
    A named tuple, not a dataclass: posts produce many and it is built on the hot path.

    `start`/`end` index the named view (`plain` or `folded`) of the source; the engine maps them
    back to the original text only for evidence it reports, so unflagged posts never pay for it.
    """

    ref: int
    key: str
    source: str
    view: str
    start: int
    end: int
    weight: float
    detail: str
    data: dict[str, Any] | None = None  # structured evidence copied into the finding (a matched claim)


class Matcher(ABC):
    @abstractmethod
    def match(self, doc: Document, only: frozenset[int] | None = None) -> list[Hit]:
        """Every hit in the document of the compiled signals (of those numbered in `only`, if given)."""

    def possible(self, doc: Document) -> frozenset[int] | None:
        """The signals that could hit this document, found by a check much cheaper than `match`
        (None: any of them). The cascade uses it to skip packs that cannot reach their threshold."""
        return None


class SignalType(ABC):
    """A kind of signal. `cost` orders the cascade: cheaper signals run first, and a costlier one
    runs only for packs whose score could still reach their threshold."""

    name: ClassVar[str]
    config_model: ClassVar[type[BaseModel]]
    cost: ClassVar[int] = 10
    # True for a signal so costly that it runs only where the cheaper ones left the outcome open: a
    # pack already certain to be flagged skips it too (its score is then a lower bound).
    only_when_uncertain: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def build(cls, refs: list[SignalRef]) -> Matcher:
        """Compile every signal of this type into one matcher."""
