import csv
from collections import defaultdict
from pathlib import Path

import pytest

from effdash.stars import rate, rate_cohorts, star_rating, text_generation_class

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "ai_energy_score_leaderboard_2025-02.csv"


def test_bands_worked_by_hand():
    # range 0..10, bands of width 2: [0,2) 5 stars, [2,4) 4, [4,6) 3, [6,8) 2, [8,10] 1
    assert [star_rating(e, 0, 10) for e in (0, 1.99, 2, 5, 7.99, 8, 10)] == [5, 5, 4, 3, 2, 1, 1]
    assert rate([3.0, 3.0]) == [5, 5]


def test_text_generation_classes():
    assert [text_generation_class(p) for p in (7e9, 20e9, 20e9 + 1, 66e9, 70e9, None)] == ["A", "A", "B", "B", "C", None]


def test_cohorts_are_rated_separately():
    assert rate_cohorts([1, 10, 100, 1000], ["A", "A", "C", "C"]) == [5, 1, 5, 1]


@pytest.mark.skipif(not REFERENCE.exists(), reason="../shared/reference is not available")
def test_reproduces_all_166_published_ai_energy_score_stars():
    rows = list(csv.DictReader(REFERENCE.open(encoding="utf-8")))
    by_task = defaultdict(list)
    for r in rows:
        by_task[r["leaderboard_task"]].append(r)
    mismatches = []
    for task, task_rows in by_task.items():
        energy = [float(r["total_gpu_energy"]) * 1000 for r in task_rows]  # kWh -> Wh per 1000 queries
        classes = [r["text_generation_class"] or None for r in task_rows]
        for r, stars in zip(task_rows, rate_cohorts(energy, classes)):
            if stars != int(r["star_rating_1_to_5"]):
                mismatches.append((task, r["model_id"], r["star_rating_1_to_5"], stars))
    assert len(rows) == 166
    assert mismatches == []
