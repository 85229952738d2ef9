"""Errors of a measurement. ``error_type`` is what a failed run is recorded as (``failed_runs``)."""

from __future__ import annotations

from effdash.errors import EffdashError


class MeasureError(EffdashError):
    """A measurement could not be made; nothing partial is stored."""

    error_type = "failed"


class MeasureStackMissing(MeasureError):
    error_type = "missing_dependencies"


class UnsupportedTask(MeasureError):
    error_type = "unknown_task"


class InputSetMissing(MeasureError):
    error_type = "input_set_missing"


class ModelLoadFailed(MeasureError):
    error_type = "load_failed"


class OutOfMemory(MeasureError):
    error_type = "out_of_memory"


class MeasurementInterrupted(MeasureError):
    error_type = "interrupted"


class MeterUnavailable(MeasureError):
    """A sensor the user asked for (e.g. an NVIDIA GPU) is not there."""

    error_type = "meter_unavailable"


class WindowTooShort(MeasureError):
    """The meter could not resolve the window's energy (it read zero or nothing)."""

    error_type = "window_too_short"


class InferenceFailed(MeasureError):
    error_type = "inference_failed"


INSTALL_HINT = "pip install -r requirements-measure.txt"
