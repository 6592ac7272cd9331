"""accelsim: what pruning really costs on a sparse DNN accelerator.

The public API, the same workflows as the command line::

    import accelsim as acs
    model = acs.zoo.mobilenet_v1(width=1.0)
    hw = acs.load_hardware("hwconfigs/dense_edge.yaml")
    masks = acs.prune(model, 0.9, seed=0)
    result = acs.simulate(model, hw, masks=masks)
    result.layers      # one row per layer, unit-suffixed columns
    result.total       # the model's totals

The names are imported on first use (``import accelsim`` alone imports nothing else), so that a command
that needs little, such as ``accelsim --help``, starts quickly.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> the module that defines it
_PUBLIC = {"footprint_table": "accelsim.study", "load_hardware": "accelsim.hardware",
           "load_masks": "accelsim.pruning", "prune": "accelsim.pruning", "save_masks": "accelsim.pruning",
           "simulate": "accelsim.study", "zoo": "accelsim.workloads.zoo",
           "from_torch": "accelsim.study.torch_import"}

__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'accelsim' has no attribute {name!r}")
    module = importlib.import_module(_PUBLIC[name])
    value = module if module.__name__.endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
