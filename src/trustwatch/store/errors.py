"""The store's one exception, a `TrustwatchError`, so the CLI prints it as one sentence (exit 2)."""

from __future__ import annotations

from ..errors import TrustwatchError


class StoreError(TrustwatchError):
    """The database cannot be opened or written as asked; the message names the value and the fix."""
