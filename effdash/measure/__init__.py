"""Measure a model's energy per 1000 inferences on this machine (``effdash measure``).

Importing this package is cheap: torch and transformers are imported only when a
measurement runs, so the dashboard works without the measurement stack
(``pip install -r requirements-measure.txt`` adds it).
"""

from __future__ import annotations

from importlib.util import find_spec

#: Import name -> distribution to install.
MEASURE_PACKAGES = {"torch": "torch", "transformers": "transformers"}


def missing_packages() -> list[str]:
    """The measurement-stack distributions that are not installed."""
    return [dist for module, dist in MEASURE_PACKAGES.items() if find_spec(module) is None]


def measure_stack_available() -> bool:
    return not missing_packages()
