"""Hardware descriptions (layer 1): YAML -> frozen, typed, checked :class:`HardwareConfig`.

``load_hardware(path)`` reads a file (``read_hardware_text`` + ``parse_hardware``), ``parse_hardware(text,
source_name)`` a string; both report every problem of the input at once, each naming the file, the key path,
what was expected and what was found. The common keys are documented in :mod:`accelsim.hardware.schema`;
each accelerator's own keys, buffers and energy actions are declared by it (:mod:`accelsim.accelerators`).
"""
from accelsim.hardware.loader import MAX_FILE_BYTES, MAX_NODES, load_hardware, parse_hardware, read_hardware_text
from accelsim.hardware.schema import (DATA_KINDS, LEVELS, Buffer, DataWidths, Dram, EnergyEntry, EnergySection,
                                      HardwareConfig, Pe, PeArray, StaticPower)

__all__ = [
    "DATA_KINDS", "LEVELS", "MAX_FILE_BYTES", "MAX_NODES", "Buffer", "DataWidths", "Dram", "EnergyEntry",
    "EnergySection", "HardwareConfig", "Pe", "PeArray", "StaticPower", "load_hardware", "parse_hardware",
    "read_hardware_text",
]
