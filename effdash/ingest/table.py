"""A CSV file as a header and a stream of {column: cell} rows, with row numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from effdash.ingest.errors import InvalidUpload, RowError
from effdash.ingest.reading import FileInfo, Upload, csv_rows, sniff_delimiter


@dataclass
class Table:
    name: str
    delimiter: str
    header: list[str]  # stripped, lower-case column names
    rows: Iterator[tuple[int, dict[str, str]] | RowError]

    def has(self, *columns: str) -> bool:
        return all(c in self.header for c in columns)

    def number(self, text: str) -> str:
        """A numeric cell as Python reads it: decimal commas of semicolon files become points."""
        text = text.strip()
        if self.delimiter == ";" and "," in text and "." not in text:
            return text.replace(",", ".")
        return text


def open_table(upload: Upload, info: FileInfo) -> Table:
    """Read the header (refusing a header-only file lazily, when rows are counted) and stream rows."""
    delimiter = sniff_delimiter(info.head)
    stream = csv_rows(upload, info, delimiter)
    first = next(stream, None)
    if first is None:
        raise InvalidUpload(info.name, "the file has no header row.")
    header = [h.strip().lstrip("\ufeff").strip().lower() for h in first.cells]
    seen = set()
    for h in header:
        if h in seen and h:
            raise InvalidUpload(info.name, f"the header names column {h!r} twice. Rename or remove one.")
        seen.add(h)
    return Table(info.name, delimiter, header, _dict_rows(stream, header))


def _dict_rows(stream, header: list[str]):
    width = len(header)
    for row in stream:
        if len(row.cells) != width:
            yield RowError(row.line, None, None, f"the row has {len(row.cells)} cells but the header has {width} "
                                                 "columns (a stray delimiter or quote?)")
            continue
        yield row.line, dict(zip(header, row.cells))
