"""The columnar parser of large native files, run in a process of its own.

Parsing and checking a large file is Python work; done in a thread it holds the interpreter lock
that the database writer needs between rows, so the two take turns instead of overlapping. In a
child process they run on two cores. The child reads the file, checks each chunk
(:func:`effdash.ingest.native_columns.prepared_chunks`) and writes to its stdout one frame per
chunk: an 8-byte length, then a ``marshal`` payload of plain values (lists of str, float, int,
None: no code, no classes). Frames: ``("chunk", columns, fingerprints, summary sums)``,
``("declined", reason)``, ``("done",)``. Any failure is sent as "declined": the parent then imports the file row by row,
which names the bad rows. When the parent goes away, the next write fails and the child ends.

    python -m effdash.ingest.columns_worker PATH ENCODING DELIMITER [HARDWARE]
"""

from __future__ import annotations

import marshal
import struct
import sys

LENGTH = struct.Struct("<Q")


def send(out, frame: tuple) -> None:
    payload = marshal.dumps(frame)
    out.write(LENGTH.pack(len(payload)))
    out.write(payload)
    out.flush()


def main(argv: list[str]) -> int:
    path, encoding, delimiter, *rest = argv
    out = sys.stdout.buffer
    try:
        from effdash.ingest import native_columns

        for cols, fps, sums in native_columns.prepared_chunks(path, encoding, delimiter, rest[0] if rest else None):
            send(out, ("chunk", cols, fps, sums))
        send(out, ("done",))
    except BrokenPipeError:  # the parent is gone (finished early, or killed)
        return 0
    except Exception as exc:  # noqa: BLE001 - whatever it is, the row-by-row path will say it per row
        try:
            send(out, ("declined", f"{type(exc).__name__}: {exc}"))
        except BrokenPipeError:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
