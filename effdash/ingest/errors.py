"""Errors of the import: every one names the file, and row-level ones the row and column."""

from __future__ import annotations

from dataclasses import dataclass

from effdash.errors import EffdashError

#: At most this many row errors are listed in a message; the rest are counted.
MAX_LISTED_ERRORS = 20


@dataclass(frozen=True)
class RowError:
    """One reason a row was rejected. ``row`` is the file's line number (header = row 1)."""

    row: int | None
    column: str | None
    value: str | None
    reason: str

    def describe(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        if self.column:
            where += f", column {self.column!r}"
        shown = "" if self.value is None else f" (value {_shorten(self.value)!r})"
        return f"{where}{shown}: {self.reason}"


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class InvalidUpload(EffdashError):
    """A file that cannot be imported as it is; nothing of it was stored."""

    def __init__(self, file_name: str, summary: str, errors: list[RowError] | None = None, total: int | None = None):
        self.file_name = file_name
        self.summary = summary
        self.errors = list(errors or [])
        self.total = total if total is not None else len(self.errors)
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [f"{self.file_name}: {self.summary}"]
        lines += [f"  {e.describe()}" for e in self.errors[:MAX_LISTED_ERRORS]]
        if self.total > min(len(self.errors), MAX_LISTED_ERRORS):
            lines.append(f"  … and {self.total - min(len(self.errors), MAX_LISTED_ERRORS)} more")
        return "\n".join(lines)


class DuplicateFile(InvalidUpload):
    """The same file (same content hash) was imported before."""
