"""Recommendation on a hand-built cohort; every expected value worked out by hand below.

Energies in the group (Wh per 1000): D 1.5, A 2.0, B 3.0, G 5.0, C 8.0, F 10.0.
Range 1.5..10 (8.5 wide), band width 1.7: A, B, D -> 5 stars; G (5.0-1.5)/8.5*5 = 2.06 -> 3 stars;
C 3.82 -> 2 stars; F capped -> 1 star.
"""

import pytest

from effdash.carbon import grid_intensity
from effdash.recommend import Candidate, Request, recommend

WORLD = grid_intensity(None)  # 475 gCO2e/kWh (CodeCarbon's world average)

COHORT = [
    Candidate("A", parameters=66_000_000, wh_per_1k=2.0, quality=0.91),
    Candidate("B", parameters=125_000_000, wh_per_1k=3.0, quality=0.94),
    Candidate("C", parameters=355_000_000, wh_per_1k=8.0, quality=0.96),
    Candidate("D", parameters=110_000_000, wh_per_1k=1.5, quality=0.80),
    Candidate("E", parameters=10_000_000, quality=0.99, other_groups=("NVIDIA H100 · GPU energy only",)),
    Candidate("F", parameters=1_000_000_000, wh_per_1k=10.0),
    Candidate("G", parameters=30_000_000, wh_per_1k=5.0, quality=0.92),
]


def run(threshold, objective="params", daily=1_000_000):
    return recommend(COHORT, Request(threshold=threshold, objective=objective, daily_inferences=daily), WORLD, "accuracy")


def test_fewest_parameters_that_meet_the_threshold():
    res = run(0.90)
    assert res.recommended.model_id == "G"  # 30M params, quality 0.92 >= 0.90
    assert [c.model_id for c in res.qualifying] == ["G", "A", "B", "C"]


def test_least_energy_objective_picks_another_model():
    res = run(0.90, objective="energy")
    assert res.recommended.model_id == "A"  # 2.0 Wh is the least among G, A, B, C
    assert [c.model_id for c in res.qualifying] == ["A", "B", "G", "C"]


def test_raising_the_threshold_changes_the_recommendation():
    assert run(0.93).recommended.model_id == "B"
    assert run(0.95).recommended.model_id == "C"


def test_every_exclusion_has_its_reason():
    reasons = {e.candidate.model_id: e.reason for e in run(0.90).excluded}
    assert reasons["D"] == "below threshold (0.8 < 0.9)"
    assert reasons["E"].startswith("measured only on other hardware or method tier: NVIDIA H100")
    assert reasons["F"] == "no accuracy score"
    assert set(reasons) == {"D", "E", "F"}


def test_stars_follow_the_five_equal_bands():
    stars = {c.model_id: c.stars for c in run(0.90).candidates}
    assert stars == {"A": 5, "B": 5, "C": 2, "D": 5, "F": 1, "G": 3}


def test_savings_against_largest_and_hungriest():
    res = run(0.90)  # G at 5.0 Wh recommended
    largest, hungriest = res.saving_vs_largest, res.saving_vs_hungriest
    assert largest.versus.model_id == "C"
    assert largest.wh_per_1k == pytest.approx(3.0)
    assert largest.percent == pytest.approx(37.5)
    # 3 Wh per 1000 x 1,000,000 per day = 3 kWh per day; x 365 = 1095 kWh per year
    assert largest.kwh_per_year == pytest.approx(1095.0)
    assert largest.kg_co2e_per_year == pytest.approx(1095.0 * 0.475)
    assert hungriest.versus.model_id == "F"
    assert hungriest.wh_per_1k == pytest.approx(5.0)
    assert hungriest.percent == pytest.approx(50.0)


def test_no_saving_against_itself():
    res = run(0.95)  # only C qualifies; it is also the largest qualifying model
    assert res.saving_vs_largest is None
    assert res.saving_vs_hungriest.wh_per_1k == pytest.approx(2.0)


def test_carbon_per_1000_uses_the_chosen_grid():
    france = grid_intensity("FRA")
    res = recommend(COHORT, Request(threshold=0.9), france, "accuracy")
    assert res.recommended.g_co2e_per_1k == pytest.approx(5.0 / 1000 * france.g_co2e_per_kwh)


def test_nothing_qualifies_names_the_closest():
    res = run(0.99)  # E has 0.99 but no energy in this group
    assert res.recommended is None
    assert "0.99" in res.reason
    assert [c.model_id for c in res.closest] == ["C", "B", "G"]


def test_lower_is_better_metric():
    cohort = [Candidate("x", 1, 1.0, quality=0.30), Candidate("y", 2, 2.0, quality=0.10)]
    res = recommend(cohort, Request(threshold=0.2, higher_is_better=False), WORLD, "error rate")
    assert res.recommended.model_id == "y"


def test_a_gpu_only_figure_never_enters_a_whole_machine_group(store):
    """GPU energy alone is not a GPU+CPU+RAM total: it is stored without one (and without its tier)."""
    from effdash.candidates import list_groups
    from effdash.records import MeasurementIn, RunEnergy, SourceRef, add_measurement

    src = SourceRef(kind="published", citation="test")
    with store.session() as s:
        row = add_measurement(s, MeasurementIn(
            model_id="org/gpu-only", task="text-classification", inferences=1000, hardware="NVIDIA H100 80GB",
            runs=[RunEnergy(gpu_energy_kwh=0.002)], source=src, components=("gpu",), gpu_method="nvml_counter"))
        s.flush()
        assert (row.energy_kwh, row.tier_total, row.gpu_energy_kwh, row.tier_gpu) == (None, None, 0.002, "counter")
        assert [g.group.basis for g in list_groups(s, "text-classification")] == ["gpu"]
