"""Reports (layer 6): per-layer and per-model results with unit-suffixed columns, and their writers."""
from accelsim.reports.results import SimulationResult, assemble, layer_row
from accelsim.reports.writers import layers_csv, prepare_output_dir, write_results

__all__ = ["SimulationResult", "assemble", "layer_row", "layers_csv", "prepare_output_dir", "write_results"]
