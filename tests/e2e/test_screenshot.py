"""The README screenshot can be regenerated: scripts/screenshot.py writes a PNG of the Compare page."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_script_writes_the_compare_page(chromium, tmp_path):
    out = tmp_path / "compare.png"
    done = subprocess.run([sys.executable, "scripts/screenshot.py", "--out", str(out), "--width", "1200",
                           "--height", "900"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Wrote {out}"
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk: the viewport asked for
    assert (width, height) == (1200, 900)
    assert len(data) > 50_000  # a rendered page, not a blank one (a blank 1200x900 PNG is a few kB)
