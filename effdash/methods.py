"""Measurement methods, their tiers, and the comparison groups built from them.

Figures are only compared within one *comparison group*: the same hardware, the same
energy basis (GPU only, or GPU+CPU+RAM), the same method tier and the same measured
window. Mixing groups silently is what effdash exists to prevent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

#: Energy method of one component -> its tier.
METHOD_TIER: dict[str, str] = {
    "nvml_counter": "counter",   # NVML total-energy counter (Volta and newer)
    "rapl": "counter",           # Intel/AMD RAPL energy counters
    "nvml_power": "sampled",     # NVML power readings integrated over time
    "sampled_power": "sampled",  # other sampled power meter
    "estimate": "estimate",      # model-based estimate (CodeCarbon TDP / RAM heuristics)
    "unknown": "unknown",        # the source does not say how it was measured
    "replay": "replay",          # replayed trace, for demos and tests only
}

#: Tiers from strongest to weakest.
TIER_ORDER: tuple[str, ...] = ("counter", "sampled", "estimate", "unknown", "replay")

TIER_LABEL: dict[str, str] = {
    "counter": "hardware energy counter",
    "sampled": "sampled power",
    "estimate": "includes estimates",
    "unknown": "method not stated",
    "replay": "replayed trace (demo)",
}

Basis = Literal["gpu", "total"]
BASIS_LABEL: dict[str, str] = {"gpu": "GPU energy only", "total": "GPU+CPU+RAM energy"}

WINDOW_LABEL: dict[str, str] = {
    "inference": "inference only",
    "whole_run": "whole run incl. model loading",
}


def method_tier(method: str | None) -> str:
    """Tier of one component's method; an absent or unrecognised method is 'unknown'."""
    return METHOD_TIER.get(method or "unknown", "unknown")


def weakest_tier(methods: Iterable[str | None]) -> str:
    """The weakest tier among the given component methods (a record is as good as its worst part)."""
    tiers = [method_tier(m) for m in methods]
    if not tiers:
        return "unknown"
    return max(tiers, key=TIER_ORDER.index)


@dataclass(frozen=True, order=True)
class ComparisonGroup:
    """The key under which energy figures may be compared with each other."""

    hardware: str
    basis: str
    tier: str
    window: str

    @property
    def label(self) -> str:
        return (
            f"{self.hardware} · {BASIS_LABEL.get(self.basis, self.basis)} · "
            f"{TIER_LABEL.get(self.tier, self.tier)} · {WINDOW_LABEL.get(self.window, self.window)}"
        )

    def as_token(self) -> str:
        """A compact, URL-safe-ish identifier (used in query parameters)."""
        return "|".join((self.hardware, self.basis, self.tier, self.window))

    @classmethod
    def from_token(cls, token: str) -> "ComparisonGroup":
        hardware, basis, tier, window = token.split("|")
        return cls(hardware, basis, tier, window)
