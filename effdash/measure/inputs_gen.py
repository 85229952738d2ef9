"""Generate effdash's fixed, versioned input sets (``data/inputs/``) from a fixed seed.

Run ``python -m effdash.measure.inputs_gen [OUT_DIR]`` to rebuild them; the output is
byte-for-byte reproducible (tests check that it matches what ships). Changing anything here
means a new version: bump ``VERSION`` so that old and new measurements are never compared
as if they had used the same inputs.

Text is composed from small hand-written vocabularies with ``random.Random(SEED)``; images
are drawn programmatically (gradients, rectangles and ellipses) with Pillow. Stdlib and
Pillow only, no torch.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import sys
from pathlib import Path

VERSION = 1
SEED = 20240601
N_ITEMS = 1000  # queries per text task, as in the AI Energy Score (1000 per task)
N_IMAGES = 100  # images; a run of more samples cycles through them
N_EVAL = 200  # labelled examples of the evaluation sets

NAMES = ["Alice", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Julia",
         "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara"]
CITIES = ["Paris", "Lagos", "Lima", "Oslo", "Hanoi", "Cairo", "Quito", "Dublin", "Nairobi", "Porto",
          "Kyoto", "Denver", "Austin", "Tunis", "Bergen", "Krakow"]
ORGS = ["the city council", "the museum", "the hospital", "the university", "the railway company",
        "the football club", "the library", "the bakery"]
SUBJECTS = ["the chef", "my neighbour", "the teacher", "a young engineer", "the old farmer", "the pilot",
            "our manager", "the nurse", "a local artist", "the mechanic", "the student", "the gardener"]
# (past tense, past participle, objects that fit)
ACTIONS = [
    ("cooked", "cooked", ["the soup", "a large dinner", "the rice"]),
    ("painted", "painted", ["the fence", "a portrait", "the kitchen wall"]),
    ("repaired", "repaired", ["the bicycle", "the broken radio", "the roof"]),
    ("wrote", "written", ["a long letter", "the report", "a short poem"]),
    ("cleaned", "cleaned", ["the windows", "the garage", "the old boat"]),
    ("planted", "planted", ["the apple tree", "a row of tulips", "the tomatoes"]),
    ("sold", "sold", ["the car", "the blue house", "a collection of stamps"]),
    ("built", "built", ["a wooden shed", "the bridge model", "a small robot"]),
    ("opened", "opened", ["the shop", "the new exhibition", "the parcel"]),
    ("found", "found", ["the missing keys", "a lost wallet", "the hidden door"]),
]
THINGS = ["film", "meal", "hotel", "book", "concert", "phone", "service", "game", "lecture", "trip",
          "coffee", "software update", "museum tour", "train ride", "haircut"]
POSITIVE = ["wonderful", "excellent", "delightful", "fantastic", "superb", "brilliant", "lovely",
            "outstanding", "enjoyable", "impressive"]
NEGATIVE = ["terrible", "awful", "disappointing", "dreadful", "boring", "horrible", "poor",
            "frustrating", "unpleasant", "mediocre"]
POS_TAILS = ["I would happily recommend it.", "Everyone left smiling.", "It was worth every penny.",
             "We will definitely come back."]
NEG_TAILS = ["I would not recommend it.", "Everyone left annoyed.", "It was a waste of money.",
             "We will never come back."]
TIMES = ["on Monday", "last week", "in the morning", "after lunch", "during the storm", "in 2019",
         "at midnight", "before the holidays"]
TOPICS = [
    ("solar panels", "turn sunlight into electricity", "cheaper every year"),
    ("electric buses", "carry passengers without burning diesel", "common in large cities"),
    ("heat pumps", "move heat from outside air into homes", "efficient in mild winters"),
    ("wind turbines", "convert moving air into power", "taller with each generation"),
    ("data centres", "host the servers behind online services", "large consumers of electricity"),
    ("bicycles", "offer a quiet way to travel short distances", "popular with commuters"),
    ("rain gardens", "soak up storm water in streets", "used by many towns"),
    ("small language models", "answer questions with less computation", "good enough for many tasks"),
]
MASK = "<mask>"  # replaced by each model's own mask token at run time


def _sentence(rng: random.Random) -> str:
    verb, _, objects = rng.choice(ACTIONS)
    subject = rng.choice(SUBJECTS + NAMES)
    return f"{subject[0].upper()}{subject[1:]} {verb} {rng.choice(objects)} in {rng.choice(CITIES)} {rng.choice(TIMES)}."


def _review(rng: random.Random, positive: bool) -> str:
    adj = rng.choice(POSITIVE if positive else NEGATIVE)
    tail = rng.choice(POS_TAILS if positive else NEG_TAILS)
    return f"The {rng.choice(THINGS)} in {rng.choice(CITIES)} was {adj}. {tail}"


def text_classification(rng: random.Random) -> dict:
    items = [_review(rng, rng.random() < 0.5) for _ in range(N_ITEMS)]
    labels = [rng.random() < 0.5 for _ in range(N_EVAL)]
    evals = [{"text": _review(rng, pos), "label": "positive" if pos else "negative"} for pos in labels]
    return {"items": items, "eval": {"metric": "accuracy", "dataset": "effdash-sentiment", "examples": evals}}


def token_classification(rng: random.Random) -> dict:
    def one() -> str:
        a, b = rng.sample(NAMES, 2)
        return f"{a} met {b} at {rng.choice(ORGS)} in {rng.choice(CITIES)} {rng.choice(TIMES)}."
    return {"items": [one() for _ in range(N_ITEMS)]}


def question_answering(rng: random.Random) -> dict:
    def one() -> dict:
        name, city = rng.choice(NAMES), rng.choice(CITIES)
        verb, _, objects = rng.choice(ACTIONS)
        obj = rng.choice(objects)
        context = f"{name} {verb} {obj} in {city} {rng.choice(TIMES)}. {_sentence(rng)}"
        question = rng.choice([f"Where did {name} go?", f"What did {name} do in {city}?", f"Who {verb} {obj}?"])
        return {"question": question, "context": context}
    return {"items": [one() for _ in range(N_ITEMS)]}


def fill_mask(rng: random.Random) -> dict:
    def one() -> str:
        words = _sentence(rng).rstrip(".").split()
        words[rng.randrange(1, len(words))] = MASK
        return " ".join(words) + "."
    return {"items": [one() for _ in range(N_ITEMS)]}


def _paraphrase_pair(rng: random.Random) -> tuple[str, str]:
    verb, participle, objects = rng.choice(ACTIONS)
    subject, obj, time = rng.choice(SUBJECTS), rng.choice(objects), rng.choice(TIMES)
    active = f"{subject[0].upper()}{subject[1:]} {verb} {obj} {time}."
    passive = f"{obj[0].upper()}{obj[1:]} was {participle} by {subject} {time}."
    return active, passive


def feature_extraction(rng: random.Random) -> dict:
    return {"items": [_sentence(rng) for _ in range(N_ITEMS)]}


def sentence_similarity(rng: random.Random) -> dict:
    """Pairs: an active sentence and its passive paraphrase (label 1) or another passive sentence (label 0)."""
    items = [dict(zip(("source", "target"), _paraphrase_pair(rng))) for _ in range(N_ITEMS)]
    examples = []
    for _ in range(N_EVAL):
        source, paraphrase = _paraphrase_pair(rng)
        if rng.random() < 0.5:
            examples.append({"source": source, "target": paraphrase, "label": 1})
        else:
            examples.append({"source": source, "target": _paraphrase_pair(rng)[1], "label": 0})
    return {"items": items, "eval": {"metric": "roc_auc", "dataset": "effdash-paraphrase", "examples": examples}}


def summarization(rng: random.Random) -> dict:
    def one() -> str:
        topic, does, trend = rng.choice(TOPICS)
        city = rng.choice(CITIES)
        parts = [f"In {city}, {topic} {does}.", f"Officials say that {topic} have become {trend}.",
                 _sentence(rng), f"A report by {rng.choice(ORGS)} counted {rng.randint(20, 900)} of them {rng.choice(TIMES)}.",
                 _sentence(rng)]
        return " ".join(parts)
    return {"items": [one() for _ in range(N_ITEMS)]}


def text_generation(rng: random.Random) -> dict:
    def one() -> str:
        topic, does, _ = rng.choice(TOPICS)
        return rng.choice([f"Explain why {topic}", f"Write a short story about {rng.choice(NAMES)} in {rng.choice(CITIES)}:",
                           f"The main reason {topic} {does} is", f"{_sentence(rng)} Then"])
    return {"items": [one() for _ in range(N_ITEMS)]}


TEXT_TASKS = {
    "text-classification": text_classification,
    "token-classification": token_classification,
    "question-answering": question_answering,
    "fill-mask": fill_mask,
    "feature-extraction": feature_extraction,
    "sentence-similarity": sentence_similarity,
    "summarization": summarization,
    "text-generation": text_generation,
}


def _image(rng: random.Random, size: int = 64):
    from PIL import Image, ImageDraw

    c1 = tuple(rng.randrange(256) for _ in range(3))
    c2 = tuple(rng.randrange(256) for _ in range(3))
    img = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(img)
    for y in range(size):  # vertical gradient
        t = y / (size - 1)
        draw.line([(0, y), (size, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(c1, c2)))
    for _ in range(rng.randint(1, 4)):
        x0, y0 = rng.randrange(size - 8), rng.randrange(size - 8)
        box = [x0, y0, rng.randint(x0 + 4, size), rng.randint(y0 + 4, size)]
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    return img


def _png_bytes(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=9)
    return buf.getvalue()


def _write_json(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def _header(task: str) -> dict:
    return {"id": f"effdash-{task}-v{VERSION}", "task": task, "version": VERSION, "seed": SEED,
            "generator": "effdash.measure.inputs_gen"}


def generate(out_dir: Path) -> list[Path]:
    """Write every input set into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (task, make) in enumerate(TEXT_TASKS.items()):
        path = out_dir / f"{task}.v{VERSION}.json"
        _write_json(path, {**_header(task), **make(random.Random(SEED + i))})
        written.append(path)
    img_dir = out_dir / f"image-classification.v{VERSION}"
    img_dir.mkdir(exist_ok=True)
    rng, files = random.Random(SEED + 100), []
    for i in range(N_IMAGES):
        data = _png_bytes(_image(rng))
        name = f"img{i:03d}.png"
        (img_dir / name).write_bytes(data)
        files.append({"file": name, "sha256": hashlib.sha256(data).hexdigest()})
    path = out_dir / f"image-classification.v{VERSION}.json"
    _write_json(path, {**_header("image-classification"), "image_dir": img_dir.name, "items": files})
    return [*written, path]


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    from effdash.config import DATA_DIR

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_DIR / "inputs"
    for p in generate(target):
        print(p)
