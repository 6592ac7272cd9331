"""accelsim: what pruning really costs on a sparse DNN accelerator."""
__version__ = "0.1.0"
