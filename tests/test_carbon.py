import json
from pathlib import Path

import codecarbon
import pytest

from effdash.carbon import countries, g_co2e, grid_intensity
from effdash.errors import ConfigurationError


def _shipped_mix():
    path = Path(codecarbon.__file__).parent / "data" / "private_infra" / "global_energy_mix.json"
    return json.loads(path.read_text())


def test_country_intensity_is_codecarbons():
    mix = _shipped_mix()
    assert grid_intensity("FRA").g_co2e_per_kwh == pytest.approx(mix["FRA"]["carbon_intensity"])
    assert grid_intensity("usa").name == "United States"


def test_world_average_is_475():
    assert grid_intensity(None).g_co2e_per_kwh == pytest.approx(475.0)
    assert grid_intensity("WORLD").code == "WORLD"


def test_grams_per_wh():
    # 2 Wh at 500 g/kWh = 0.002 kWh x 500 = 1 g
    from effdash.carbon import GridIntensity
    assert g_co2e(2.0, GridIntensity("X", "X", 500.0, None, "test")) == pytest.approx(1.0)


def test_unknown_country_is_a_clear_error():
    with pytest.raises(ConfigurationError, match="ISO 3166-1 alpha-3"):
        grid_intensity("XXX")


def test_country_list_has_all_213_plus_world():
    assert len(countries()) == len(_shipped_mix()) + 1
