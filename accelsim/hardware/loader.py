"""Load a hardware YAML file into a frozen :class:`HardwareConfig`, or report every problem in it (layer 1).

Reading is guarded before anything is built: files over ``MAX_FILE_BYTES`` are refused unread; the YAML is
composed into nodes and walked once, counting nodes with aliases expanded (anchors and aliases are allowed,
``<<`` merges too, but a document that expands to more than ``MAX_NODES`` nodes, a "YAML bomb", is refused
before it is expanded), refusing tags a ``yaml.safe_load`` cannot build (``!!python/object`` ...) and
finding duplicate keys (PyYAML would silently keep the last). Only then is it built with PyYAML's safe
constructor and checked against the declarations of :mod:`accelsim.hardware.schema`.

Every problem of one file is collected in that one pass, each a :class:`ConfigError` naming the file, the
key path (``buffers.iaram.size_bytes``), what was expected and what was found. One problem is raised as
that ConfigError, several together as :class:`ManyInputErrors` (its ``errors`` list keeps them apart).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from accelsim.accelerators import ACCELERATORS, parameter_specs
from accelsim.cost.technology import NODES_NM
from accelsim.errors import ConfigError, did_you_mean
from accelsim.inputfiles import open_regular
from accelsim.hardware.schema import MAX_PES, RESERVED_BUFFER_NAMES, Buffer, HardwareConfig
from accelsim.schema import Checker, join_key, many
from accelsim.units import BITS_PER_BYTE
from accelsim.yamltext import MERGE_TAG, SafeLoader, load

MAX_FILE_BYTES = 1_000_000           # 1 MB: a hardware description is a few kB
MAX_NODES = 10_000                   # YAML nodes after alias expansion; a shipped config has about 300


def load_hardware(path: str | Path) -> HardwareConfig:
    """Load and check the hardware description in the YAML file ``path``.

    Raises ConfigError (one problem) or ManyInputErrors (several, each a ConfigError) naming ``path``.
    """
    return _parse(read_hardware_text(path), str(path))   # its size is checked by the read


def read_hardware_text(path: str | Path) -> str:
    """The text of the hardware description file ``path``, read at most ``MAX_FILE_BYTES`` and decoded as
    UTF-8 (a ConfigError naming ``path`` otherwise); :func:`parse_hardware` of it is :func:`load_hardware`."""
    try:
        with open_regular(path) as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError("cannot read the file", file=path, expected="a readable YAML file",
                          got=exc.strerror) from None
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text", file=path, expected="a UTF-8 YAML file",
                          got=f"byte {exc.start}") from None
    return text


def parse_hardware(text: str, source_name: str = "<string>") -> HardwareConfig:
    """Check and load a hardware description given as YAML text; ``source_name`` names it in errors."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise _too_large(source_name)
    return _parse(text, source_name)


def _parse(text: str, source_name: str) -> HardwareConfig:
    raw, errors = _read_yaml(text, source_name)
    return _HardwareChecker(source_name, errors).config(raw)


def _too_large(file: object) -> ConfigError:
    return ConfigError("file too large", file=file, expected=f"at most {MAX_FILE_BYTES} bytes")


# --- YAML: safe, bounded, no duplicate keys -----------------------------------------------------------------

class _StrictSafeLoader(SafeLoader):
    """accelsim's SafeLoader (:mod:`accelsim.yamltext`), plus a check of the composed node graph before
    anything is constructed."""

    def checked_document(self, file: str) -> tuple[Any, list[ConfigError]]:
        """The document's data and the duplicate-key problems; raises on YAML bombs and tags the safe
        constructor cannot build (syntax errors are :func:`accelsim.yamltext.load`'s)."""
        root = self.get_single_node()
        if root is None:
            return None, []
        duplicates = self._walk(root, file)
        return self.construct_document(root), duplicates

    def _walk(self, root: Node, file: str) -> list[ConfigError]:
        """Visit every node as often as aliases repeat it (at most MAX_NODES visits); return the
        duplicate-key problems, raise them together with any tag the safe constructor cannot build."""
        errors: list[ConfigError] = []
        bad_tags: list[ConfigError] = []
        checked: set[int] = set()        # mappings already checked for duplicate keys
        stack: list[tuple[Node, str]] = [(root, "")]
        visits = 0
        while stack:
            node, path = stack.pop()
            visits += 1
            if visits > MAX_NODES:   # named by its top-level key: the full path may be endless
                raise ConfigError("too many YAML nodes once aliases are expanded (a YAML bomb?)", file=file,
                                  key=re.split(r"[.\[]", path)[0] or None,
                                  expected=f"at most {MAX_NODES} nodes")
            if node.tag not in self.yaml_constructors:
                bad_tags.append(ConfigError("tag not allowed", file=file, key=path or None, got=node.tag,
                                          expected="plain YAML: mappings, lists, text, numbers, booleans"))
            elif isinstance(node, SequenceNode):
                stack.extend(reversed([(item, f"{path}[{i}]") for i, item in enumerate(node.value)]))
            elif isinstance(node, MappingNode):
                stack.extend(reversed(self._children(node, path, file, errors, id(node) not in checked)))
                checked.add(id(node))
        if bad_tags:
            raise many(errors + bad_tags)
        return errors

    @staticmethod
    def _children(node: MappingNode, path: str, file: str, errors: list[ConfigError],
                  check_duplicates: bool) -> list[tuple[Node, str]]:
        children: list[tuple[Node, str]] = []
        first_line: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                children.append((value_node, path))
                continue
            key = key_node.value if isinstance(key_node, ScalarNode) else "<complex key>"
            key_path = join_key(path, key)
            line = key_node.start_mark.line + 1
            if check_duplicates and (key_node.tag, key) in first_line:
                errors.append(ConfigError(
                    f"duplicate key (lines {first_line[(key_node.tag, key)]} and {line})", file=file,
                    key=key_path, expected="each key once per mapping"))
            first_line.setdefault((key_node.tag, key), line)
            children += [(key_node, key_path), (value_node, key_path)]
        return children


def _read_yaml(text: str, file: str) -> tuple[Any, list[ConfigError]]:
    return load(_StrictSafeLoader, text, file, ConfigError, lambda loader: loader.checked_document(file))


# --- checks ------------------------------------------------------------------------------------------------

class _HardwareChecker(Checker):
    """Checks one file's data against :class:`HardwareConfig` and its accelerator's declarations."""

    def config(self, raw: object) -> HardwareConfig:
        """The config, or raise every problem found (including those recorded while reading the YAML)."""
        if not isinstance(raw, dict):
            self.fail("", "the top level is not a mapping", expected="a mapping with keys name, engine, ...",
                      got=raw)
            self.raise_if_failed()
        parts = self.fields(HardwareConfig, raw, "")
        self.fill_defaults(raw, parts)
        # Cross-checks read only the parts that loaded; each skips what needs a part that did not.
        self.check_engine_keys(raw, parts.get("engine"))
        self.check_pe_array(parts)
        self.check_buffers(parts)
        self.check_dram(parts)
        self.check_technology(raw, parts)
        self.check_energy(parts)
        self.raise_if_failed()
        return HardwareConfig(**parts, source=self.file)

    # cross-checks: settings that are each fine but do not fit together

    @staticmethod
    def fill_defaults(raw: dict, parts: dict[str, Any]) -> None:
        """The declared default of each of the accelerator's own top-level keys the file omits."""
        engine = parts.get("engine")
        for param in ACCELERATORS[engine].params if engine is not None else ():
            if param.default is not None and param.key not in raw:
                parts[param.key] = param.default

    def check_engine_keys(self, raw: dict, engine: str | None) -> None:
        """The accelerator's own keys present (unless they have a default), every other accelerator's key
        absent."""
        if engine is None:
            return
        own = {param.path for param in ACCELERATORS[engine].params if param.default is None}
        declared = {param.path for param in ACCELERATORS[engine].params}
        for key in sorted(parameter_specs()):
            section, _, name = key.rpartition(".")
            scope = raw.get(section) if section else raw
            present = isinstance(scope, dict) and name in scope
            users = ", ".join(e for e, spec in ACCELERATORS.items() if spec.param(key))
            if key in own and not present:
                self.fail(key, "missing key", expected=f"present: engine {engine} needs it")
            elif present and key not in declared:
                self.fail(key, f"not used by engine {engine}", expected=f"absent (used by: {users})",
                          got=scope[name])

    def check_pe_array(self, parts: dict[str, Any]) -> None:
        array = parts.get("pe_array")
        if array is not None and array.rows * array.cols > MAX_PES:
            self.fail("pe_array", "too many PEs", expected=f"rows x cols at most {MAX_PES}",
                      got=f"{array.rows} x {array.cols} = {array.rows * array.cols}")

    def check_buffers(self, parts: dict[str, Any]) -> None:
        """Whole words and banks, widths that fit the data held, names apart from other components, and
        every data kind the engine needs held somewhere."""
        buffers: tuple[Buffer, ...] | None = parts.get("buffers")
        if buffers is None:
            return
        widths = parts.get("data_widths")
        engine = parts.get("engine")
        kind_bits = widths.bits_of if widths is not None else lambda kind: None
        for b in buffers:
            key = f"buffers.{b.name}"
            if b.width_bits % BITS_PER_BYTE:
                self.fail(f"{key}.width_bits", "not a whole number of bytes", expected="a multiple of 8",
                          got=b.width_bits)
            elif b.size_bytes % (b.word_bytes * b.banks):
                self.fail(f"{key}.size_bytes", "not a whole number of words in every bank",
                          expected=f"a multiple of width_bits/8 x banks = {b.word_bytes * b.banks} bytes",
                          got=b.size_bytes)
            for kind in b.holds:
                bits = kind_bits(kind)
                if bits is not None and b.width_bits % bits:
                    self.fail(f"{key}.width_bits", f"does not hold whole {kind}",
                              expected=f"a multiple of {bits} bits", got=b.width_bits)
            if b.name in RESERVED_BUFFER_NAMES:
                self.fail(key, "buffer name taken by a report column (energy_<name>_pj)",
                          expected=f"a name other than {', '.join(RESERVED_BUFFER_NAMES)}", got=b.name)
            elif engine is not None and b.name in {a.component for a in ACCELERATORS[engine].counted_actions}:
                self.fail(key, f"name taken by a component of engine {engine}", expected="another name")
        if engine is not None:
            held = {kind for b in buffers for kind in b.holds}
            for kind in sorted(ACCELERATORS[engine].required_holds - held):
                self.fail("buffers", f"no buffer holds {kind}",
                          expected=f"a buffer with {kind} in holds (engine {engine} needs one)")

    def check_dram(self, parts: dict[str, Any]) -> None:
        dram = parts.get("dram")
        if dram is not None and (dram.bandwidth_bytes_per_cycle is None) == (dram.bandwidth_gb_per_s is None):
            twice = dram.bandwidth_gb_per_s is not None
            self.fail("dram", "bandwidth given " + ("twice" if twice else "nowhere"),
                      expected="exactly one of bandwidth_bytes_per_cycle, bandwidth_gb_per_s")

    def check_technology(self, raw: dict, parts: dict[str, Any]) -> None:
        """A node of the cost tables; without one, an energy section that prices everything."""
        node = parts.get("technology_nm")
        if node is not None and node not in NODES_NM:
            self.fail("technology_nm", "no cost tables for this node",
                      expected="one of " + ", ".join(map(str, NODES_NM)) + " (nm)", got=node)
        if "technology_nm" not in raw and "energy" not in raw:
            self.fail("energy", "missing key",
                      expected="an energy section, or technology_nm: the cost models price every component")

    def check_energy(self, parts: dict[str, Any]) -> None:
        """The dynamic entries are those the engine counts (all of them without ``technology_nm``; with it,
        the models price those not given); static ones name its components."""
        energy, engine, buffers = parts.get("energy"), parts.get("engine"), parts.get("buffers")
        if energy is None or engine is None or buffers is None:
            return
        required = ACCELERATORS[engine].required_energy(tuple(b.name for b in buffers))
        given = {(e.component, e.action) for e in energy.dynamic}
        components = sorted({c for c, _ in required})
        for component, action in sorted(given - required):
            if component in components:
                hint = did_you_mean(action, [a for c, a in required if c == component])
            else:
                hint = did_you_mean(component, components)
            self.fail(f"energy.dynamic.{component}.{action}", f"not counted by engine {engine}{hint}",
                      expected="one of " + ", ".join(f"{c}.{a}" for c, a in sorted(required)))
        for component, action in sorted(required - given) if parts.get("technology_nm") is None else ():
            unit = ACCELERATORS[engine].unit_of(component, action)
            self.fail(f"energy.dynamic.{component}.{action}", "missing energy entry",
                      expected=f"{{pj: <pJ per {unit}>, source: <text>}}: engine {engine} counts it")
        for entry in energy.static:
            if entry.component not in components:
                self.fail(f"energy.static.{entry.component}", "unknown component" + did_you_mean(
                    entry.component, components), expected="one of " + ", ".join(components))
