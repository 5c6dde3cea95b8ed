"""Explicit registry of signal types; third parties add theirs through the `trustwatch.signals`
entry point group, and the built-ins are registered through the same function."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from .base import SignalType


def _builtin() -> list[type[SignalType]]:
    from .claims import ClaimsSignal
    from .classifier import ClassifierSignal
    from .lexicon import LexiconSignal
    from .pattern import PatternSignal
    from .similarity import SimilaritySignal

    return [LexiconSignal, PatternSignal, ClassifierSignal, SimilaritySignal, ClaimsSignal]


@cache
def signal_types() -> dict[str, type[SignalType]]:
    types: dict[str, type[SignalType]] = {}
    plugins = [ep.load() for ep in entry_points(group="trustwatch.signals")]
    for st in _builtin() + plugins:
        if st.name in types:
            raise ValueError(f"two signal types are named {st.name!r}; signal type names must be unique")
        types[st.name] = st
    return types
