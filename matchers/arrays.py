"""Sorted distinct values of a 1-D array, without numpy's masked-array module.

``np.unique(a)`` (no counts, no indices) imports ``numpy.ma`` on its first call to ask whether
``a`` is masked: ~20-40 ms at the first article of every process. Ours are plain arrays.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sorted_unique"]


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)`` for a 1-D array: its values sorted, each once, in its dtype."""
    s = a.copy()  # (np.sort's Python wrapper costs more than sorting a few hundred)
    s.sort()
    if len(s) < 2:
        return s
    return s[np.concatenate(([True], s[1:] != s[:-1]))]
