"""``Counts``: how many times each component did each action (layer 0).

The only thing a simulation hands to the energy model. A frozen, summable map
``(component, action) -> count``, e.g. ``("dram", "read_bytes") -> 1.2e6`` or ``("mac", "op") -> 5.6e8``.
Counts add up from tiles to layers to models with ``+`` and ``sum``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

Key = tuple[str, str]


class Counts(Mapping[Key, float]):
    """Immutable map ``(component, action) -> count``; zero entries are dropped; supports ``+``."""

    __slots__ = ("_data",)

    def __init__(self, items: Mapping[Key, float] | Iterable[tuple[Key, float]] = ()) -> None:
        data: dict[Key, float] = {}
        pairs = items.items() if isinstance(items, Mapping) else items
        for key, value in pairs:
            if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key)):
                raise TypeError(f"Counts keys are (component, action) string pairs, got {key!r}")
            if value < 0:
                raise ValueError(f"Counts are non-negative, got {key!r} -> {value!r}")
            if value:
                data[key] = data.get(key, 0) + value
        self._data = MappingProxyType(dict(sorted(data.items())))

    @classmethod
    def of(cls, **by_component: Mapping[str, float]) -> "Counts":
        """Build from keyword components: ``Counts.of(dram={"read_bytes": 64}, mac={"op": 9})``."""
        return cls((((comp, act), n) for comp, acts in by_component.items() for act, n in acts.items()))

    def __getitem__(self, key: Key) -> float:
        return self._data[key]

    def get(self, key: Key, default: float = 0) -> float:  # type: ignore[override]
        return self._data.get(key, default)

    def __iter__(self) -> Iterator[Key]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __add__(self, other: "Counts") -> "Counts":
        if not isinstance(other, Counts):
            return NotImplemented
        data = dict(self._data)             # both already checked: positive counts under valid keys
        for key, value in other._data.items():
            data[key] = data.get(key, 0) + value
        total = Counts.__new__(Counts)
        total._data = MappingProxyType(dict(sorted(data.items())))
        return total

    def __radd__(self, other: object) -> "Counts":
        if other == 0:          # lets sum() start from 0
            return self
        return NotImplemented

    def scaled(self, factor: float) -> "Counts":
        """Every count times ``factor`` (e.g. one LSTM time step x the sequence length)."""
        return Counts({k: v * factor for k, v in self._data.items()})

    def component(self, name: str) -> dict[str, float]:
        """The actions of one component: ``{action: count}``."""
        return {a: v for (c, a), v in self._data.items() if c == name}

    def components(self) -> list[str]:
        """Component names, sorted."""
        return sorted({c for c, _ in self._data})

    def __repr__(self) -> str:
        inner = ", ".join(f"{c}.{a}={v:g}" for (c, a), v in self._data.items())
        return f"Counts({inner})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Counts) and dict(self._data) == dict(other._data)

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))
