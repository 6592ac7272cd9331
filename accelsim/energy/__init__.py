"""Energy: the per-action table (layer 1). Multiplying counts by it is ``accelsim.energy.model`` (layer 6)."""
from accelsim.energy.table import EnergyTable, Entry, MissingEnergyEntry

__all__ = ["EnergyTable", "Entry", "MissingEnergyEntry"]
