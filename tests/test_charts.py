from effdash.charts import pareto_front


def test_pareto_front_by_hand():
    # (id, energy, quality): b is dominated by a (cheaper and better); d by c.
    points = [("a", 1.0, 0.90), ("b", 2.0, 0.85), ("c", 3.0, 0.95), ("d", 4.0, 0.95), ("e", 5.0, 0.97)]
    assert pareto_front(points) == ["a", "c", "e"]


def test_pareto_front_lower_is_better():
    points = [("a", 1.0, 0.30), ("b", 2.0, 0.20), ("c", 3.0, 0.25)]
    assert pareto_front(points, higher_is_better=False) == ["a", "b"]
