"""Importers (layer 2): other tools' model files -> accelsim layers with their real weights.

* :mod:`~accelsim.importers.onnx`: ONNX models (``accelsim import``), with activations measured by running
  the model on the user's samples. Needs the optional ``onnx`` extra (``pip install 'accelsim[onnx]'``).
"""
