"""Bulk writing: inserts of many rows per statement, and a reader thread that parses ahead."""

from __future__ import annotations

import queue
import threading
from typing import Iterator

from sqlalchemy import DateTime, insert
from sqlalchemy.engine import Connection


class BulkInsert:
    """Bulk inserts of plain tuples, chunk by chunk.

    On SQLite the driver's executemany runs one INSERT per chunk in which columns that are NULL in
    every row are left out and columns with one value in every row (source, time, hardware,
    methods...) are written once as SQL literals: the parameters bound per row are only those that
    vary. Datetimes are converted by the caller. Other databases get SQLAlchemy Core insert()."""

    def __init__(self, conn: Connection, table, columns: tuple[str, ...]):
        self.conn, self.table, self.columns = conn, table, columns
        self.raw = conn.dialect.name == "sqlite"
        self.datetime = {c: table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
                         for c in columns if isinstance(table.c[c].type, DateTime)} if self.raw else {}
        quote = conn.dialect.identifier_preparer.quote
        self.names = [quote(c) for c in columns]
        self.table_name = quote(table.name)

    def convert_datetime(self, column: str, value):
        return value if not self.raw or value is None else self.datetime[column](value)

    @staticmethod
    def _literal(value) -> str | None:
        """An SQL literal for a number or text; None when the value must stay a bound parameter."""
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, (int, float)):
            return repr(value) if value == value and value not in (float("inf"), float("-inf")) else None
        if isinstance(value, str) and "\x00" not in value:
            return "'" + value.replace("'", "''") + "'"
        return None

    def run(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if not self.raw:
            self.conn.execute(insert(self.table), [dict(zip(self.columns, r)) for r in rows])
            return
        self.run_columns(list(zip(*rows)), len(rows))

    def run_columns(self, columns: list, n: int, *, skip_existing: str | None = None) -> int:
        """Insert ``n`` rows given column by column (in self.columns order): each a sequence of n
        values, or one scalar that holds for every row. With ``skip_existing`` (a unique column; SQLite
        only) a row whose value there is stored already, or earlier in the same call, is skipped in
        the same pass as the insert. Returns how many rows were inserted."""
        if not n:
            return 0
        if not self.raw:
            if skip_existing:
                raise ValueError("skip_existing is for SQLite; look the keys up first elsewhere")
            cols = [c if isinstance(c, (list, tuple)) else [c] * n for c in columns]
            self.run(list(zip(*cols)))
            return n
        names, values, varying = [], [], []
        for i, col in enumerate(columns):
            if not isinstance(col, (list, tuple)):
                literal = self._literal(col)
                if col is None:
                    continue
                col = col if literal else [col] * n
            else:
                first = col[0]
                if first is None and col.count(None) == n:
                    continue  # NULL in every row: left out
                same = type(first) is not float and col.count(first) == n
                literal = self._literal(first) if same else None
            names.append(self.names[i])
            values.append(literal or "?")
            if literal is None:
                varying.append(col)
        sql = f"INSERT INTO {self.table_name} ({', '.join(names)}) VALUES ({', '.join(values)})"
        if skip_existing:
            sql += f" ON CONFLICT ({self.conn.dialect.identifier_preparer.quote(skip_existing)}) DO NOTHING"
        return self.conn.exec_driver_sql(sql, list(zip(*varying))).rowcount


def in_background(items: Iterator, depth: int = 2) -> Iterator:
    """Run a generator in a thread, ``depth`` items ahead (bounded memory): parsing the next chunk
    overlaps with the database writing the current one. Its exceptions are raised here."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(exc)

    threading.Thread(target=work, name="effdash-import-parser", daemon=True).start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
