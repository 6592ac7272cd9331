"""Generate accelsim/cost/tables/sram_cacti.csv: SRAM energy per access, leakage and area from CACTI 7.

Usage: python tools/make_sram_table.py PATH_TO_CACTI_BINARY [--jobs N]

CACTI is not part of accelsim: build it yourself (CACTI 7, ``make opt``) and pass the binary's path. The
table it writes is committed, so neither users nor CI need CACTI (docs/cost_models.md).

Each row is one CACTI run of a scratchpad RAM ("ram": no tag array) of ``size_bytes`` whose words (the
unit of one access) are ``width_bits`` wide, with ``read_ports`` exclusive read and ``write_ports``
exclusive write ports (``rw`` rows: one read-write port, kept only to compare with published single-port
figures), at ``node_nm``. The configuration follows the Accelergy CACTI plug-in's defaults (ITRS low
standby power cells and periphery, 300 K, "fast" access, leakage-weighted objective, no ECC): the settings
under which the published Accelergy 45 nm buffer figures were produced. CACTI 7 models 90 to 22 nm; its
28 nm is its own interpolation between its 32 and 22 nm parameters. Nodes below 22 nm are not CACTI's:
accelsim.cost scales them from the 22 nm rows (Stillmaker & Baas 2017), at load time.
"""
from __future__ import annotations

import argparse
import csv
import itertools
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "accelsim" / "cost" / "tables" / "sram_cacti.csv"

NODES_NM = (65, 45, 32, 28, 22)
SIZES_BYTES = tuple(4**k * 128 for k in range(8))          # 128 B .. 2 MB, x4 apart
WIDTHS_BITS = (32, 64, 256)
PORTS = ((1, 1), (2, 2))                                   # (exclusive read, exclusive write) per bank
#: Single-port rows at 45 nm, for the comparison with published single-port figures (tests/test_cost_models.py):
#: Horowitz's 8 KB, 32 KB and 1 MB, Accelergy's 100 KB, and the issue's 10 KB.
REFERENCE_SIZES = (8192, 10240, 32768, 102400, 1048576)

CONFIG = """\
-size (bytes) {size}
-block size (bytes) {block}
-associativity 1
-read-write port {rw}
-exclusive read port {read}
-exclusive write port {write}
-single ended read ports 0
-UCA bank count 1
-technology (u) {node_um}
-page size (bits) 0
-burst length 8
-internal prefetch width 8
-Data array cell type - "itrs-lstp"
-Data array peripheral type - "itrs-lstp"
-Tag array cell type - "itrs-lstp"
-Tag array peripheral type - "itrs-lstp"
-output/input bus width {bits}
-operating temperature (K) 300
-cache type "ram"
-tag size (b) "default"
-access mode (normal, sequential, fast) - "fast"
-design objective (weight delay, dynamic power, leakage power, cycle time, area) 0:0:1000000:0:0
-deviate (delay, dynamic power, leakage power, cycle time, area) 20:10:100000:100:100
-NUCAdesign objective (weight delay, dynamic power, leakage power, cycle time, area) 100:100:0:0:100
-NUCAdeviate (delay, dynamic power, leakage power, cycle time, area) 10:10000:10000:10000:10000
-Optimize ED or ED^2 (ED, ED^2, NONE): "ED^2"
-Cache model (NUCA, UCA)  - "UCA"
-NUCA bank count 0
-Wire signaling (fullswing, lowswing, default) - "Global_30"
-Wire inside mat - "semi-global"
-Wire outside mat - "semi-global"
-Interconnect projection - "normal"
-Core count 1
-Cache level (L2/L3) - "L3"
-Add ECC - "false"
-Print level (DETAILED, CONCISE) - "DETAILED"
-Print input parameters - "false"
-Force cache config - "false"
-Ndwl 1
-Ndbl 1
-Nspd 0
-Ndcm 1
-Ndsam1 0
-Ndsam2 0
-Array Power Gating - "false"
-WL Power Gating - "false"
-CL Power Gating - "false"
-Bitline floating - "false"
-Interconnect Power Gating - "false"
-Power Gating Performance Loss 0.01
# CACTI's parser reads its off-chip IO section in every run; these values (its own defaults) do not enter
# the SRAM figures.
-dram_type "DDR3"
-io state "WRITE"
-addr_timing 1.0
-mem_density 4 Gb
-bus_freq 800 MHz
-duty_cycle 1.0
-activity_dq 1.0
-activity_ca 0.5
-num_dq 72
-num_dqs 18
-num_ca 25
-num_clk  2
-num_mem_dq 2
-mem_data_width 8
-rtt_value 10000
-ron_value 34
-tflight_value
-num_bobs 1
-capacity 80
-num_channels_per_bob 1
-first metric "Cost"
-second metric "Bandwidth"
-third metric "Energy"
-DIMM model "ALL"
-mirror_in_bob "F"
"""

FIELDS = {"read_pj": r"Total dynamic read energy per access \(nJ\): (\S+)",
          "write_pj": r"Total dynamic write energy per access \(nJ\): (\S+)",
          "leakage_mw": r"Total leakage power of a bank \(mW\): (\S+)",
          "area_mm2": r"Data array: Area \(mm2\): (\S+)"}
SCALE = {"read_pj": 1e3, "write_pj": 1e3, "leakage_mw": 1.0, "area_mm2": 1.0}   # nJ -> pJ


def run(cacti: Path, node: int, size: int, bits: int, ports: str) -> dict | None:
    """One CACTI run; None when CACTI finds no organisation (too small for the word width)."""
    read, write, rw = (0, 0, 1) if ports == "rw" else (*map(int, ports.split("r")[1].split("w")), 0)
    text = CONFIG.format(size=size, block=bits // 8, rw=rw, read=read, write=write, node_um=node / 1000, bits=bits)
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as cfg:
        cfg.write(text)
    try:
        out = subprocess.run([str(cacti), "-infile", cfg.name], capture_output=True, text=True, cwd=cacti.parent,
                             timeout=600).stdout
    finally:
        Path(cfg.name).unlink()
        Path(cfg.name + ".out").unlink(missing_ok=True)
    row = {"node_nm": node, "size_bytes": size, "width_bits": bits, "ports": ports}
    for name, pattern in FIELDS.items():
        match = re.search(pattern, out)
        if match is None:
            return None
        row[name] = float(match.group(1)) * SCALE[name]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cacti", type=Path, help="path of a CACTI 7 binary (built with make opt)")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    cacti = args.cacti.resolve()
    jobs = [(node, size, bits, f"r{r}w{w}") for node, size, bits, (r, w) in
            itertools.product(NODES_NM, SIZES_BYTES, WIDTHS_BITS, PORTS)]
    jobs += [(45, size, 64, "rw") for size in REFERENCE_SIZES]
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = []
        for n, row in enumerate(pool.map(lambda job: run(cacti, *job), jobs), 1):
            print(f"{n}/{len(jobs)} {row}", flush=True)
            if row is not None:
                rows.append(row)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as f:
        f.write("# CACTI 7 (HewlettPackard/cacti, version 7.0), generated by tools/make_sram_table.py; one row per\n"
                "# run: read_pj/write_pj per access of one width_bits word, leakage_mw and area_mm2 of one bank.\n"
                "# ports: rNwM = N exclusive read + M exclusive write ports; rw = one read-write port.\n")
        writer = csv.DictWriter(f, fieldnames=["node_nm", "size_bytes", "width_bits", "ports", *FIELDS],
                                lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    print(f"{len(rows)} of {len(jobs)} configurations -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
