"""accelsim: what pruning really costs on a sparse DNN accelerator.

The public API, the same workflows as the command line::

    import accelsim as acs
    model = acs.zoo.mobilenet_v1(width=1.0)
    hw = acs.load_hardware("hwconfigs/dense_edge.yaml")
    masks = acs.prune(model, 0.9, seed=0)
    result = acs.simulate(model, hw, masks=masks)
    result.layers      # one row per layer, unit-suffixed columns
    result.total       # the model's totals
"""
__version__ = "0.1.0"

from accelsim.hardware import load_hardware  # noqa: E402
from accelsim.pruning import load_masks, prune, save_masks  # noqa: E402
from accelsim.study import footprint_table, simulate  # noqa: E402
from accelsim.study.torch_import import from_torch  # noqa: E402
from accelsim.workloads import zoo  # noqa: E402

__all__ = ["__version__", "footprint_table", "from_torch", "load_hardware", "load_masks", "prune", "save_masks", "simulate",
           "zoo"]
