"""Detection: signals (plugins) find evidence; the engine turns evidence into category scores."""

from .base import Document, Hit, Matcher, SignalRef, SignalType
from .engine import Detector

__all__ = ["Detector", "Document", "Hit", "Matcher", "SignalRef", "SignalType"]
