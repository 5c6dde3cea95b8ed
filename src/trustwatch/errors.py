"""One root exception, so the CLI and API can turn any user error into one clear sentence."""

from __future__ import annotations


class TrustwatchError(Exception):
    """A user-facing error: `message` says what is wrong, `hint` how to fix it."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class PolicyError(TrustwatchError):
    """A policy pack could not be loaded; `errors` lists every `file:field: problem; fix` line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors) if len(errors) == 1 else f"{len(errors)} errors in policy packs:\n" + "\n".join(errors))
        self.errors = errors


class InputError(TrustwatchError):
    """An input file as a whole cannot be read (missing, unknown format)."""


class MissingToolError(TrustwatchError):
    """An external program or package the command needs is not installed."""

    exit_code = 3
