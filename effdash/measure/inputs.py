"""The fixed, versioned input sets in ``data/inputs/`` (built by :mod:`effdash.measure.inputs_gen`).

Each set has an id (``effdash-<task>-v<version>``) and a SHA-256 that are stored with every
measurement, so that two measurements can be checked to have used the same inputs. The
hash covers the set's JSON file and, for images, every image file it lists.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from effdash.config import DATA_DIR
from effdash.measure.errors import InputSetMissing
from effdash.measure.inputs_gen import MASK, VERSION

INPUTS_DIR = DATA_DIR / "inputs"


@dataclass(frozen=True)
class EvalSet:
    """Labelled examples for measuring quality in the same run."""

    metric: str
    dataset: str
    examples: list[dict[str, Any]]


@dataclass(frozen=True)
class InputSet:
    """A task's inputs: ``items`` are text, dicts of text, or (for images) PIL images."""

    set_id: str
    task: str
    sha256: str
    items: list[Any]
    eval: EvalSet | None = field(default=None)

    def take(self, samples: int) -> list[Any]:
        """The first ``samples`` inputs, cycling through the set when it is shorter."""
        return [self.items[i % len(self.items)] for i in range(samples)]


def set_path(task: str, inputs_dir: Path = INPUTS_DIR) -> Path:
    return inputs_dir / f"{task}.v{VERSION}.json"


def load_input_set(task: str, inputs_dir: Path = INPUTS_DIR) -> InputSet:
    """Load and hash the input set of ``task``; InputSetMissing if there is none."""
    path = set_path(task, inputs_dir)
    if not path.is_file():
        raise InputSetMissing(
            f"No input set for {task} at {path}. Restore data/inputs/ (it ships with effdash) or "
            "rebuild it with: python -m effdash.measure.inputs_gen"
        )
    raw = path.read_bytes()
    doc = json.loads(raw)
    digest = hashlib.sha256(raw)
    items = doc["items"]
    if "image_dir" in doc:
        items = _load_images(path.parent / doc["image_dir"], items, digest)
    ev = doc.get("eval")
    eval_set = EvalSet(ev["metric"], ev["dataset"], ev["examples"]) if ev else None
    return InputSet(doc["id"], task, digest.hexdigest(), items, eval_set)


def _load_images(folder: Path, entries: list[dict], digest) -> list:
    from PIL import Image

    images = []
    for entry in entries:
        data = (folder / entry["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise InputSetMissing(f"Image {folder / entry['file']} does not match its recorded hash; "
                                  "restore data/inputs/ or rebuild it with python -m effdash.measure.inputs_gen")
        digest.update(data)
        with Image.open(folder / entry["file"]) as img:
            images.append(img.convert("RGB"))
    return images


def with_mask_token(text: str, mask_token: str) -> str:
    """Fill-mask inputs carry a neutral placeholder; each model gets its own mask token."""
    return text.replace(MASK, mask_token)
