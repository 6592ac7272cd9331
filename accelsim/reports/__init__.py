"""Reports (layer 6): per-layer and per-model DataFrames with unit-suffixed columns, and their writers."""
from accelsim.reports.results import SimulationResult, assemble, layer_row
from accelsim.reports.writers import prepare_output_dir, write_results

__all__ = ["SimulationResult", "assemble", "layer_row", "prepare_output_dir", "write_results"]
