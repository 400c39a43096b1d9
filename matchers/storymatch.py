"""How well a new article fits a known story: the newcomer against the story as a whole.

A story is one event. Its members are the reports of it so far; the story is their centroid: each
term weighs its rarity (IDF and kind) times the share of members that carry it. A newcomer is
compared with that centroid (a cosine), never with its single most similar member, so a chain of
reports each a little like the last (single-link chaining) cannot grow one story out of many
events: a term only one member of five used counts a fifth. Words of the subject itself (al-Tanf,
the group, "base", "Syria") are no evidence, being in every relevant article (see
`matchers.stories`).

Time helps but never decides alone: the bar a match must clear is lowest for reports of the same
days, higher within the story window, higher still when nothing places the two in time, and a
story far older than the window is re-opened only by a report that shares a fact pinning the event
(a date or a figure) and clears the highest bar. Two texts in different languages share no words,
so they are compared on what every language writes alike (concepts, dates, figures), at a
discount. Pure: arrays in, a score out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from matchers.arrays import sorted_unique
from matchers.gazetteer import broad_concepts
from matchers.stories import (
    CONCEPT_PREFIX,
    CROSS_FACTOR,
    MIN_CROSS_TERMS,
    concept_mask,
    date_mask,
    idf,
    kind_boost,
    portable_mask,
    term_hash,
    word_mask,
)

__all__ = ["Bars", "Query", "Story", "StoryFit", "centroid", "fit_stories"]

MAX_MEMBERS = 24  # the story's latest reports the centroid is made of: bounded cost
OUTSIDE_MAX = 3  # a story's own term is held by at most this many relevant articles outside it
STRONG_OWN = 2  # own terms held by half the story or more that let closeness in time help


@dataclass(frozen=True)
class Bars:
    """Similarity a story match must reach, by the time evidence there is.

    Measured on the labelled corpus, historic and live (benchmarks/evaluate_dedup.py): lower
    `close` merges different events of the same days, a lower `dated` lets event vocabulary
    alone join reports of the same weeks.
    """

    close: float = 0.13  # same or next days, and strong own evidence
    dated: float = 0.30  # inside the window, or close in time on weak evidence
    undated: float = 0.25  # nothing places the two in time
    reopen: float = 0.30  # the story is older than the window: a later report of the same event
    close_s: float = 2.5 * 86400
    window_s: float = 14 * 86400


@dataclass(frozen=True)
class StoryFit:
    score: float
    threshold: float
    common: np.ndarray  # the query's term hashes the story holds
    evidence: np.ndarray  # the shared terms that are the story's own
    cross: bool  # compared on portable terms only (two languages)

    @property
    def margin(self) -> float:
        return self.score - self.threshold


def centroid(members: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct terms of a story's latest members (sorted) and how many members hold each."""
    members = members[-MAX_MEMBERS:]
    if len(members) == 1:
        terms = sorted_unique(members[0])
        return terms, np.ones(len(terms), dtype=np.int64)
    terms, counts = np.unique(np.concatenate(members), return_counts=True)
    return terms, counts


@dataclass(frozen=True)
class Story:
    """A story as every fit reads it: its centroid, and where each of its latest members'
    terms are in it. Made once per story and membership (a query changes only the weights)."""

    terms: np.ndarray  # the centroid's distinct terms, sorted
    held: np.ndarray  # how many of the latest members hold each
    members: int  # how many latest members (at most MAX_MEMBERS)
    at: np.ndarray  # several members: their terms one after another, as places in `terms`
    member_of: np.ndarray  # which member each place of `at` is of

    @classmethod
    def of(cls, members: list[np.ndarray]) -> Story:
        members = members[-MAX_MEMBERS:]
        terms, held = centroid(members)
        if len(members) == 1:  # its one member is the whole story: no places needed
            return cls(terms, held, 1, np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp))
        at = terms.searchsorted(np.concatenate(members))  # every member term is in it
        return cls(terms, held, len(members), at,
                   np.repeat(np.arange(len(members)), [len(m) for m in members]))


def _cosine(q_w: np.ndarray, q_in: np.ndarray, c_w: np.ndarray, share: np.ndarray,
            c_in: np.ndarray, c_keep: np.ndarray | None = None,
            q_keep: np.ndarray | None = None) -> float:
    """Cosine of the query (binary, rarity-weighted) and the centroid, over the kept terms
    (None: all of them; the same sums as an all-true mask, without the copies)."""
    q_total = float((q_w if q_keep is None else q_w[q_keep]).sum())
    if c_keep is not None:
        c_w, share, c_in = c_w[c_keep], share[c_keep], c_in[c_keep]
    c_norm = float((c_w * share ** 2).sum())
    if q_total <= 0 or c_norm <= 0:
        return 0.0
    dot = float((c_w[c_in] * share[c_in]).sum())
    return min(1.0, dot / math.sqrt(q_total * c_norm))


def _in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Which values are in a sorted array (np.isin costs ten times more on arrays this small)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(sorted_set.searchsorted(values), len(sorted_set) - 1)
    return sorted_set[at] == values


@dataclass(frozen=True)
class Query:
    """A newcomer's story terms as every story fit reads them (made once per check)."""

    terms: np.ndarray  # term hashes
    weights: np.ndarray
    facts: np.ndarray  # which terms are dates or figures
    sorted_terms: np.ndarray
    sorted_facts: np.ndarray
    words: np.ndarray  # which terms are plain words

    @classmethod
    def of(cls, terms: np.ndarray, weights: np.ndarray, facts: np.ndarray) -> Query:
        return cls(terms, weights, facts, np.sort(terms), np.sort(terms[facts]),
                   word_mask(terms))


def fit_stories(query: Query, stories: list[Story], c_df: np.ndarray, n_docs: int,
                gaps: list[float], names_days: list[bool], bars: Bars = Bars()
                ) -> list[StoryFit]:
    """Score a query (term hashes, their weights, which are facts) against each story.

    `c_df`: how many relevant articles hold each of the stories' terms, one story after
    another (`n_docs` in all); `gaps`: seconds between the query and each story's nearest dated
    report (NaN: unknown); `names_days`: an undated side names the other's day. All stories
    are scored in one pass, but each float is summed as it was for one story alone (`bincount`
    adds each story's values in order, whatever the other stories).
    """
    sizes = np.array([len(st.terms) for st in stories], dtype=np.intp)
    ends = sizes.cumsum()
    starts = ends - sizes
    bounds = list(zip(starts.tolist(), ends.tolist(), strict=True))
    c_terms = np.concatenate([st.terms for st in stories])
    held = np.concatenate([st.held for st in stories])
    c_w = idf(c_df, n_docs) * kind_boost(c_terms)
    share = held / np.array([st.members for st in stories]).repeat(sizes)
    c_in = _in_sorted(c_terms, query.sorted_terms)
    keys = (np.arange(len(stories), dtype=np.uint64).repeat(sizes) << np.uint64(32)
            ) | c_terms.astype(np.uint64)  # story, then term: sorted
    q_in = _in_sorted(((np.arange(len(stories), dtype=np.uint64)[:, None] << np.uint64(32))
                       | query.terms.astype(np.uint64)[None, :]).ravel(), keys
                      ).reshape(len(stories), len(query.terms))
    # The whole story and its closest report must both fit: a centroid alone drifts towards
    # the vocabulary its events share, a closest member alone is single-link chaining.
    q_total = float(query.weights.sum())
    story_of = np.arange(len(stories)).repeat(sizes)
    c_norm = np.bincount(story_of, weights=c_w * share ** 2, minlength=len(stories)).tolist()
    dot = np.bincount(story_of, weights=np.where(c_in, c_w * share, 0.0),
                      minlength=len(stories)).tolist()
    whole = [0.0 if q_total <= 0 or c <= 0 else min(1.0, d / math.sqrt(q_total * c))
             for c, d in zip(c_norm, dot, strict=True)]
    best = _best_members(q_total, stories, starts.tolist(), c_w, c_in, whole)
    own = c_in & (c_df - held <= OUTSIDE_MAX) & ~_generic(c_terms)
    n_own = _counts(own, starts, ends)
    # strong evidence: several own terms most of the story holds, or an own date or figure;
    # not one stray word ("moreover") that a report of another event shares
    n_own_half = _counts(own & (share >= 0.5), starts, ends)
    n_own_fact = _counts(own & _in_sorted(c_terms, query.sorted_facts), starts, ends)
    no_word = ~(q_in & query.words).any(axis=1)
    has_fact = (q_in & query.facts).any(axis=1)
    fits = []
    for i, (a, b) in enumerate(bounds):
        score, cross, gap = math.sqrt(whole[i] * best[i]), False, gaps[i]
        if no_word[i]:  # no word in common: two languages
            cross_score = _cross_score(query.terms, query.weights, query.facts, q_in[i],
                                       c_terms[a:b], c_w[a:b], share[a:b], c_in[a:b])
            if cross_score > score:
                score, cross = cross_score, True
        # The story's own terms: held by its reports and by (nearly) no other relevant article.
        if not cross and not n_own[i]:
            threshold = math.inf  # nothing of this story's own: only what many events share
        else:
            threshold = _threshold(gap, names_days[i], bars)
            if n_own_half[i] < STRONG_OWN and not n_own_fact[i]:  # time helps strong evidence
                threshold = max(threshold, bars.dated)
            if not math.isnan(gap) and gap > bars.window_s and not has_fact[i]:
                threshold = math.inf  # an old story: only a shared date or figure re-opens it
        fits.append(StoryFit(score, threshold, query.terms[q_in[i]], c_terms[a:b][own[a:b]],
                             cross))
    return fits


def _counts(mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[int]:
    """How many values are true in each slice."""
    at = _prefix(mask)
    return (at[ends] - at[starts]).tolist()


def _prefix(mask: np.ndarray) -> np.ndarray:
    """How many of the first i values are true, for i = 0..len (counts over any slice)."""
    at = np.zeros(len(mask) + 1, dtype=np.int64)
    mask.cumsum(out=at[1:])
    return at


def _best_members(q_total: float, stories: list[Story], starts: list[int], c_w: np.ndarray,
                  c_in: np.ndarray, whole: list[float]) -> list[float]:
    """Per story, the cosine of the query with its most similar member (one member: the
    story's own cosine). Every member of every story is summed in one pass (`bincount` adds
    in order: the same sum as adding the member's weights one by one)."""
    several = [i for i, st in enumerate(stories) if st.members > 1]
    best = list(whole)
    if not several:
        return best
    if q_total <= 0:  # no member can fit
        return [0.0 if stories[i].members > 1 else v for i, v in enumerate(best)]
    at = np.concatenate([stories[i].at + starts[i] for i in several])
    sizes = [stories[i].members for i in several]
    firsts = np.cumsum([0, *sizes[:-1]])
    member = np.concatenate([stories[i].member_of + f for i, f in zip(several, firsts.tolist(),
                                                                        strict=True)])
    weights = c_w[at]
    totals = np.bincount(member, weights=weights, minlength=sum(sizes))
    common = np.bincount(member, weights=np.where(c_in[at], weights, 0.0), minlength=len(totals))
    value = np.zeros(len(totals))
    np.divide(common, np.sqrt(q_total * totals), out=value, where=totals > 0)
    for i, v in zip(several, np.maximum.reduceat(value, firsts).tolist(), strict=True):
        best[i] = min(1.0, v)
    return best


@cache
def _broad_hashes() -> np.ndarray:
    return np.array(sorted(term_hash(CONCEPT_PREFIX + c) for c in broad_concepts()),
                    dtype=np.uint32)


def _generic(terms: np.ndarray) -> np.ndarray:
    """Terms that never make a story's own: event words, countries, the standing parties."""
    return _in_sorted(terms, _broad_hashes())


def _cross_score(q_terms: np.ndarray, q_w: np.ndarray, q_facts: np.ndarray, q_in: np.ndarray,
                 c_terms: np.ndarray, c_w: np.ndarray, share: np.ndarray, c_in: np.ndarray
                 ) -> float:
    """Similarity on portable terms (concepts, dates, figures), for texts in two languages.

    Places, actors and event words recur across events and closeness in time never decides
    alone: a shared date, two figures, or a figure and a place finer than the region's must pin
    the event, beside MIN_CROSS_TERMS shared terms in all.
    """
    q_port, c_port = portable_mask(q_terms), portable_mask(c_terms)
    common = q_in & q_port
    shared_facts = common & q_facts
    specific_place = common & concept_mask(q_terms) & ~_generic(q_terms)
    pinned = ((shared_facts & date_mask(q_terms)).any() or shared_facts.sum() >= 2
              or bool(shared_facts.any() and specific_place.any()))
    if not pinned or common.sum() < MIN_CROSS_TERMS:
        return 0.0
    return CROSS_FACTOR * _cosine(q_w, q_in, c_w, share, c_in, c_port, q_port)


def _threshold(gap: float, names_day: bool, bars: Bars) -> float:
    if math.isnan(gap):
        return bars.close if names_day else bars.undated
    if gap <= bars.close_s:
        return bars.close
    if gap <= bars.window_s:
        return bars.dated
    return bars.reopen
