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

__all__ = ["Bars", "Query", "StoryFit", "centroid", "fit_story"]

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
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


def _best_member(q_w: np.ndarray, members: list[np.ndarray], c_terms: np.ndarray,
                 c_w: np.ndarray, c_in: np.ndarray) -> float:
    """The cosine of the query with its most similar member."""
    q_total = float(q_w.sum())
    best = 0.0
    at = np.searchsorted(c_terms, np.concatenate(members))  # every member's terms at once
    weights, shared = c_w[at], c_in[at]
    start = 0
    for terms in members:  # each member's own slice, summed alone: the same floats as apart
        end = start + len(terms)
        w = weights[start:end]
        total = float(w.sum())
        if q_total > 0 and total > 0:
            best = max(best, float(w[shared[start:end]].sum()) / math.sqrt(q_total * total))
        start = end
    return min(1.0, best)


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


def fit_story(query: Query, members: list[np.ndarray], story: tuple[np.ndarray, np.ndarray],
              c_df: np.ndarray, n_docs: int, gap: float, *, names_day: bool,
              bars: Bars = Bars()) -> StoryFit:
    """Score a query (term hashes, their weights, which are facts) against a story.

    `story`: its `centroid(members)`; `c_df`: how many relevant articles hold each of its terms
    (`n_docs` in all); `gap`: seconds between the query and the story's nearest dated report
    (NaN: unknown); `names_day`: an undated side names the other's day.
    """
    q_terms, q_w, q_facts = query.terms, query.weights, query.facts
    members = members[-MAX_MEMBERS:]
    c_terms, held = story
    c_w = idf(c_df, n_docs) * kind_boost(c_terms)
    share = held / len(members)
    q_in = _in_sorted(q_terms, c_terms)
    c_in = _in_sorted(c_terms, query.sorted_terms)
    # The whole story and its closest report must both fit: a centroid alone drifts towards
    # the vocabulary its events share, a closest member alone is single-link chaining.
    whole = _cosine(q_w, q_in, c_w, share, c_in)
    best = whole if len(members) == 1 else _best_member(q_w, members, c_terms, c_w, c_in)
    score = math.sqrt(whole * best)
    cross = False
    if not (q_in & query.words).any():  # no word in common: two languages
        cross_score = _cross_score(q_terms, q_w, q_facts, q_in, c_terms, c_w, share, c_in)
        if cross_score > score:
            score, cross = cross_score, True
    # The story's own terms: held by its reports and by (nearly) no other relevant article.
    own = c_in & (c_df - held <= OUTSIDE_MAX) & ~_generic(c_terms)
    if not cross and not own.any():
        threshold = math.inf  # nothing of this story's own: only what many events share
    else:
        threshold = _threshold(gap, names_day, bars)
        if not _strong(own, share, c_terms, query.sorted_facts):
            threshold = max(threshold, bars.dated)  # closeness in time helps strong evidence
        if not math.isnan(gap) and gap > bars.window_s and not (q_in & q_facts).any():
            threshold = math.inf  # an old story: only a shared date or figure re-opens it
    return StoryFit(score, threshold, q_terms[q_in], c_terms[own], cross)


def _strong(own: np.ndarray, share: np.ndarray, c_terms: np.ndarray, facts: np.ndarray) -> bool:
    """Several own terms most of the story holds, or an own date or figure (`facts`: the
    query's, sorted): not one stray word ("moreover") that a report of another event shares."""
    if int((own & (share >= 0.5)).sum()) >= STRONG_OWN:
        return True
    return bool((own & _in_sorted(c_terms, facts)).any())


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
