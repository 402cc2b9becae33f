"""Error types. The CLI prints a :class:`FacerepError` as one line, without a traceback."""
from __future__ import annotations


class FacerepError(Exception):
    """Base class of every error facerep reports to a user (bad name, bad option, bad data)."""


class UnknownNameError(FacerepError, KeyError):
    """A name that no registry knows."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ConfigError(FacerepError, ValueError):
    """A bad option value or an unknown config key."""


class DataError(FacerepError, ValueError):
    """Bad input data. ``path`` and ``line`` locate it; the message says what was expected."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.message, self.path, self.line = message, path, line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)


class MissingLabelsError(FacerepError):
    """A task asked for label kinds that a dataset does not provide."""
