"""Problems are data: every stage reports `Diagnostic`s; the CLI picks the exit code.

A `Diagnostic` names the file (relative to the project when possible), the line where
known, a level and a message that says what to do. `DigestError` carries diagnostics out
of a stage that cannot go on; it is the only exception the CLI turns into exit code 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int | None
    level: Level
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        prefix = "" if self.level is Level.ERROR else "warning: "
        return f"{where}: {prefix}{self.message}"

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line or 0, self.level.value, self.message)


def error(path: str | Path, line: int | None, message: str) -> Diagnostic:
    return Diagnostic(str(path), line, Level.ERROR, message)


def warning(path: str | Path, line: int | None, message: str) -> Diagnostic:
    return Diagnostic(str(path), line, Level.WARNING, message)


class DigestError(Exception):
    """A user error: the build (or command) cannot continue. Carries its diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=lambda d: d.sort_key)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.level is Level.ERROR for d in diagnostics)


def raise_if_errors(diagnostics: list[Diagnostic]) -> None:
    if has_errors(diagnostics):
        raise DigestError(diagnostics)
