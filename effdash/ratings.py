"""Star ratings of a task's models within one comparison group."""

from __future__ import annotations

from sqlalchemy.orm import Session

from effdash.candidates import list_groups, load_candidates
from effdash.compare import NothingToCompare
from effdash.methods import ComparisonGroup
from effdash.recommend import with_stars


def ratings(session: Session, task: str, *, hardware: str | None = None,
            basis: str | None = None) -> tuple[ComparisonGroup, list[dict]]:
    """(group, rows of model_id, wh_per_1k, stars, class) sorted by energy."""
    groups = [g for g in list_groups(session, task)
              if (not hardware or hardware.lower() in g.group.hardware.lower()) and (not basis or g.group.basis == basis)]
    if not groups:
        raise NothingToCompare(f"No {task} measurements to rate" + (f" on {hardware!r}" if hardware else "") + ".")
    group = groups[0].group
    rated = with_stars(load_candidates(session, task, group, None), by_class=task == "text-generation")
    rows = []
    for c in sorted(rated, key=lambda c: c.wh_per_1k):
        row = {"model_id": c.model_id, "wh_per_1k": c.wh_per_1k, "stars": c.stars, "parameters": c.parameters,
               "measurements": c.measurements, "hardware": group.hardware, "basis": group.basis, "tier": group.tier}
        if task == "text-generation":
            row["class"] = c.size_class
        rows.append(row)
    return group, rows
