"""Workloads (layer 1): frozen layer types, models, the zoo and workload files."""
from accelsim.workloads.layers import (LSTM, Attention, Conv2D, DepthwiseConv2D, Embedding, Layer, Linear,
                                       same_padding)
from accelsim.workloads.model import Model

__all__ = ["LSTM", "Attention", "Conv2D", "DepthwiseConv2D", "Embedding", "Layer", "Linear", "Model",
           "same_padding"]
