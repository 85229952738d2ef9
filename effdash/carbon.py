"""Carbon: kWh to gCO2e with the grid carbon intensity data that CodeCarbon ships.

No hand-written intensity table: ``codecarbon.input.DataSource`` provides per-country
intensities (``global_energy_mix.json``, gCO2e/kWh by ISO 3166-1 alpha-3 code) and the
world average (``carbon_intensity_per_source.json``, ``world_average``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from effdash.errors import ConfigurationError

WORLD = "WORLD"


@dataclass(frozen=True)
class GridIntensity:
    """Carbon intensity of electricity in one place."""

    code: str  # ISO3 or WORLD
    name: str
    g_co2e_per_kwh: float
    year: int | None
    source: str


@lru_cache(maxsize=1)
def _codecarbon_tables() -> tuple[dict, float, str]:
    import codecarbon
    from codecarbon.input import DataSource

    data = DataSource()
    mix = data.get_global_energy_mix_data()
    world = float(data.get_carbon_intensity_per_source_data()["world_average"])
    return mix, world, f"CodeCarbon {codecarbon.__version__} global energy mix data"


def grid_intensity(country_iso: str | None = None) -> GridIntensity:
    """Intensity for an ISO3 country code; None or 'WORLD' gives the world average."""
    mix, world, source = _codecarbon_tables()
    if not country_iso or country_iso.upper() == WORLD:
        return GridIntensity(WORLD, "World average", world, None, source)
    code = country_iso.strip().upper()
    if code not in mix:
        raise ConfigurationError(
            f"No carbon intensity for country code {country_iso!r}. Use an ISO 3166-1 alpha-3 "
            "code such as USA, FRA or DEU, or WORLD for the world average."
        )
    row = mix[code]
    return GridIntensity(code, row["country_name"], float(row["carbon_intensity"]), row.get("year"), source)


def countries() -> list[GridIntensity]:
    """Every country CodeCarbon has data for, sorted by name, with the world average first."""
    mix, _, _ = _codecarbon_tables()
    rows = sorted((grid_intensity(code) for code in mix), key=lambda g: g.name)
    return [grid_intensity(WORLD), *rows]


def g_co2e(energy_wh: float, intensity: GridIntensity) -> float:
    """Grams CO2e emitted by ``energy_wh`` watt-hours at ``intensity``."""
    return energy_wh / 1000.0 * intensity.g_co2e_per_kwh
