"""Block compressed sparse rows (BSR): whole b x b blocks plus a block-column index each (layer 2).

scipy.sparse's BSR: a 2-D tile is cut into ``block`` x ``block`` blocks (edge blocks padded to full size);
every block holding a non-zero is stored whole (its zeros are padding entries), with a ``index_bits``
block-column index, and a pointer array of block rows + 1 entries (``pointer_bits`` each) says where each
block row's blocks start.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.formats.base import Format, readonly
from accelsim.schema import Int, field_spec


@dataclass(frozen=True)
class BlockTile:
    """One BSR tile: stored ``blocks`` (n_blocks, b, b), their block-column ``indices``, ``pointers``
    (block rows + 1 offsets) and the tile ``shape``."""

    blocks: np.ndarray
    indices: np.ndarray
    pointers: np.ndarray
    shape: tuple[int, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", readonly(self.blocks))
        object.__setattr__(self, "indices", readonly(self.indices, np.int64))
        object.__setattr__(self, "pointers", readonly(self.pointers, np.int64))
        object.__setattr__(self, "shape", tuple(int(n) for n in self.shape))


@dataclass(frozen=True)
class BlockSparse(Format):
    """stored = non-empty blocks x block**2 (entries, padding included); metadata = non-empty blocks x
    ``index_bits`` + (block rows + 1) x ``pointer_bits`` (bits). Tiles are 2-D."""

    name = "bsr"
    tile_ndim = 2

    block: int = field_spec(Int(1, None, "elements"), default=4, help="the side of a square block")
    index_bits: int = field_spec(Int(1, None, "bits"), default=16, help="one block-column index")
    pointer_bits: int = field_spec(Int(1, None, "bits"), default=32, help="one block-row pointer")

    def _blocks(self, tiles: np.ndarray) -> np.ndarray:
        """(n_tiles, rows, cols) -> (n_tiles, block rows, block cols, b, b), zero-padded."""
        b = self.block
        n_tiles, rows, cols = tiles.shape
        br, bc = -(-rows // b), -(-cols // b)
        padded = np.zeros((n_tiles, br * b, bc * b), dtype=tiles.dtype)
        padded[:, :rows, :cols] = tiles
        return padded.reshape(n_tiles, br, b, bc, b).transpose(0, 1, 3, 2, 4)

    def _count(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        blocks = self._blocks(masks)
        occupied = np.count_nonzero(blocks.any(axis=(3, 4)), axis=(1, 2)).astype(np.int64)
        return (occupied * self.block ** 2,
                occupied * self.index_bits + (blocks.shape[1] + 1) * self.pointer_bits)

    def _encode(self, values: np.ndarray) -> BlockTile:
        blocks = self._blocks(values[np.newaxis])[0]
        occupied = (blocks != 0).any(axis=(2, 3))
        rows, cols = np.nonzero(occupied)
        pointers = np.concatenate(([0], np.cumsum(occupied.sum(axis=1))))
        return BlockTile(blocks[rows, cols], cols, pointers, values.shape)

    def decode(self, encoded: BlockTile) -> np.ndarray:
        b = self.block
        rows, cols = encoded.shape
        br, bc = -(-rows // b), -(-cols // b)
        out = np.zeros((br, bc, b, b), encoded.blocks.dtype)
        block_rows = np.repeat(np.arange(br), np.diff(encoded.pointers))
        out[block_rows, encoded.indices] = encoded.blocks
        return out.transpose(0, 2, 1, 3).reshape(br * b, bc * b)[:rows, :cols]
