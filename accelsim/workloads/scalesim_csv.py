"""SCALE-Sim topology CSVs (convolution or GEMM) -> :class:`Model` (layer 1); one of the workload file formats
of :mod:`accelsim.workloads.files`. Every problem raises :class:`WorkloadError` naming the file, the line,
the layer and the column (``line 5 (Conv3): Filter Height``)."""
from __future__ import annotations

import re

from accelsim.errors import WorkloadError
from accelsim.workloads.layers import Conv2D, DepthwiseConv2D, Layer, Linear, relocated
from accelsim.workloads.model import Model, Workload

CONV_COLUMNS = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
                "Num Filter", "Strides")
GEMM_COLUMNS = ("Layer name", "M", "N", "K")
SPARSITY_COLUMN = "Sparsity"
_INTEGER = re.compile(r"^\+?[0-9]+$")
_NM = re.compile(r"^([0-9]{1,4}):([0-9]{1,4})$")


def parse_scalesim(text: str, file: str = "<string>", name: str = "topology") -> Workload:
    """A SCALE-Sim topology (CSV text) as a Workload whose model is named ``name``.

    The first line is a header; each further non-blank line is one layer. Cells are comma-separated and
    stripped of spaces; the trailing comma SCALE-Sim requires is accepted and so is its absence.

    * Convolution topology: ``name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
      Num Filter, Strides,`` (an optional ninth column, Stride Width, must equal Strides: accelsim's
      convolutions have one stride). SCALE-Sim's IFMAP sizes already include padding, so each row is a
      :class:`Conv2D` with padding ``(0, 0, 0, 0)`` and the given IFMAP as its input. One exception keeps
      SCALE-Sim's shapes and MACs: SCALE-Sim makes ``ceil((IFMAP - Filter) / Strides) + 1`` outputs per
      axis, one more than fit when the stride does not divide ``IFMAP - Filter`` (its last window hangs over
      the edge and reads nothing there). Such an axis gets that overhang as padding at the bottom/right
      (AlexNet Conv1, 224, 11x11, stride 4: padding (0, 3, 0, 3), 55x55 outputs as in SCALE-Sim and the
      real AlexNet). Every row of MobileNet's and YOLO-tiny's topologies divides exactly.
      A row whose name contains ``DP`` (case-sensitive, SCALE-Sim's convention) is depthwise. SCALE-Sim
      splits such a row into ``Channels`` single-channel layers of ``Num Filter`` filters each, i.e. it reads
      Num Filter *per channel* (a channel multiplier). With Num Filter 1 (every real topology) the row is a
      :class:`DepthwiseConv2D` with ``groups = in = out = Channels``; with Num Filter m > 1 it is a grouped
      :class:`Conv2D` with ``groups = Channels`` and ``Channels * m`` outputs, which has SCALE-Sim's MACs.
    * GEMM topology (SCALE-Sim's ``-i gemm`` input, header ``Layer name, M, N, K``): an (M x K) by (K x N)
      product, weights K x N, as :class:`Linear` ``(in_features=K, out_features=N, steps=M, bias=False)``;
      SCALE-Sim maps it to IFMAP M x K, filter 1 x K, 1 channel, N filters, which has the same M*N*K MACs.
    * SCALE-Sim v3's sparse topologies end with a ``Sparsity`` column (named in the header, after the
      columns above): ``N:M`` per layer, N non-zero weights in every M along the reduction dimension
      (``1:1`` or an empty cell: dense). The workload's ``weight_nm`` keeps each layer's (N, M) when N < M.
    """
    lines = text.splitlines()
    header_at, columns, sparse = _header(lines, file)
    gemm = columns == GEMM_COLUMNS
    max_cells = len(columns) + (0 if gemm or sparse else 1)   # a convolution row may add Stride Width
    layers: list[Layer] = []
    weight_nm: dict[str, tuple[int, int]] = {}
    first_line: dict[str, int] = {}
    for index in range(header_at + 1, len(lines)):
        if not lines[index].strip():
            continue
        line = index + 1
        cells = _cells(lines[index])
        layer_name = cells[0]
        where = f"line {line}"
        if not layer_name:
            raise WorkloadError("layer without a name", file=file, key=f"{where}: {columns[0]}",
                                expected="a layer name", got=lines[index].strip())
        where = f"line {line} ({layer_name})"
        if layer_name in first_line:
            raise WorkloadError(f"duplicate layer name (lines {first_line[layer_name]} and {line})", file=file,
                                key=f"{where}: {columns[0]}", expected="each layer name once")
        first_line[layer_name] = line
        if len(cells) < len(columns):
            raise WorkloadError("missing columns", file=file, key=f"{where}: {columns[len(cells)]}",
                                expected=f"{len(columns)} columns: " + ", ".join(columns), got=len(cells))
        if len(cells) > max_cells + sparse:
            raise WorkloadError("too many columns", file=file, key=where,
                                expected=f"{len(columns) + sparse} columns: " + ", ".join(
                                    columns + ((SPARSITY_COLUMN,) if sparse else ())), got=len(cells))
        if sparse and len(cells) > len(columns):
            nm = _nm_cell(cells.pop(len(columns)), file, f"{where}: {SPARSITY_COLUMN}")
            if nm[0] < nm[1]:
                weight_nm[layer_name] = nm
        values = [_positive_cell(cell, file, f"{where}: {column}") for cell, column in
                  zip(cells[1:], columns[1:] + ("Stride Width",))]
        if gemm:
            m, n, k = values
            try:
                layers.append(Linear(layer_name, in_features=k, out_features=n, steps=m, bias=False))
            except WorkloadError as exc:   # layers.py's own checks (a layer too large)
                raise relocated(exc, file, layer_name, lambda field: where) from None
            continue
        layers.append(_conv_layer(layer_name, values, file, where))
    if not layers:
        raise WorkloadError("empty workload", file=file, expected="at least one layer row after the header")
    return Workload(Model(name=name, family="scalesim_topology", layers=tuple(layers)), weight_nm=weight_nm)


def _header(lines: list[str], file: str) -> tuple[int, tuple[str, ...], bool]:
    """(index of the header line, the columns it announces: convolution or GEMM, whether a Sparsity column
    follows them)."""
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        raise WorkloadError("empty workload", file=file, expected="a header line and at least one layer row")
    header = _cells(lines[header_at])
    sparse = len(header) > 1 and header[-1].lower() == SPARSITY_COLUMN.lower()
    if sparse:
        header.pop()
    if len(header) > 1 and _INTEGER.match(header[1]):
        raise WorkloadError("missing header line", file=file, key=f"line {header_at + 1}",
                            expected="a header (" + ", ".join(CONV_COLUMNS) + ") before the layer rows",
                            got=lines[header_at].strip())
    columns = GEMM_COLUMNS if [h.lower() for h in header[1:]] == ["m", "n", "k"] else CONV_COLUMNS
    if len(header) < len(columns):
        raise WorkloadError("missing columns in the header", file=file, key=f"line {header_at + 1}",
                            expected=f"{len(columns)} columns: " + ", ".join(CONV_COLUMNS)
                            + " (or Layer name, M, N, K for a GEMM topology)", got=f"{len(header)}: {header}")
    return header_at, columns, sparse


def _conv_layer(layer_name: str, values: list[int], file: str, where: str) -> Layer:
    """The layer of one convolution row (its cells after the name, ``values``); :func:`parse_scalesim`."""
    ifmap_h, ifmap_w, filt_h, filt_w, channels, num_filt, stride = values[:7]
    if len(values) == 8 and values[7] != stride:
        raise WorkloadError("different row and column strides", file=file, key=f"{where}: Stride Width",
                            expected=f"the same as Strides ({stride})", got=values[7])
    for size, kernel, what in ((ifmap_h, filt_h, "Height"), (ifmap_w, filt_w, "Width")):
        if kernel > size:
            raise WorkloadError("filter larger than the ifmap", file=file, key=f"{where}: Filter {what}",
                                expected=f"at most the IFMAP {what} {size}", got=kernel)
    shape = dict(kernel_h=filt_h, kernel_w=filt_w, in_h=ifmap_h, in_w=ifmap_w, stride=stride,
                 padding=(0, _overhang(ifmap_h, filt_h, stride), 0, _overhang(ifmap_w, filt_w, stride)))
    try:
        if "DP" in layer_name and num_filt == 1:
            return DepthwiseConv2D(layer_name, in_channels=channels, out_channels=channels, groups=channels,
                                   **shape)
        if "DP" in layer_name:
            return Conv2D(layer_name, in_channels=channels, out_channels=channels * num_filt, groups=channels,
                          **shape)
        return Conv2D(layer_name, in_channels=channels, out_channels=num_filt, **shape)
    except WorkloadError as exc:   # layers.py's own checks not made above (e.g. a layer too large)
        raise relocated(exc, file, layer_name, lambda field: f"{where}: {field}" if field else where) from None


def _overhang(size: int, kernel: int, stride: int) -> int:
    """Pixels SCALE-Sim's last window reaches past the IFMAP edge: it makes ``ceil((size - kernel) / stride)
    + 1`` outputs (topology_utils.topo_calc_hyperparams), one more than fit when the stride does not divide
    ``size - kernel``; that window's missing elements are read as nothing, i.e. zero padding after."""
    outputs = -(-(size - kernel) // stride) + 1
    return (outputs - 1) * stride + kernel - size


def _cells(line: str) -> list[str]:
    cells = [cell.strip() for cell in line.split(",")]
    if len(cells) > 1 and cells[-1] == "":
        cells.pop()   # SCALE-Sim's trailing comma
    return cells


def _nm_cell(cell: str, file: str, key: str) -> tuple[int, int]:
    """(N, M) of a Sparsity cell ``N:M`` with 1 <= N <= M; an empty cell is dense (1:1)."""
    if not cell:
        return 1, 1
    match = _NM.match(cell)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise WorkloadError("not an N:M sparsity", file=file, key=key,
                            expected="N:M with 1 <= N <= M (e.g. 2:4; 1:1 is dense)", got=cell)
    return int(match[1]), int(match[2])


def _positive_cell(cell: str, file: str, key: str) -> int:
    if cell.startswith("-") and _INTEGER.match(cell[1:]):
        raise WorkloadError("dimension must be positive", file=file, key=key, expected="a positive integer",
                            got=cell)
    if not _INTEGER.match(cell):
        raise WorkloadError("not a whole number", file=file, key=key, expected="a positive integer", got=cell)
    if len(cell) > 30:   # int() refuses over 4300 digits; any layer this large is refused later anyway
        raise WorkloadError("number too large", file=file, key=key, expected="a positive integer",
                            got=f"{len(cell)} digits")
    value = int(cell)
    if value <= 0:
        raise WorkloadError("dimension must be positive", file=file, key=key, expected="a positive integer",
                            got=value)
    return value
