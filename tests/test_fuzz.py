"""Fuzzing the loaders and the format encoders: whatever a user feeds them, the only outcomes are a valid result
or accelsim's own error (:class:`InputError`, one line naming what is wrong), never another exception.

* hardware YAML: random YAML trees (keys drawn from the schema's own names, so the checks get deep), random
  text, and random mutations of the shipped descriptions (deleted, renamed, retyped, rescaled values); a
  mutated description that loads must then simulate a small model or refuse it with an InputError;
* workloads: random YAML trees and mutations of the shipped example, random SCALE-Sim CSV rows;
* masks: random ``.npz`` archives (any names, dtypes including objects and NaN floats, shapes) and damaged
  bytes of good archives;
* formats: random arrays (any dtype, any number of dimensions, NaN) and parameters into measure/encode;
  what encodes must decode to exactly what went in.

Each property runs ``FAST`` examples in the default suite and ``SLOW`` under ``-m slow``.
"""
from __future__ import annotations

import io
import math
import string
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT, SHIPPED, raw_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import accelsim as acs
from accelsim.errors import InputError
from accelsim.formats import FORMATS, get_format
from accelsim.accelerators import ACCELERATORS
from accelsim.hardware import parse_hardware
from accelsim.hardware.schema import (DATA_KINDS, Buffer, DataWidths, Dram, EnergyEntry, HardwareConfig, Pe,
                                      PeArray, StaticPower)
from accelsim.schema import yaml_keys
from accelsim.pruning import load_masks, prune
from accelsim.workloads import Conv2D, Linear, Model
from accelsim.workloads.files import LAYER_TYPES, parse_scalesim, parse_yaml

FAST_EXAMPLES = 50
SLOW_EXAMPLES = 1000
FAST = settings(max_examples=FAST_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=SLOW_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fuzz(**strategies):
    """Two tests of one property: ``FAST`` examples by default, ``SLOW`` ones marked ``slow``."""
    def make(body):
        fast = FAST(given(**strategies)(body))
        slow = pytest.mark.slow(SLOW(given(**strategies)(body)))
        return fast, slow
    return make


def outcome(call, *args, **kwargs):
    """``call``'s result, or the InputError it raised (checked to be one line naming something)."""
    try:
        return call(*args, **kwargs)
    except InputError as error:
        message = error.one_line()
        assert "\n" not in message and message.strip()
        assert len(message) < 20_000       # got values are abridged, whatever their size
        return error


# --- hardware YAML -----------------------------------------------------------------------------------------

SCHEMA_KEYS = sorted({key for cls in (HardwareConfig, DataWidths, PeArray, Pe, Buffer, Dram, EnergyEntry,
                                      StaticPower) for key in yaml_keys(cls)}
                     | {"dynamic", "static", "iaram", "oaram", "mac", "op", "dram", "read_bytes", "write_words",
                        "<<", *ACCELERATORS, *DATA_KINDS})
leaves = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=12)
          | st.sampled_from(["ws", "pe", "global", "1e9", ".nan", "weights", *ACCELERATORS]))
keys = st.sampled_from(SCHEMA_KEYS) | st.text(max_size=8) | st.integers(-3, 3) | st.booleans()
trees = st.recursive(leaves, lambda children: st.lists(children, max_size=4)
                     | st.dictionaries(keys, children, max_size=6), max_leaves=40)
YAML_CHARACTERS = string.ascii_lowercase[:6] + string.digits + " \n\t:-,[]{}&*!|>'\"#.%@`?<="
yaml_text = st.text(alphabet=YAML_CHARACTERS, max_size=200) | st.text(max_size=100)


def dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@fuzz(tree=st.dictionaries(keys, trees, max_size=12))
def check_hardware_random_tree(tree):
    outcome(parse_hardware, dump(tree), "fuzz.yaml")


test_hardware_random_tree, test_hardware_random_tree_slow = check_hardware_random_tree


@fuzz(text=yaml_text)
def check_hardware_random_text(text):
    outcome(parse_hardware, text, "fuzz.yaml")


test_hardware_random_text, test_hardware_random_text_slow = check_hardware_random_text


def key_paths(data, prefix=()):
    """Every key path of nested mappings and lists."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield prefix + (key,)
        yield from key_paths(value, prefix + (key,))


def typo(word: str, draw) -> str:
    i = draw(st.integers(0, max(0, len(word) - 1)))
    return draw(st.sampled_from([word[:i] + word[i + 1:], word[:i] + "x" + word[i:], word.upper(), word + "s"]))


def new_value(old, draw):
    """A replacement for ``old``: another type, zero, negative, NaN, huge, scaled by a power of ten, ..."""
    options = [None, 0, -1, float("nan"), float("inf"), True, "text", [old], {"value": old}, 10**30, -1e-300,
               draw(leaves), draw(trees)]
    if isinstance(old, (int, float)) and not isinstance(old, bool):
        options += [old * 10 ** draw(st.integers(-12, 12)), -old, str(old), float(old), old + 1]
    return draw(st.sampled_from(options))


@st.composite
def mutated_hardware(draw):
    """The YAML text of a shipped description with 1 to 3 random mutations."""
    data = raw_config(draw(st.sampled_from(sorted(SHIPPED.values()))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(sorted(key_paths(data), key=repr)))
        *parents, last = path
        scope = data
        for key in parents:
            scope = scope[key]
        action = draw(st.sampled_from(["delete", "replace", "rename", "duplicate"]))
        if action == "delete":
            del scope[last]
        elif action == "replace":
            scope[last] = new_value(scope[last], draw)
        elif isinstance(scope, dict):
            new_key = typo(str(last), draw) if action == "rename" else f"{last}_copy"
            scope[new_key] = scope.pop(last) if action == "rename" else copy_of(scope[last])
    return dump(data)


def copy_of(value):
    return yaml.safe_load(dump(value))


@st.composite
def rescaled_hardware(draw):
    """The YAML text of a shipped description with 1 to 4 numbers scaled up or down by powers of two (so most
    still load): machines of every shape the loader accepts, for the engines to run."""
    data = raw_config(draw(st.sampled_from(sorted(SHIPPED.values()))))
    numbers = sorted((path for path in key_paths(data) if _is_number(_at(data, path))), key=repr)
    for _ in range(draw(st.integers(1, 4))):
        *parents, last = draw(st.sampled_from(numbers))
        scope = _at(data, parents)
        factor = draw(st.sampled_from([1 / 8, 1 / 4, 1 / 2, 2, 4, 8] if parents != ["pe_array"] else [1 / 2, 2, 4]))
        value = scope[last] * factor
        scope[last] = max(1, int(value)) if isinstance(scope[last], int) else value
    return dump(data)


def _at(data, path):
    for key in path:
        data = data[key]
    return data


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


TINY_CONV = Model("tiny_cnn", "fuzz", (
    Conv2D("conv", in_channels=3, out_channels=4, kernel_h=3, kernel_w=3, in_h=8, in_w=8, padding=(1, 1, 1, 1)),
    Linear("fc", in_features=32, out_features=10)))
TINY_FC = Model("tiny_fc", "fuzz", (Linear("fc1", in_features=24, out_features=16),
                                    Linear("fc2", in_features=16, out_features=8)))


@fuzz(text=mutated_hardware() | rescaled_hardware())
def check_mutated_hardware_loads_and_runs(text):
    """What the loader accepts, the engines run (or refuse with an InputError); results are finite."""
    hw = outcome(parse_hardware, text, "mutated.yaml")
    if isinstance(hw, InputError):
        return
    model = TINY_FC if hw.engine == "eie" else TINY_CONV
    result = outcome(acs.simulate, model, hw, sparsity=0.5, seed=0)
    if isinstance(result, InputError):
        return
    for column in ("cycles", "latency_s", "energy_pj", "dram_read_bytes"):
        assert math.isfinite(result.total[column]) and result.total[column] >= 0, column


test_mutated_hardware_loads_and_runs, test_mutated_hardware_loads_and_runs_slow = \
    check_mutated_hardware_loads_and_runs


# --- workloads ---------------------------------------------------------------------------------------------

LAYER_KEYS = sorted({f for cls in LAYER_TYPES.values() for f in cls.__dataclass_fields__}
                    | {"type", "weight_density", "activation_density"})
layer_values = (st.integers(-3, 40) | st.sampled_from([0, 1, 2, 10**12, 2**40, 0.5, True, "same", "valid",
                                                         [0, 1, 0, 1], [1, 1], None, *LAYER_TYPES]))
yaml_layers = st.lists(st.dictionaries(st.sampled_from(LAYER_KEYS) | st.text(max_size=5), layer_values | trees,
                                       max_size=10), max_size=4)
workload_trees = st.fixed_dictionaries({"name": leaves, "layers": yaml_layers | trees},
                                       optional={"description": leaves, "extra": trees})


@fuzz(tree=workload_trees | trees)
def check_workload_yaml_random_tree(tree):
    outcome(parse_yaml, dump(tree), "fuzz.yaml")


test_workload_yaml_random_tree, test_workload_yaml_random_tree_slow = check_workload_yaml_random_tree


@st.composite
def mutated_workload(draw):
    data = yaml.safe_load((ROOT / "traces" / "example_small.yaml").read_text())
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(sorted(key_paths(data), key=repr)))
        *parents, last = path
        scope = data
        for key in parents:
            scope = scope[key]
        if draw(st.booleans()) and isinstance(scope, dict):
            scope[typo(str(last), draw)] = scope.pop(last)
        else:
            scope[last] = new_value(scope[last], draw)
    return dump(data)


@fuzz(text=mutated_workload() | yaml_text)
def check_workload_yaml_mutated(text):
    outcome(parse_yaml, text, "fuzz.yaml")


test_workload_yaml_mutated, test_workload_yaml_mutated_slow = check_workload_yaml_mutated

CSV_HEADERS = ["Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,",
               "Layer name, M, N, K,", "Layer name, IFMAP Height", ""]
cells = (st.integers(-5, 300).map(str) | st.sampled_from(["", " ", "x", "1e3", "+4", "0", "9" * 40, "3.5", "DP"])
         | st.text(alphabet=string.ascii_letters + string.digits + " ,-+_", max_size=6))
csv_rows = st.lists(st.lists(cells, min_size=0, max_size=10).map(lambda row: ", ".join(row)), max_size=5)


@fuzz(header=st.sampled_from(CSV_HEADERS) | st.text(max_size=30), rows=csv_rows,
      names=st.lists(st.sampled_from(["Conv1", "DP2", "fc", "Conv1", ""]), min_size=5, max_size=5))
def check_scalesim_random_rows(header, rows, names):
    lines = [header] + [f"{name}, {row}" if draw_name else row
                        for row, name, draw_name in zip(rows, names, [True, True, False, True, True])]
    outcome(parse_scalesim, "\n".join(lines), "fuzz.csv")


test_scalesim_random_rows, test_scalesim_random_rows_slow = check_scalesim_random_rows


# --- masks -------------------------------------------------------------------------------------------------

MASK_MODEL = Model("tiny", "fuzz", (
    Conv2D("conv1", in_channels=2, out_channels=3, kernel_h=3, kernel_w=3, in_h=6, in_w=6, prunable=False),
    Conv2D("conv2", in_channels=3, out_channels=4, kernel_h=1, kernel_w=1, in_h=4, in_w=4),
    Linear("fc", in_features=8, out_features=5)))
LAYER_SHAPES = {layer.name: layer.weight_shape for layer in MASK_MODEL.layers}
GOOD_MASKS = dict(prune(MASK_MODEL, 0.5, seed=0))

mask_dtypes = st.sampled_from([np.bool_, np.bool_, np.bool_, np.int8, np.uint8, np.int64, np.float32, np.float64,
                               np.complex64, np.dtype("U2"), np.dtype("S1"), np.dtype([("a", "?")]),
                               np.dtype("M8[s]")])
mask_names = st.sampled_from([*LAYER_SHAPES, "fc_1", "conv", "FC", "a/b", ""]) | st.text(max_size=6)


@st.composite
def mask_entry(draw):
    name = draw(mask_names)
    kind = draw(st.sampled_from(["array", "array", "object", "nan"]))
    shape = LAYER_SHAPES[name] if name in LAYER_SHAPES and draw(st.booleans()) else draw(
        array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    if kind == "object":
        array = np.empty(shape, dtype=object)
        array.fill(draw(st.sampled_from([None, {"x": 1}, "s", 1.5])))
    elif kind == "nan":
        array = np.full(shape, np.nan)
    else:
        array = draw(arrays(draw(mask_dtypes), shape))
    return name, array


def write_npz(path: Path, entries) -> None:
    """An .npz of ``entries`` as np.savez writes one, member by member: np.savez takes the names as keyword
    arguments, so an entry named ``file`` or ``allow_pickle`` would collide with its own parameters."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in dict(entries).items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=True)
    path.write_bytes(buffer.getvalue())


def check_loaded(masks) -> None:
    for layer in MASK_MODEL.prunable_layers:
        assert layer.name in masks
    for name, mask in masks.items():
        assert mask.dtype == np.bool_ and mask.shape == LAYER_SHAPES[name]


@fuzz(entries=st.lists(mask_entry(), max_size=5), keep_good=st.booleans())
def check_mask_archive_random_entries(entries, keep_good):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.npz"
        write_npz(path, ({**GOOD_MASKS} if keep_good else {}) | dict(entries))
        masks = outcome(load_masks, path, MASK_MODEL)
    if not isinstance(masks, InputError):
        check_loaded(masks)


test_mask_archive_random_entries, test_mask_archive_random_entries_slow = check_mask_archive_random_entries


def good_archive() -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **GOOD_MASKS)
    return buffer.getvalue()


GOOD_ARCHIVE = good_archive()


@fuzz(edits=st.lists(st.tuples(st.integers(0, len(GOOD_ARCHIVE) - 1), st.integers(0, 255)), max_size=8),
      cut=st.none() | st.integers(0, len(GOOD_ARCHIVE)),
      members=st.lists(st.tuples(st.text(string.printable, min_size=1, max_size=8), st.binary(max_size=64)),
                       max_size=3, unique_by=lambda member: member[0]))
def check_mask_archive_damaged(edits, cut, members):
    """A good archive with bytes overwritten, cut short, or with extra members of random bytes."""
    data = bytearray(GOOD_ARCHIVE)
    for position, byte in edits:
        data[position] = byte
    data = bytes(data[:cut] if cut is not None else data)
    if members:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, payload in members:
                archive.writestr(name, payload)
        data = buffer.getvalue() if not edits else data
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.npz"
        path.write_bytes(data)
        masks = outcome(load_masks, path, MASK_MODEL)
    if not isinstance(masks, InputError):
        check_loaded(masks)


test_mask_archive_damaged, test_mask_archive_damaged_slow = check_mask_archive_damaged


# --- formats -----------------------------------------------------------------------------------------------

value_dtypes = st.sampled_from([np.bool_, np.int8, np.int32, np.uint16, np.float16, np.float64, np.complex128,
                                np.dtype("U1"), np.dtype("O"), np.dtype("M8[D]")])
parameters = st.dictionaries(st.sampled_from(["value_bits", "index_bits", "pointer_bits", "axis", "levels"]),
                             st.integers(-2, 70) | st.sampled_from([True, 2.5, None, "rows", "columns", "4"]),
                             max_size=3)


@st.composite
def any_array(draw):
    dtype = draw(value_dtypes)
    shape = draw(array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6))
    if np.dtype(dtype).kind == "O":
        return np.array(draw(st.lists(st.sampled_from([None, 1, "a"]), max_size=6)), dtype=object)
    if np.dtype(dtype).kind in "bU":
        return draw(arrays(dtype, shape))
    if np.dtype(dtype).kind == "M":
        return np.zeros(shape, dtype)
    sparse = draw(st.booleans())
    values = draw(arrays(dtype, shape, elements=st.sampled_from([0, 0, 0, 1, 3]) if sparse else None))
    return values


def same_values(decoded: np.ndarray, values: np.ndarray) -> bool:
    return decoded.shape == values.shape and np.array_equal(decoded, values, equal_nan=values.dtype.kind in "fc")


@fuzz(name=st.sampled_from(sorted(FORMATS)), params=parameters, values=any_array())
def check_format_encoders(name, params, values):
    fmt = outcome(get_format, name, **params)
    if isinstance(fmt, InputError):
        return
    encoded = outcome(fmt.encode, values)
    if not isinstance(encoded, InputError):
        assert same_values(fmt.decode(encoded), values), (values, encoded)
    stats = outcome(fmt.measure, values)
    if not isinstance(stats, InputError):
        mask = values if values.ndim > fmt.tile_ndim else values[np.newaxis]
        assert stats.nnz.tolist() == np.count_nonzero(mask, axis=tuple(range(1, mask.ndim))).tolist()
        assert (stats.stored >= stats.nnz).all() and (stats.metadata_bits >= 0).all()


test_format_encoders, test_format_encoders_slow = check_format_encoders


def test_fuzz_budgets():
    """The default run is small; ``-m slow`` runs many more examples of the same properties."""
    assert FAST.max_examples == FAST_EXAMPLES < SLOW.max_examples == SLOW_EXAMPLES
