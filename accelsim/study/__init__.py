"""The user workflows (layer 8): what the command line and notebooks call.

* :mod:`~accelsim.study.single`: one model at a time: the zoo table, storage footprints, pruning to a
  file, simulation.
* :mod:`~accelsim.study.sweep`: grids of simulations, parallel and resumable.
"""
from accelsim.study.single import (check_sparsity, footprint_table, models_table, prune_to_file, simulate,
                                   simulate_workload)

__all__ = ["check_sparsity", "footprint_table", "models_table", "prune_to_file", "simulate", "simulate_workload"]
