"""Hardware descriptions (layer 1): YAML -> frozen, typed, checked :class:`HardwareConfig`.

``load_hardware(path)`` reads a file (``read_hardware_text`` + ``parse_hardware``), ``parse_hardware(text,
source_name)`` a string; both report every
problem of the input at once, each naming the file, the key path, what was expected and what was found.
The schema (keys, units, bounds, what each engine needs) is documented in :mod:`accelsim.hardware.schema`.
"""
from accelsim.hardware.loader import MAX_FILE_BYTES, MAX_NODES, load_hardware, parse_hardware, read_hardware_text
from accelsim.hardware.schema import (BUFFER_ACTIONS, DATA_KINDS, DATAFLOWS, ENGINE_KEYS, ENGINES, LEVELS,
                                      REQUIRED_ENERGY, REQUIRED_HOLDS, Buffer, DataWidths, Dram, EnergyEntry,
                                      EnergySection, HardwareConfig, Pe, PeArray, StaticPower, required_energy)

__all__ = [
    "BUFFER_ACTIONS", "DATA_KINDS", "DATAFLOWS", "ENGINE_KEYS", "ENGINES", "LEVELS", "MAX_FILE_BYTES",
    "MAX_NODES", "REQUIRED_ENERGY", "REQUIRED_HOLDS", "Buffer", "DataWidths", "Dram", "EnergyEntry",
    "EnergySection", "HardwareConfig", "Pe", "PeArray", "StaticPower", "load_hardware", "parse_hardware",
    "read_hardware_text", "required_energy",
]
