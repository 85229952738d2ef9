"""Star ratings by the AI Energy Score rule.

Within one task (and, for text generation, within one size class), the range of energy
per 1000 inferences is divided into five equal-width bands; the lowest-energy band gets
5 stars and the highest 1 (huggingface/AIEnergyScore ``index.md``). effdash rates only
within one comparison group (hardware, energy basis, method tier, window).
"""

from __future__ import annotations

import math
from typing import Sequence

#: Text-generation classes by parameter count (AI Energy Score): A up to 20B, B up to 66B, C above.
CLASS_LIMITS: tuple[tuple[str, float], ...] = (("A", 20e9), ("B", 66e9))
BANDS = 5


def text_generation_class(parameters: int | None) -> str | None:
    """'A', 'B' or 'C' for a parameter count; None when the count is unknown."""
    if parameters is None:
        return None
    for name, limit in CLASS_LIMITS:
        if parameters <= limit:
            return name
    return "C"


def star_rating(wh_per_1k: float, low: float, high: float) -> int:
    """Stars (1-5) of one figure in the range [low, high] of its cohort.

    The band index is floor(5 * (e - low) / (high - low)), capped at 4, so a figure
    exactly on a band boundary falls into the higher-energy band. A cohort whose figures
    are all equal gets 5 stars.
    """
    if not (math.isfinite(wh_per_1k) and low <= wh_per_1k <= high):
        raise ValueError(f"{wh_per_1k} is outside the cohort range [{low}, {high}]")
    if high == low:
        return BANDS
    band = min(int(BANDS * (wh_per_1k - low) / (high - low)), BANDS - 1)
    return BANDS - band


def rate(values: Sequence[float]) -> list[int]:
    """Stars for each figure of one cohort, in order."""
    if not values:
        return []
    low, high = min(values), max(values)
    return [star_rating(v, low, high) for v in values]


def rate_cohorts(values: Sequence[float], cohorts: Sequence[str | None]) -> list[int]:
    """Stars for figures split into cohorts (e.g. text-generation classes), in input order."""
    stars = [0] * len(values)
    for cohort in set(cohorts):
        idx = [i for i, c in enumerate(cohorts) if c == cohort]
        for i, s in zip(idx, rate([values[i] for i in idx])):
            stars[i] = s
    return stars
