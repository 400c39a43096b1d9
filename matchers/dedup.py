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
from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np

from matchers.postings import Postings
from matchers.signature import Signature, level, sample, sample_sizes, signature
from matchers.stories import day_hashes, fact_mask, idf, kind_boost, time_anchors
from matchers.storymatch import MAX_MEMBERS, Bars, Query, Story, StoryFit, fit_stories
from matchers.urls import canonical_url

__all__ = ["DedupResult", "KnownArticles", "Signature", "signature"]

log = logging.getLogger(__name__)

COPY_THRESHOLD = 0.5  # share of the smaller text's shingles found in the other
MIN_COPY_HITS = 4  # fewer shared samples than this is chance, not a copy
# Rarity is measured among the relevant articles, the population stories are drawn from: "drone"
# and "troops" are common there, whatever the rest of the news says. A young archive says little
# about which terms are rare: assume at least this many.
IDF_MIN_DOCS = 50
SHINGLE_CAP = 150  # a shingle in more distinct articles than this is boilerplate, not evidence
TERM_CAP = 1000  # likewise for story terms (they would weigh little anyway: low IDF)
MAX_STORIES = 6  # candidate stories scored as a whole per query
_STORY_CACHE = 256  # stories whose centroid is kept (a few tens of KB each at most)
_TOP_FIRST = 64  # best-sharing candidates ranked first (more only if they hold < MAX_STORIES)
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


@dataclass
class _Scored:
    """A story as last scored: its centroid (until it gains a member) and the document
    frequencies of its terms in the term index's settled levels (until they change)."""

    members: int
    story: Story
    generation: int = -1  # the term index's, when `settled` was counted
    settled: np.ndarray | None = None


class KnownArticles:
    """The archive's articles as an in-memory index; rebuild it by add()-ing stored signatures."""

    def __init__(self, *, story_window: timedelta = timedelta(days=14),
                 copy_threshold: float = COPY_THRESHOLD, bars: Bars | None = None) -> None:
        bars = bars or Bars()
        self._bars = replace(bars, window_s=story_window.total_seconds())
        self._copy_threshold = copy_threshold
        self._ids: list[str] = []
        self._root = array("I")  # per doc: the original it copies (itself if none)
        self._story_names: list[str] = []  # per story number
        self._story_no = array("I")  # per doc, a small int per story (for per-story sums)
        self._story_nos: dict[str, int] = {}
        # per story: its first relevant original (-1: none); the later ones only for the few
        # stories that have any (a list per story costs ~90 bytes, most stories have one report)
        self._first_member = array("i")
        self._more_members: dict[int, list[int]] = {}
        self._level = bytearray()  # per doc, numpy views of these arrays are taken per query
        self._n_samples = array("I")
        self._published = array("d")
        self._terms = array("I")  # every doc's story term hashes, one after another
        self._terms_end = array("I")  # per doc: where its terms end in `_terms`
        self._by_url: dict[str, int] = {}
        self._by_id: dict[str, int] = {}
        self._shingle_index = Postings(filtered=True)  # a new text shares almost no shingle
        self._term_index = Postings(grouped=True)  # story terms of the relevant originals
        self._n_relevant = 0
        self._stories: dict[int, _Scored] = {}  # the last stories scored, by story_no

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, article_id: str, sig: Signature, *, story: str, url: str | None = None,
            duplicate_of: str | None = None, url_is_canonical: bool = False,
            relevant: bool = True) -> None:
        """Remember an article; copies resolve to their original and stay out of story terms.

        `url_is_canonical`: the URL is already `canonical_url` (as the archive stores it).
        `relevant`: only relevant articles can be the story a later article joins (an alert
        refers to its story); the others still count for copies and for term frequencies.
        """
        doc = len(self._ids)
        root = self._by_id.get(duplicate_of, doc) if duplicate_of else doc
        self._ids.append(article_id)
        self._by_id.setdefault(article_id, doc)
        self._root.append(self._root[root] if root != doc else doc)
        story_no = self._story_nos.get(story)
        if story_no is None:  # a story is named after its first article: share that string
            first = self._by_id.get(story)
            story = self._ids[first] if first is not None else story
            story_no = self._story_nos[story] = len(self._story_nos)
            self._story_names.append(story)
            self._first_member.append(-1)
        self._story_no.append(story_no)
        if duplicate_of is None and relevant:
            if self._first_member[story_no] < 0:
                self._first_member[story_no] = doc
            else:
                self._more_members.setdefault(story_no, []).append(doc)
        k = level(len(sig.shingles) // 4)
        kept = sample(sig.hashes, k)
        self._level.append(k)
        self._n_samples.append(len(kept))
        self._published.append(sig.published.timestamp() if sig.published else math.nan)
        terms = sig.term_hashes
        if duplicate_of is None:
            self._terms.frombytes(terms.astype("<u4").tobytes())
        self._terms_end.append(len(self._terms))
        if duplicate_of is None:  # a copy's text is its original's: indexing it adds only noise
            self._shingle_index.add(kept, doc)
            if relevant:  # stories are made of relevant articles, and weighed among them
                self._term_index.add(terms, doc)
                self._n_relevant += 1
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

    def check(self, sig: Signature, *, url: str | None = None, stories: bool = True,
              url_is_canonical: bool = False) -> DedupResult:
        """Is this a known URL, a copy of a known text, or a new report on a known story?

        `stories=False` (an irrelevant article): look for copies only; it opens no story.
        `url_is_canonical`: the URL is already `canonical_url` (the judge made it so).
        """
        if url and not url_is_canonical:
            url = canonical_url(url)
        if url and (doc := self._by_url.get(url)) is not None:
            root = self._root[doc]
            return DedupResult(self._ids[root], self._story_of(root), 1.0, 1.0,
                               f"same URL as {self._ids[doc]}")
        copy = self._best_copy(sig)
        if copy is not None and copy.score >= self._copy_threshold:
            root = self._root[copy.doc]
            return DedupResult(self._ids[root], self._story_of(root), copy.score, 1.0,
                               f"{copy.detail} of {self._ids[copy.doc]}")
        copy_score = copy.score if copy else 0.0
        story = self._best_story(sig) if stories else None
        if story is not None and story.score >= story.threshold:
            return DedupResult(None, self._story_of(story.doc), copy_score, story.score,
                               f"same story as {self._ids[story.doc]}: {story.detail}")
        return DedupResult(None, None, copy_score, story.score if story else 0.0, "new story")

    def _best_copy(self, sig: Signature) -> _Match | None:
        hashes = sig.hashes
        if len(hashes) == 0 or len(self) == 0:
            return None
        docs, _, df = self._shingle_index.lookup(hashes, cap=SHINGLE_CAP)
        if len(docs) == 0:
            return None
        need = min(MIN_COPY_HITS, len(hashes))
        if len(docs) * 16 >= len(self):  # a count per doc beats sorting the postings
            per_doc = np.bincount(docs, minlength=len(self))
            cand = (per_doc >= need).nonzero()[0]
            hits = per_doc[cand]
        else:
            cand, hits = np.unique(docs, return_counts=True)
            keep = hits >= need
            cand, hits = cand[keep], hits[keep]
        if len(cand) == 0:
            return None
        # The query's own sample size at each level (minus skipped boilerplate): like with like.
        usable = df <= SHINGLE_CAP
        per_level = sample_sizes(hashes[usable])
        levels = np.frombuffer(self._level, dtype=np.uint8)[cand]
        q_n = np.array(per_level)[levels]
        d_n = np.frombuffer(self._n_samples, dtype=np.uint32)[cand]
        inside_doc = hits / np.maximum(q_n, 1)  # query contained in the known text
        inside_query = hits / np.maximum(d_n, 1)  # known text contained in the query
        score = np.maximum(inside_doc, inside_query)
        best = int(score.argmax())
        which = "query inside" if inside_doc[best] >= inside_query[best] else "contains"
        detail = f"containment {score[best]:.2f} ({which}, {hits[best]} shared samples)"
        return _Match(int(cand[best]), float(min(1.0, score[best])), detail)

    def _best_story(self, sig: Signature) -> _Match | None:
        """The story whose reports as a whole fit the query best (`matchers.storymatch`)."""
        if not sig.terms or len(self) == 0:
            return None
        q_terms = sig.term_hashes
        n = max(self._n_relevant, IDF_MIN_DOCS)
        docs, which, df = self._term_index.lookup(q_terms, cap=TERM_CAP)
        q_w = idf(df, n) * kind_boost(q_terms)
        if len(docs) == 0:
            return None
        ranked = self._ranked_stories(docs, q_w[which])
        anchors = time_anchors(sig.terms, sig.published)
        own_days = day_hashes(sig.published)
        query = Query.of(q_terms, q_w, fact_mask(sig.terms))
        members = [self._members(story_no) for story_no in ranked]
        scored = [self._scored(story_no, docs) for story_no, docs in zip(ranked, members,
                                                                          strict=True)]
        stories = [entry.story for entry in scored]
        c_df = self._story_df(scored)  # one fit for all the candidates
        gaps = self._story_gaps(members, anchors)
        names_days = [bool(own_days) and any(not own_days.isdisjoint(self._doc_terms(d).tolist())
                                             for d in docs) for docs in members]
        fits = fit_stories(query, stories, c_df, n, gaps, names_days, self._bars)
        best: tuple[int, StoryFit] | None = None
        for docs, fit in zip(members, fits, strict=True):
            if best is None or fit.margin > best[1].margin:
                best = (docs[0], fit)
        if best is None:
            return None
        doc, fit = best
        held = set(fit.common.tolist())
        common = [t for t, h in zip(sig.terms, q_terms.tolist(), strict=True) if h in held]
        own = set(fit.evidence.tolist())
        mine = [t for t, h in zip(sig.terms, q_terms.tolist(), strict=True) if h in own]
        detail = ("portable terms: " if fit.cross else "") + ", ".join(common[:6])
        if mine:
            detail += "; its own: " + ", ".join(mine[:4])
        return _Match(doc, fit.score, detail, fit.threshold)

    def _doc_terms(self, doc: int) -> np.ndarray:
        ends = self._terms_end  # Python ints: a numpy scalar per slice bound costs more
        return np.frombuffer(self._terms, dtype=np.uint32)[(ends[doc - 1] if doc else 0):ends[doc]]

    def _scored(self, story_no: int, members: list[int]) -> _Scored:
        """A story's centroid and its members' places in it, kept until it gains a member
        (for the last `_STORY_CACHE` stories scored: the same few recur query after query)."""
        cached = self._stories.pop(story_no, None)
        if cached is None or cached.members != len(members):
            cached = _Scored(len(members), Story.of([self._doc_terms(d)
                                                     for d in members[-MAX_MEMBERS:]]))
        if len(self._stories) >= _STORY_CACHE:
            del self._stories[next(iter(self._stories))]  # the least recently scored
        self._stories[story_no] = cached
        return cached

    def _story_df(self, scored: list[_Scored]) -> np.ndarray:
        """How many relevant originals hold each candidate story's terms, one story after
        another. The settled levels' counts are kept with each story until the index merges
        its buffer (every few hundred articles); only the buffer is searched every time."""
        index = self._term_index
        stale = [entry for entry in scored if entry.generation != index.generation]
        if stale:
            counts = index.settled_counts(np.concatenate([e.story.terms for e in stale]))
            cuts = np.cumsum([len(e.story.terms) for e in stale[:-1]], dtype=np.intp)
            for entry, part in zip(stale, np.split(counts, cuts), strict=True):
                entry.generation, entry.settled = index.generation, part
        terms = np.concatenate([entry.story.terms for entry in scored])
        settled = np.concatenate([entry.settled for entry in scored])
        return settled + index.recent_counts(terms)

    def _story_of(self, doc: int) -> str:
        return self._story_names[self._story_no[doc]]

    def _members(self, story_no: int) -> list[int]:
        """A story's relevant originals, oldest first."""
        first = self._first_member[story_no]
        return ([first] if first >= 0 else []) + self._more_members.get(story_no, [])

    def _ranked_stories(self, docs: np.ndarray, weights: np.ndarray) -> list[int]:
        """The stories of the best-sharing candidates, best first (ties: older doc first).

        A query of common terms reaches tens of thousands of docs: summing per doc with
        `bincount` over doc numbers and sorting only the top few (with their ties) instead of
        `unique` + a full sort keeps that tail near the median. Same order as the full sort.
        """
        if len(docs) * 16 < len(self):  # few candidates: sorting them is cheaper
            cand, inverse = np.unique(docs, return_inverse=True)
            shared = np.bincount(inverse, weights=weights, minlength=len(cand))
        else:  # per-bin sums in input order either way: the same floats
            shared = np.bincount(docs, weights=weights, minlength=len(self))
            present = np.zeros(len(self), dtype=bool)
            present[docs] = True
            cand = present.nonzero()[0]
            shared = shared[cand]
        stories = np.frombuffer(self._story_no, dtype=np.uint32)[cand]
        top = _TOP_FIRST
        while True:
            if len(shared) > top:  # every candidate at least as good as the top-th best
                bar = np.partition(shared, len(shared) - top)[len(shared) - top]
                pick = (shared >= bar).nonzero()[0]
            else:
                pick = np.arange(len(shared))
            ranked: list[int] = []
            for i in pick[(-shared[pick]).argsort(kind="stable")].tolist():
                if int(stories[i]) not in ranked:
                    ranked.append(int(stories[i]))
                if len(ranked) == MAX_STORIES:
                    return ranked
            if len(pick) == len(shared):
                return ranked
            top *= 8  # fewer than MAX_STORIES stories among the top: look further

    def _story_gaps(self, members: list[list[int]], anchors: np.ndarray) -> list[float]:
        """Per story, seconds between its nearest dated member and the query's nearest anchor
        (NaN: unknown)."""
        if len(anchors) == 0:
            return [math.nan] * len(members)
        docs = np.fromiter((d for m in members for d in m), dtype=np.intp)
        stamps = np.frombuffer(self._published, dtype=np.float64)[docs]
        gap = np.min(np.abs(stamps[:, None] - anchors[None, :]), axis=1)
        starts = np.cumsum([0] + [len(m) for m in members[:-1]])
        nearest = np.fmin.reduceat(gap, starts)  # fmin: a NaN (undated member) is passed over
        return [math.nan if math.isinf(g) else g for g in nearest.tolist()]
