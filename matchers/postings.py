"""An append-only inverted index, key -> docs, in three sorted numpy levels.

`main` holds nearly every posting; `tail` (at most `_TAIL_MAX`) takes the recent ones and is
merged into `main` when full; adds are buffered unsorted, and a lookup sorts whatever is still
buffered. Merging is a sorted merge (`searchsorted` + `insert`), never a re-sort of `main`.
Two rhythms: while the index is being queried (the bot: add one, check one) the buffer is
merged into `tail` every `_PENDING_MAX` postings, so a lookup sorts a few thousand at most;
while it is only loaded (a rebuild from the archive) the buffer grows to `_BULK_MAX` and goes
straight into `main`, a few passes in all; `compact()` ends a load.

A lookup is three binary searches per key whatever the size: keys are searched sorted (cache
friendly), and the upper bound of a key's range only when the key is present, which for a new
article's shingles is almost never. No Python loop runs over keys or postings.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Postings"]

_PENDING_MAX = 8192  # buffered postings merged into `tail` (while the index is queried)
_BULK_MAX = 1 << 20  # buffered postings merged into `main` (while it is only loaded)
_TAIL_MAX = 1 << 18  # postings in `tail` before it is merged into `main`


def _ranges(seg: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi) of each sorted key in a sorted segment; hi is searched only for keys present."""
    lo = np.searchsorted(seg, keys)
    hi = lo.copy()
    found = lo < len(seg)
    found[found] = seg[lo[found]] == keys[found]
    if found.any():
        hi[found] = np.searchsorted(seg, keys[found], "right")
    return lo, hi


def _sorted(keys: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")  # stable: docs stay in increasing order per key
    return keys[order], docs[order]


def _merge(into: tuple[np.ndarray, np.ndarray], keys: np.ndarray, docs: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Fold sorted postings of newer docs into a sorted level (after equal keys)."""
    at = np.searchsorted(into[0], keys, "right")
    return np.insert(into[0], at, keys), np.insert(into[1], at, docs)


_EMPTY = (np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32))


class Postings:
    """Inverted index of uint32 keys to doc numbers (docs added in increasing order)."""

    def __init__(self) -> None:
        self._main = self._tail = _EMPTY
        self._pending_keys: list[np.ndarray] = []
        self._pending_docs: list[np.ndarray] = []
        self._pending_n = 0
        self._recent: tuple[np.ndarray, np.ndarray] | None = None  # sorted view of pending
        self._queried = False  # a lookup since the last merge: keep the buffer small

    def __len__(self) -> int:
        return len(self._main[0]) + len(self._tail[0]) + self._pending_n

    def add(self, keys: np.ndarray, doc: int) -> None:
        if len(keys) == 0:
            return
        self._pending_keys.append(keys.astype(np.uint32))
        self._pending_docs.append(np.full(len(keys), doc, dtype=np.uint32))
        self._pending_n += len(keys)
        self._recent = None
        if self._pending_n >= (_PENDING_MAX if self._queried else _BULK_MAX):
            self._merge_pending()

    def compact(self) -> None:
        """Merge everything into `main` (after loading, so the first lookup pays nothing)."""
        self._merge_pending()
        if len(self._tail[0]):
            self._main = _merge(self._main, *self._tail)
            self._tail = _EMPTY

    def _merge_pending(self) -> None:
        keys, docs = self._pending()
        self._pending_keys, self._pending_docs, self._pending_n = [], [], 0
        self._recent, self._queried = None, False
        if len(keys) >= _TAIL_MAX:  # a bulk load: straight into main
            self._main = _merge(self._main, keys, docs)
            return
        self._tail = _merge(self._tail, keys, docs)
        if len(self._tail[0]) >= _TAIL_MAX:
            self._main = _merge(self._main, *self._tail)
            self._tail = _EMPTY

    def _pending(self) -> tuple[np.ndarray, np.ndarray]:
        if self._recent is None:
            self._recent = _sorted(np.concatenate(self._pending_keys or [_EMPTY[0]]),
                                   np.concatenate(self._pending_docs or [_EMPTY[1]]))
        return self._recent

    def _levels(self) -> list[tuple[np.ndarray, np.ndarray]]:
        self._queried = True
        levels = [self._main, self._tail, self._pending()]
        return [level for level in levels if len(level[0])]

    def counts(self, keys: np.ndarray) -> np.ndarray:
        """How many postings each key has (its document frequency)."""
        unique, inverse = np.unique(keys.astype(np.uint32), return_inverse=True)
        total = np.zeros(len(unique), dtype=np.int64)
        for level_keys, _ in self._levels():
            lo, hi = _ranges(level_keys, unique)
            total += hi - lo
        return total[inverse]

    def lookup(self, keys: np.ndarray, *, cap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Docs holding each key (one per posting), the index of the key it matched, key counts.

        Keys with more than `cap` postings are skipped: boilerplate, not evidence.
        """
        keys = keys.astype(np.uint32)
        order = np.argsort(keys, kind="stable")
        needles = keys[order]
        spans = [(docs, *_ranges(level, needles)) for level, docs in self._levels()]
        total = np.zeros(len(keys), dtype=np.int64)
        for _, lo, hi in spans:
            total += hi - lo
        usable = total <= cap
        found, which = [], []
        for level_docs, lo, hi in spans:
            n = np.where(usable, hi - lo, 0)
            if not n.any():
                continue
            starts = np.repeat(lo - np.cumsum(n) + n, n)
            found.append(level_docs[starts + np.arange(int(n.sum()))])
            which.append(np.repeat(order, n))
        counts = np.empty(len(keys), dtype=np.int64)
        counts[order] = total
        if not found:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64), counts
        return np.concatenate(found), np.concatenate(which), counts
