"""Which uint32 keys may be in an index: one bit per value of a key's top bits.

A lookup of a new article's shingles searches hundreds of keys of which nearly none is indexed;
a clear bit says "surely absent" for one table read, so only the few others are binary-searched.
Keys are hashes (their top bits spread evenly), so at 2^25 bits (4 MB) the table is ~25 % set at
100,000 articles and well under 1 % at a few thousand. Nothing is ever removed: an index only grows.
"""

from __future__ import annotations

import numpy as np

__all__ = ["KeyBits"]


class KeyBits:
    def __init__(self, bits: int = 25) -> None:
        if not 3 <= bits <= 32:
            raise ValueError("bits must be between 3 and 32")
        self._shift = np.uint32(32 - bits)
        self._table = np.zeros(1 << (bits - 3), dtype=np.uint8)

    @property
    def nbytes(self) -> int:
        return self._table.nbytes

    def add(self, keys: np.ndarray) -> None:
        top = keys.astype(np.uint32) >> self._shift
        np.bitwise_or.at(self._table, top >> 3, np.left_shift(1, top & 7).astype(np.uint8))

    def may_hold(self, keys: np.ndarray) -> np.ndarray:
        """False where a key was surely never added (True: it may have been)."""
        top = keys.astype(np.uint32) >> self._shift
        return (self._table[top >> 3] >> (top & 7).astype(np.uint8)) & 1 != 0
