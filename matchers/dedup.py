"""Near-duplicate detection (copies) and same-story lookup against the known articles.

Copies are found with Broder's MOD-2^k shingle sampling (`matchers.signature`): the index keeps,
per known article, the hashes of its word 3-shingles whose low k bits are zero (k grows with the
text so each article keeps ~100 samples). Because the selection rule is the same for every text,
the samples of two texts estimate both resemblance and *containment* without bias: a short copy
inside a long roundup, or a long page cut short, shows up as high containment where
MinHash/SimHash resemblance would be low. Lookups go through an inverted index in sorted numpy
arrays (`matchers.postings`, no text scan): a check costs a few `searchsorted` calls, whatever
the archive size.

Not a copy? Then the same index, built over story terms (see `matchers.stories`), finds the best
same-event article inside the time window. A story is scored by the terms of all its articles so far
(when the query is placed in time), and the bar depends on the time evidence: lowest for reports of
the same days (or an undated page naming that day), higher within the window, highest when nothing
places the two in time. Pure: no I/O, no clock.
"""

from __future__ import annotations

import logging
import math
from array import array
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from matchers.postings import Postings
from matchers.signature import MAX_LEVEL, Signature, level, sample, signature
from matchers.stories import (
    MIN_CROSS_TERMS,
    cross_language_similarity,
    day_hashes,
    fact_mask,
    idf,
    kind_boost,
    portable_mask,
    story_similarity,
    time_anchors,
    word_mask,
)
from matchers.urls import canonical_url

__all__ = ["DedupResult", "KnownArticles", "Signature", "signature"]

log = logging.getLogger(__name__)

COPY_THRESHOLD = 0.5  # share of the smaller text's shingles found in the other
MIN_COPY_HITS = 4  # fewer shared samples than this is chance, not a copy
STORY_THRESHOLD = 0.25  # when either date is unknown
DATED_STORY_THRESHOLD = 0.17  # both dated, inside the window: time proximity is evidence too
CLOSE_STORY_THRESHOLD = 0.085  # both dated within CLOSE_WINDOW: the strongest time evidence
CLOSE_WINDOW_S = 2.5 * 86400  # same or next day(s), allowing for time zones and late reposts
IDF_MIN_DOCS = 100  # a young archive says little about which terms are rare: assume this many
SHINGLE_CAP = 150  # a shingle in more distinct articles than this is boilerplate, not evidence
TERM_CAP = 1000  # likewise for story terms (they would weigh little anyway: low IDF)
@dataclass(frozen=True)
class DedupResult:
    duplicate_of: str | None  # the original (never a copy of a copy) this article copies
    story: str | None  # story id (= id of its first article); None for a new story
    copy_score: float  # 0..1 best containment found
    story_score: float  # 0..1
    reason: str


@dataclass(frozen=True)
class _Match:
    doc: int
    score: float
    detail: str
    threshold: float = 0.0  # the bar this match had to clear (story matches)


class KnownArticles:
    """The archive's articles as an in-memory index; rebuild it by add()-ing stored signatures."""

    def __init__(self, *, story_window: timedelta = timedelta(days=14),
                 copy_threshold: float = COPY_THRESHOLD,
                 story_threshold: float = STORY_THRESHOLD,
                 dated_story_threshold: float = DATED_STORY_THRESHOLD) -> None:
        self._window_s = story_window.total_seconds()
        self._copy_threshold = copy_threshold
        self._story_threshold = story_threshold
        self._dated_story_threshold = dated_story_threshold
        self._ids: list[str] = []
        self._root: list[int] = []
        self._story: list[str] = []
        self._story_no = array("q")  # per doc, a small int per story (for per-story sums)
        self._story_nos: dict[str, int] = {}
        self._story_size = array("q")  # indexed articles per story: pool only real stories
        self._level = bytearray()  # per doc, numpy views of these arrays are taken per query
        self._n_samples = array("q")
        self._published = array("d")
        self._terms: list[bytes] = []
        self._by_url: dict[str, int] = {}
        self._by_id: dict[str, int] = {}
        self._shingle_index = Postings()
        self._term_index = Postings()

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, article_id: str, sig: Signature, *, story: str, url: str | None = None,
            duplicate_of: str | None = None, url_is_canonical: bool = False) -> None:
        """Remember an article; copies resolve to their original and stay out of story terms.

        `url_is_canonical`: the URL is already `canonical_url` (as the archive stores it).
        """
        doc = len(self._ids)
        root = self._by_id.get(duplicate_of, doc) if duplicate_of else doc
        self._ids.append(article_id)
        self._by_id.setdefault(article_id, doc)
        self._root.append(self._root[root] if root != doc else doc)
        self._story.append(story)
        story_no = self._story_nos.setdefault(story, len(self._story_nos))
        self._story_no.append(story_no)
        if story_no == len(self._story_size):
            self._story_size.append(0)
        self._story_size[story_no] += duplicate_of is None
        k = level(len(sig.shingles) // 4)
        kept = sample(sig.hashes, k)
        self._level.append(k)
        self._n_samples.append(len(kept))
        self._published.append(sig.published.timestamp() if sig.published else math.nan)
        terms = sig.term_hashes
        self._terms.append(terms.tobytes() if duplicate_of is None else b"")
        if duplicate_of is None:  # a copy's text is its original's: indexing it adds only noise
            self._shingle_index.add(kept, doc)
            self._term_index.add(terms, doc)
        if url:
            self._by_url.setdefault(url if url_is_canonical else canonical_url(url), doc)
        if duplicate_of is not None and sig.published is not None:
            first = self._root[doc]  # a dated copy dates an undated original (e.g. a seed)
            if math.isnan(self._published[first]):
                self._published[first] = sig.published.timestamp()

    def compact(self) -> None:
        """End a bulk load (a rebuild from the archive): merge the index's buffers."""
        self._shingle_index.compact()
        self._term_index.compact()

    def check(self, sig: Signature, *, url: str | None = None) -> DedupResult:
        """Is this a known URL, a copy of a known text, or a new report on a known story?"""
        if url and (doc := self._by_url.get(canonical_url(url))) is not None:
            root = self._root[doc]
            return DedupResult(self._ids[root], self._story[root], 1.0, 1.0,
                               f"same URL as {self._ids[doc]}")
        copy = self._best_copy(sig)
        if copy is not None and copy.score >= self._copy_threshold:
            root = self._root[copy.doc]
            return DedupResult(self._ids[root], self._story[root], copy.score, 1.0,
                               f"{copy.detail} of {self._ids[copy.doc]}")
        copy_score = copy.score if copy else 0.0
        story = self._best_story(sig)
        if story is not None and story.score >= story.threshold:
            return DedupResult(None, self._story[story.doc], copy_score, story.score,
                               f"same story as {self._ids[story.doc]}: {story.detail}")
        return DedupResult(None, None, copy_score, story.score if story else 0.0, "new story")

    def _best_copy(self, sig: Signature) -> _Match | None:
        hashes = sig.hashes
        if len(hashes) == 0 or len(self) == 0:
            return None
        docs, _, df = self._shingle_index.lookup(hashes, cap=SHINGLE_CAP)
        if len(docs) == 0:
            return None
        cand, hits = np.unique(docs, return_counts=True)
        keep = hits >= min(MIN_COPY_HITS, len(hashes))
        cand, hits = cand[keep], hits[keep]
        if len(cand) == 0:
            return None
        # The query's own sample size at each level (minus skipped boilerplate): like with like.
        usable = df <= SHINGLE_CAP
        per_level = [len(sample(hashes[usable], k)) for k in range(MAX_LEVEL + 1)]
        levels = np.frombuffer(self._level, dtype=np.uint8)[cand]
        q_n = np.array(per_level)[levels]
        d_n = np.frombuffer(self._n_samples, dtype=np.int64)[cand]
        inside_doc = hits / np.maximum(q_n, 1)  # query contained in the known text
        inside_query = hits / np.maximum(d_n, 1)  # known text contained in the query
        score = np.maximum(inside_doc, inside_query)
        best = int(np.argmax(score))
        which = "query inside" if inside_doc[best] >= inside_query[best] else "contains"
        detail = f"containment {score[best]:.2f} ({which}, {hits[best]} shared samples)"
        return _Match(int(cand[best]), float(min(1.0, score[best])), detail)

    def _best_story(self, sig: Signature) -> _Match | None:
        if not sig.terms or len(self) == 0:
            return None
        q_terms = sig.term_hashes
        n = max(len(self), IDF_MIN_DOCS)
        docs, which, df = self._term_index.lookup(q_terms, cap=TERM_CAP)
        q_w = idf(df, n) * kind_boost(q_terms)
        if len(docs) == 0:
            return None
        cand, inverse = np.unique(docs, return_inverse=True)
        # one pass gives both the shared weight and its part in plain words (per candidate)
        by_kind = np.bincount(inverse * 2 + word_mask(q_terms)[which], weights=q_w[which],
                              minlength=2 * len(cand)).reshape(-1, 2)
        shared, shared_words = by_kind.sum(axis=1), by_kind[:, 1]
        anchors = time_anchors(sig.terms, sig.published)
        gaps = self._gaps(cand, anchors)
        shared[gaps > self._window_s] = 0.0  # outside the window: another event, however similar
        order = [int(i) for i in np.argsort(-shared)[:8] if shared[i] > 0]
        if not order:
            return None
        # With no time anchor there is no window to bound a pool: a reference page would gather
        # the terms of every story it mentions.
        pooled = (self._story_shared(cand, shared, inverse, which, q_w, order)
                  if len(anchors) else shared)
        d_terms = [np.frombuffer(self._terms[int(cand[i])], dtype="<u4") for i in order]
        d_w = np.split(self._weights(np.concatenate(d_terms), n), np.cumsum(
            [len(t) for t in d_terms])[:-1])
        by_doc = dict(zip(order, d_terms, strict=True))
        cross = self._cross_shared(sig, q_w, shared_words, by_doc, gaps)
        own_days = day_hashes(sig.published)
        q_total = [float(q_w.sum())]
        q_portable = [float(q_w[portable_mask(q_terms)].sum())]
        best, best_score, best_threshold = 0, 0.0, 0.0
        for k, (i, terms, weights) in enumerate(zip(order, d_terms, d_w, strict=True)):
            score = story_similarity([pooled[i]], q_total, [float(weights.sum())])
            if i in cross:  # two languages: compare what both can write
                score = max(score, cross_language_similarity(
                    cross[i], q_portable, [float(weights[portable_mask(terms)].sum())]))
            threshold = self._threshold(float(gaps[i]), own_days, terms)
            if k == 0 or score - threshold > best_score - best_threshold:
                best, best_score, best_threshold = k, score, threshold
        held = set(d_terms[best].tolist())
        common = [t for t, h in zip(sig.terms, q_terms.tolist(), strict=True) if h in held]
        return _Match(int(cand[order[best]]), best_score, ", ".join(common[:6]), best_threshold)

    @staticmethod
    def _cross_shared(sig: Signature, q_w: np.ndarray, words: np.ndarray,
                      candidates: dict[int, np.ndarray], gaps: np.ndarray) -> dict[int, float]:
        """Per candidate sharing no word at all with the query (two languages), the weight of
        the portable terms (concepts, dates, figures) they share.

        Concepts alone say where and who, not what: Rukban camp and its refugees recur for years,
        and Palmyra and Homs are in the news every day. So the two must share a date or a figure
        that pins the event, or be close in time (a date gap) and share MIN_CROSS_TERMS terms.
        """
        q_terms = sig.term_hashes
        out: dict[int, float] = {}
        for i, terms in candidates.items():
            if words[i] > 0:
                continue
            common = np.isin(q_terms, terms) & portable_mask(q_terms)
            placed = not math.isnan(gaps[i]) and common.sum() >= MIN_CROSS_TERMS
            if placed or (common & fact_mask(sig.terms)).any():
                out[i] = float(q_w[common].sum())
        return {i: w for i, w in out.items() if w > 0}

    def _gaps(self, cand: np.ndarray, anchors: np.ndarray) -> np.ndarray:
        """Seconds between each candidate's date and the query's nearest anchor (NaN: unknown)."""
        stamps = np.frombuffer(self._published, dtype=np.float64)[cand]
        if len(anchors) == 0:
            return np.full(len(cand), np.nan)
        return np.min(np.abs(stamps[:, None] - anchors[None, :]), axis=1)

    def _story_shared(self, cand: np.ndarray, shared: np.ndarray, inverse: np.ndarray,
                      which: np.ndarray, q_w: np.ndarray, order: list[int]) -> np.ndarray:
        """Per candidate, the weight of query terms found anywhere in its story (in the window).

        A story is scored by everything its articles said so far (a centroid of sorts): a report
        worded unlike the first article may still echo the facts a follow-up added. Only the
        stories of the best candidates are pooled, so the cost stays that of a few array passes.
        """
        stories = np.frombuffer(self._story_no, dtype=np.int64)
        top = stories[cand[order]]
        if all(self._story_size[story] < 2 for story in top.tolist()):
            return shared  # single-article stories: nothing to pool (the common case)
        post_story = stories[cand[inverse]]
        keep = (shared[inverse] > 0) & np.isin(post_story, top)
        pairs = np.unique(post_story[keep] * len(q_w) + which[keep])
        story_of_pair, term_of_pair = np.divmod(pairs, len(q_w))
        pooled = shared.copy()
        for i, story in zip(order, top.tolist(), strict=True):
            pooled[i] = max(shared[i], float(q_w[term_of_pair[story_of_pair == story]].sum()))
        return pooled

    def _weights(self, terms: np.ndarray, n_docs: int) -> np.ndarray:
        return idf(self._term_index.counts(terms), n_docs) * kind_boost(terms)

    def _threshold(self, gap: float, own_days: frozenset[int], terms: np.ndarray) -> float:
        """The bar a story match must clear, by the time evidence there is."""
        if not math.isnan(gap):
            if gap <= CLOSE_WINDOW_S:
                return min(self._dated_story_threshold, CLOSE_STORY_THRESHOLD)
            return self._dated_story_threshold
        if own_days and not own_days.isdisjoint(terms.tolist()):
            # the undated article names the query's day: as close in time as a same-day report
            return min(self._dated_story_threshold, CLOSE_STORY_THRESHOLD)
        return self._story_threshold

