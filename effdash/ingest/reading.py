"""Reading an uploaded file safely: size limit, content hash, encoding, delimiter, streaming rows.

Nothing read from a file is ever evaluated: CSV cells stay text until a parser converts
them to numbers, and JSON is parsed by the standard library's data-only decoder.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

from effdash.ingest.errors import InvalidUpload, RowError

#: Default maximum file size: 200 MB (configurable with --max-size-mb / ImportOptions.max_bytes).
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
BLOCK_BYTES = 1 << 20
HEAD_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True)
class Upload:
    """A file to import: its display name and a way to open its bytes (a path or bytes in memory)."""

    name: str
    opener: Callable[[], IO[bytes]]
    size_hint: int | None = None
    path: Path | None = None  # where the bytes lie, when they are a file

    @classmethod
    def from_path(cls, path: str | Path) -> "Upload":
        p = Path(path)
        return cls(p.name, lambda: p.open("rb"), p.stat().st_size if p.is_file() else None, p)

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> "Upload":
        return cls(name, lambda: io.BytesIO(data), len(data))


@dataclass(frozen=True)
class FileInfo:
    """What one pass over the bytes found: size, SHA-256, encoding and the first text (for detection)."""

    name: str
    size_bytes: int
    sha256: str
    encoding: str
    head: str

    @property
    def is_json(self) -> bool:
        return self.head.lstrip()[:1] in ("{", "[")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def _bom_encoding(first: bytes) -> str | None:
    for bom, name in _BOMS:
        if first.startswith(bom):
            return name
    return None


def _refuse_binary(name: str, first: bytes, bom: str | None) -> None:
    if first.startswith(b"PK\x03\x04"):
        raise InvalidUpload(name, "this is a spreadsheet workbook or zip archive, not a text file. "
                                  "Save the sheet as CSV (UTF-8) and import that file.")
    if bom != "utf-16" and b"\0" in first:
        raise InvalidUpload(name, "this is a binary file, not CSV or JSON text. "
                                  "Import a CSV (comma, semicolon or tab separated) or a JSON file.")


def _looks_binary(head: str) -> bool:
    control = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\r\n")
    return bool(head) and control / len(head) > 0.05


def inspect(upload: Upload, max_bytes: int = DEFAULT_MAX_BYTES) -> FileInfo:
    """One streaming pass: refuse empty, oversized and binary files; hash and pick the encoding."""
    if upload.size_hint is not None and upload.size_hint > max_bytes:
        raise InvalidUpload(upload.name, f"the file is {_mb(upload.size_hint)}, over the limit of {_mb(max_bytes)}. "
                                         "Split it, or raise the limit (effdash import --max-size-mb).")
    digest, size, utf8_ok = hashlib.sha256(), 0, True
    decoder = codecs.getincrementaldecoder("utf-8")()
    with upload.opener() as fh:
        first = fh.read(BLOCK_BYTES)
        if not first.strip():
            raise InvalidUpload(upload.name, "the file is empty. Export the data again and check it has a header row.")
        bom = _bom_encoding(first)
        _refuse_binary(upload.name, first, bom)
        block = first
        while block:
            size += len(block)
            if size > max_bytes:
                raise InvalidUpload(upload.name, f"the file is over the limit of {_mb(max_bytes)}. "
                                                 "Split it, or raise the limit (effdash import --max-size-mb).")
            digest.update(block)
            if bom is None and b"\0" in block:
                _refuse_binary(upload.name, b"\0", None)
            if utf8_ok and bom is None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8_ok = False
            block = fh.read(BLOCK_BYTES)
    encoding = bom or ("utf-8" if utf8_ok else "cp1252")
    head = codecs.getincrementaldecoder(encoding)(errors="replace").decode(first[:HEAD_BYTES])
    if _looks_binary(head):
        _refuse_binary(upload.name, b"\0", None)
    return FileInfo(upload.name, size, digest.hexdigest(), encoding, head)


def sniff_delimiter(head: str) -> str:
    """The delimiter of the header line: the most frequent of comma, semicolon and tab."""
    first_line = head.splitlines()[0] if head else ""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


@dataclass
class CsvRow:
    line: int  # line number in the file where the row ends (header = 1)
    cells: list[str]


def csv_rows(upload: Upload, info: FileInfo, delimiter: str) -> Iterator[CsvRow]:
    """Stream the rows of a CSV file (header first), skipping completely empty rows."""
    with upload.opener() as raw:
        text = io.TextIOWrapper(raw, encoding=info.encoding, newline="")
        reader = csv.reader(text, delimiter=delimiter)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InvalidUpload(info.name, "the file cannot be read as CSV.", [RowError(
                    reader.line_num, None, None, _csv_reason(exc))]) from None
            except UnicodeDecodeError:
                raise InvalidUpload(info.name, f"the file is neither UTF-8 nor Windows-1252 text near row "
                                               f"{reader.line_num + 1}. Save it as CSV UTF-8 and retry.") from None
            if any(c.strip() for c in cells):
                yield CsvRow(reader.line_num, cells)


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return (f"a cell is longer than {csv.field_size_limit():,} characters (is a closing quote missing?); "
                "cells must be short text or numbers")
    return f"malformed CSV ({text})"


def load_json(upload: Upload, info: FileInfo):
    """Parse a JSON file (data only: nothing in it is executed)."""
    with upload.opener() as raw:
        text = raw.read().decode(info.encoding, errors="strict")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidUpload(info.name, "the file is not valid JSON.", [RowError(
            exc.lineno, None, None, f"{exc.msg} at character {exc.colno} of line {exc.lineno}")]) from None
