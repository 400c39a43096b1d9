"""An append-only inverted index, key -> docs, in three sorted numpy levels.

`main` holds nearly every posting; `tail` (at most `_TAIL_MAX`) takes the recent ones and is
merged into `main` when full; adds are buffered unsorted, and a lookup sorts whatever is still
buffered. Merging is a sorted merge (`searchsorted` + `insert`), never a re-sort of `main`.
Two rhythms: while the index is being queried (the bot: add one, check one) the buffer is
merged into `tail` every `_PENDING_MAX` postings, and once a lookup has sorted it, each add
merges its own few sorted keys into that sorted view (no lookup sorts the buffer again);
while it is only loaded (a rebuild from the archive) the buffer grows to `_BULK_MAX` and goes
straight into `main`, a few passes in all; `compact()` ends a load.

From `_COMPACT_MIN` postings (a large archive; below, plain sorted keys search fastest)
`main` is stored compactly, one of two ways (`grouped`): each distinct key once with where its
docs start (story terms: a term is in many articles), or each posting's low 16 key bits under a
table of where each high-16 value starts (shingle samples: nearly every key is in one article).
Either saves about 4 or 2 of a posting's 8 bytes; lookups give the same postings in the same order.

A lookup is a few binary searches per key whatever the size: keys are searched sorted (cache
friendly), and the upper bound of a key's range only when the key is present, which for a new
article's shingles is almost never. No Python loop runs over keys or postings.
"""

from __future__ import annotations

import numpy as np

from matchers.keybits import KeyBits

__all__ = ["Postings"]

_PENDING_MAX = 8192  # buffered postings merged into `tail` (while the index is queried)
_BULK_MAX = 1 << 20  # buffered postings merged into `main` (while it is only loaded)
_TAIL_MAX = 1 << 18  # postings in `tail` before it is merged into `main`
_HIGH = 1 << 16  # high-16 values of a split key
_LONG_RUN = 2048  # a high-16 run longer than this is searched key by key
_COMPACT_MIN = 1 << 20  # postings in `main` from which it is stored compactly


def _ranges(seg: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi) of each sorted key in a sorted segment; hi is searched only for keys present."""
    lo = seg.searchsorted(keys)  # (methods: numpy's Python wrappers cost more than the work)
    hi = lo.copy()
    found = lo < len(seg)
    found[found] = seg[lo[found]] == keys[found]
    if found.any():
        hi[found] = seg.searchsorted(keys[found], "right")
    return lo, hi


def _sorted(keys: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = keys.argsort(kind="stable")  # stable: docs stay in increasing order per key
    return keys[order], docs[order]


def _merge(into: tuple[np.ndarray, np.ndarray], keys: np.ndarray, docs: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Fold sorted postings of newer docs into a sorted level (after equal keys)."""
    at = into[0].searchsorted(keys, "right") + np.arange(len(keys))  # after equal keys
    old = np.ones(len(into[0]) + len(keys), dtype=bool)  # np.insert's result, at half its cost
    old[at] = False
    merged = []
    for level, new in zip(into, (keys, docs), strict=True):
        out = np.empty(len(old), dtype=level.dtype)
        out[old], out[at] = level, new
        merged.append(out)
    return merged[0], merged[1]


_EMPTY = (np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint32))


class _Flat:
    """Sorted keys and their docs: `main` while it is small (a binary search is cheapest)."""

    def __init__(self, keys: np.ndarray, docs: np.ndarray) -> None:
        self.keys, self.docs = keys, docs

    def ranges(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _ranges(self.keys, keys)

    def merge(self, keys: np.ndarray, docs: np.ndarray) -> _Flat:
        return _Flat(*_merge((self.keys, self.docs), keys, docs))


class _Grouped:
    """Sorted distinct keys, where each one's docs start in `docs`, the docs."""

    def __init__(self, keys: np.ndarray, starts: np.ndarray, docs: np.ndarray) -> None:
        self.keys, self.starts, self.docs = keys, starts, docs

    @classmethod
    def of(cls, keys: np.ndarray, docs: np.ndarray) -> _Grouped:
        distinct, counts = np.unique(keys, return_counts=True)
        return cls(distinct, _starts(counts), docs)

    def ranges(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at = np.searchsorted(self.keys, keys)
        found = at < len(self.keys)
        found[found] = self.keys[at[found]] == keys[found]
        lo = self.starts[at].astype(np.int64)
        hi = lo.copy()
        hi[found] = self.starts[at[found] + 1]
        return lo, hi

    def merge(self, keys: np.ndarray, docs: np.ndarray) -> _Grouped:
        at = self.starts[np.searchsorted(self.keys, keys, "right")].astype(np.intp)  # after equal
        first = np.flatnonzero(np.diff(keys, prepend=keys[:1] ^ 1))  # keys are sorted
        new, counts = keys[first], np.diff(first, append=len(keys))
        distinct = np.sort(np.concatenate([self.keys, new]))  # np.union1d hashes: 50x slower
        distinct = distinct[np.diff(distinct, prepend=distinct[:1] ^ 1) != 0]
        total = np.zeros(len(distinct), dtype=np.int64)
        total[np.searchsorted(distinct, self.keys)] = np.diff(self.starts)
        total[np.searchsorted(distinct, new)] += counts
        return _Grouped(distinct, _starts(total), np.insert(self.docs, at, docs))


class _Split:
    """Each posting's low 16 key bits (sorted within a high-16 value), where each high-16 value
    starts, the docs."""

    def __init__(self, low: np.ndarray, starts: np.ndarray, docs: np.ndarray) -> None:
        self.low, self.starts, self.docs = low, starts, docs

    @classmethod
    def of(cls, keys: np.ndarray, docs: np.ndarray) -> _Split:
        return cls((keys & 0xFFFF).astype(np.uint16),
                   np.searchsorted(keys >> 16, np.arange(_HIGH + 1)).astype(np.uint32), docs)

    def _bound(self, keys: np.ndarray, right: bool) -> np.ndarray:
        """Where each key goes in its high-16 run: a binary search of all keys at once, in
        power-of-two steps from the run's start. The few keys in a long run (a boilerplate
        shingle's thousands of postings) are searched one by one, so the steps of all the
        others stop at `_LONG_RUN`."""
        high = keys >> 16
        pos = self.starts[high].astype(np.int64) - 1  # the last place known to be before it
        end = self.starts[high + 1].astype(np.int64)
        low = (keys & 0xFFFF).astype(np.uint16)
        long = np.flatnonzero(end - pos > _LONG_RUN)
        side = "right" if right else "left"
        for i in long.tolist():
            first = int(pos[i]) + 1
            pos[i] = first - 1 + int(np.searchsorted(self.low[first:end[i]], low[i], side))
        end[long] = pos[long] + 1  # found: the steps leave them be
        step = 1 << (int((end - pos).max(initial=1)) - 1).bit_length()
        while step := step >> 1:
            at = pos + step
            probe = np.take(self.low, at, mode="clip")
            go = (probe <= low) if right else (probe < low)
            go &= at < end
            pos = np.where(go, at, pos)
        return pos + 1

    def ranges(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = self._bound(keys, right=False)
        end = self.starts[(keys >> 16) + 1]
        low = keys & 0xFFFF
        found = lo < end
        found[found] = self.low[lo[found]] == low[found]
        hi = lo + found  # most keys present have one posting: look further only for the others
        more = found & (hi < end)
        more[more] = self.low[hi[more]] == low[more]
        if more.any():
            hi[more] = self._bound(keys[more], right=True)
        return lo, hi

    def merge(self, keys: np.ndarray, docs: np.ndarray) -> _Split:
        # the full keys for a moment: one searchsorted beats the step search on big batches
        high = np.repeat(np.arange(_HIGH, dtype=np.uint32), np.diff(self.starts))
        at = np.searchsorted((high << 16) | self.low, keys, "right")  # after equal keys
        starts = self.starts + np.searchsorted(keys >> 16, np.arange(_HIGH + 1)).astype(np.uint32)
        low = np.insert(self.low, at, (keys & 0xFFFF).astype(np.uint16))
        return _Split(low, starts, np.insert(self.docs, at, docs))


def _starts(counts: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(counts) + 1, dtype=np.uint32)
    starts[1:] = np.cumsum(counts)
    return starts


class Postings:
    """Inverted index of uint32 keys to doc numbers (docs added in increasing order).

    `grouped`: keys repeat across many docs (store each once); else nearly every key is one
    doc's (store its low half). `filtered`: most keys looked up are in no doc (a new text's
    shingles): a `KeyBits` table of the keys added spares the search of nearly all of them.
    """

    def __init__(self, *, grouped: bool = False, filtered: bool = False) -> None:
        self._filter = KeyBits() if filtered else None
        self._compact = _Grouped if grouped else _Split
        self._main: _Flat | _Grouped | _Split = _Flat(*_EMPTY)
        self._tail = _EMPTY
        self._pending_keys: list[np.ndarray] = []
        self._pending_docs: list[np.ndarray] = []
        self._pending_n = 0
        self._recent: tuple[np.ndarray, np.ndarray] | None = None  # sorted view of pending
        self._queried = False  # a lookup since the last merge: keep the buffer small
        self._generation = 0  # how many times the buffer was merged (into `tail` or `main`)

    def __len__(self) -> int:
        return len(self._main.docs) + len(self._tail[0]) + self._pending_n

    @property
    def generation(self) -> int:
        """Changes whenever `settled_counts` may answer otherwise (a merge of the buffer)."""
        return self._generation

    def add(self, keys: np.ndarray, doc: int) -> None:
        if len(keys) == 0:
            return
        keys = keys.astype(np.uint32)
        if self._filter is not None:
            self._filter.add(keys)
        docs = np.empty(len(keys), dtype=np.uint32)  # (np.full's wrapper costs more)
        docs.fill(doc)
        self._pending_keys.append(keys)
        self._pending_docs.append(docs)
        self._pending_n += len(keys)
        if self._recent is not None:  # queried: fold the few new keys into the sorted view
            sorted_keys = keys.copy()
            sorted_keys.sort()
            self._recent = _merge(self._recent, sorted_keys, docs)
        if self._pending_n >= (_PENDING_MAX if self._queried else _BULK_MAX):
            self._merge_pending()

    def compact(self) -> None:
        """Merge everything into `main` (after loading, so the first lookup pays nothing)."""
        self._merge_pending()
        if len(self._tail[0]):
            self._merge_main(*self._tail)
            self._tail = _EMPTY

    def _merge_main(self, keys: np.ndarray, docs: np.ndarray) -> None:
        main = self._main.merge(keys, docs)
        if isinstance(main, _Flat) and len(main.docs) >= _COMPACT_MIN:
            main = self._compact.of(main.keys, main.docs)
        self._main = main

    def _merge_pending(self) -> None:
        keys, docs = self._pending()
        self._generation += 1
        self._pending_keys, self._pending_docs, self._pending_n = [], [], 0
        self._recent, self._queried = None, False
        if len(keys) >= _TAIL_MAX:  # a bulk load: straight into main
            self._merge_main(keys, docs)
            return
        self._tail = _merge(self._tail, keys, docs)
        if len(self._tail[0]) >= _TAIL_MAX:
            self._merge_main(*self._tail)
            self._tail = _EMPTY

    def _pending(self) -> tuple[np.ndarray, np.ndarray]:
        if self._recent is None:
            self._recent = _sorted(np.concatenate(self._pending_keys or [_EMPTY[0]]),
                                   np.concatenate(self._pending_docs or [_EMPTY[1]]))
        return self._recent

    def _spans(self, keys: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(docs, lo, hi) per non-empty level (any key order; sorted keys are searched faster)."""
        self._queried = True
        spans = []
        if len(self._main.docs):
            spans.append((self._main.docs, *self._main.ranges(keys)))
        for level_keys, level_docs in (self._tail, self._pending()):
            if len(level_keys):
                spans.append((level_docs, *_ranges(level_keys, keys)))
        return spans

    def counts(self, keys: np.ndarray) -> np.ndarray:
        """How many postings each key has (its document frequency)."""
        return self.settled_counts(keys) + self.recent_counts(keys)

    def settled_counts(self, keys: np.ndarray) -> np.ndarray:
        """`counts` without the buffer: the same answer until `generation` changes, so a
        caller may keep it and add `recent_counts` (a small search) query after query."""
        keys = keys.astype(np.uint32)  # searched as they come: sorting a few hundred costs more
        total = np.zeros(len(keys), dtype=np.int64)
        if len(self._main.docs):
            lo, hi = self._main.ranges(keys)
            total += hi - lo
        if len(self._tail[0]):
            lo, hi = _ranges(self._tail[0], keys)
            total += hi - lo
        return total

    def recent_counts(self, keys: np.ndarray) -> np.ndarray:
        """How many postings each key has in the buffer (`counts` = settled + recent)."""
        self._queried = True
        recent = self._pending()[0]
        if not len(recent):
            return np.zeros(len(keys), dtype=np.int64)
        lo, hi = _ranges(recent, keys.astype(np.uint32))
        return (hi - lo).astype(np.int64)

    def lookup(self, keys: np.ndarray, *, cap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Docs holding each key (one per posting), the index of the key it matched, key counts.

        Keys with more than `cap` postings are skipped: boilerplate, not evidence.
        """
        keys = keys.astype(np.uint32)
        order = keys.argsort(kind="stable")
        if self._filter is not None:  # a key surely in no doc has no postings: not searched
            order = order[self._filter.may_hold(keys[order])]
        needles = keys[order]
        spans = self._spans(needles)
        total = np.zeros(len(needles), dtype=np.int64)
        for _, lo, hi in spans:
            total += hi - lo
        usable = total <= cap
        found, which = [], []
        for level_docs, lo, hi in spans:
            n = np.where(usable, hi - lo, 0)
            if not n.any():
                continue
            starts = (lo - n.cumsum() + n).repeat(n)
            found.append(level_docs[starts + np.arange(int(n.sum()))])
            which.append(order.repeat(n))
        counts = np.zeros(len(keys), dtype=np.int64)
        counts[order] = total
        if not found:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64), counts
        return np.concatenate(found), np.concatenate(which), counts
