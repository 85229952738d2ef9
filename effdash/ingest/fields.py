"""Field types and checks shared by the parsers (pydantic), and the conversion of
pydantic's validation errors into row errors that name the row, column and value."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, ValidationError

from effdash.errors import UnknownTask
from effdash.ingest.errors import RowError
from effdash.methods import METHOD_TIER
from effdash.tasks import normalise_task

_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*(/[A-Za-z0-9._\-]+)?")


def check_model_id(value: str) -> str:
    if len(value) > 255 or not _MODEL_ID.fullmatch(value):
        raise ValueError("not a model id: use the Hugging Face id (org/name) made of letters, digits, "
                         "'.', '_' and '-'")
    return value


@lru_cache(maxsize=256)
def task_tag(value: str) -> str:
    """Pipeline tag of a task name or alias; ValueError (for pydantic) when unknown."""
    try:
        return normalise_task(value)
    except UnknownTask:
        raise ValueError("unknown task: use a Hugging Face pipeline tag such as text-classification, "
                         "or an AI Energy Score task name") from None


def check_method(value: str) -> str:
    if value not in METHOD_TIER:
        raise ValueError(f"unknown method; use one of {', '.join(METHOD_TIER)}")
    return value


ModelId = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(check_model_id)]
Task = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(task_tag)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
PositiveKwh = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=1)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


def fits(column, reserve: int = 0):
    """Text that fits a VARCHAR ``column`` (less ``reserve`` characters effdash adds), so that no
    database truncates it silently (SQLite) or refuses it with a traceback (PostgreSQL)."""
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=column.type.length - reserve)]

_PREFIXES = ("Value error, ", "Assertion failed, ")


def row_errors(exc: ValidationError, line: int, cells: dict[str, str]) -> list[RowError]:
    """One RowError per pydantic error, with the original cell text as the value."""
    out = []
    for err in exc.errors(include_url=False):
        column = str(err["loc"][0]) if err["loc"] else None
        reason = err["msg"]
        for prefix in _PREFIXES:
            reason = reason.removeprefix(prefix)
        if err["type"] == "missing":
            reason = "required column is empty"
        out.append(RowError(line, column, cells.get(column) if column else None, reason))
    return out


def non_empty(cells: dict[str, str]) -> dict[str, str]:
    """Cells with text (empty cells mean 'not given')."""
    return {k: v for k, v in cells.items() if v and v.strip()}


def check_country(value: str) -> str:
    value = value.upper()
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("use the ISO 3166 alpha-3 country code, e.g. FRA or USA")
    return value


CountryIso = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(check_country)]
