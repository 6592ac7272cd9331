"""The committed cost tables (layer 1): read once from ``accelsim/cost/tables/`` (CSV, ``#`` comment lines
say where the figures come from; docs/cost_models.md)."""
from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "tables"


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``tables/<name>.csv`` as dicts of text, comment lines skipped."""
    with (FOLDER / f"{name}.csv").open(newline="") as f:
        return tuple(csv.DictReader(line for line in f if not line.startswith("#")))
