"""Same-story features: the words that tell one real-world event from another.

Two reports of one event rarely share sentences, but they share its names (people, places, units),
its dates ("April 14", "14/04"), its figures (27 fighters, Shahed 129) and its rarer words. Each
article keeps its top terms; `KnownArticles` weighs shared terms by how rare they are in the archive
(IDF), so "Syria" counts for little and "Khidr" or "Shahed" for a lot, and only articles inside a
time window can join a story. Dates are language-independent terms (month names in en/fr/it/es/ru/ar
map to one key; a full date with its year also gives date:YYYY-MM-DD, which places an undated page
in time). Names also give cross-script keys (`matchers.crossscript`: "Rukban", "Рукбан" and
"الركبان" are one key), kept beside the terms, so reports in Arabic or Russian can join an English
story; names spelled differently (Palmyra / Tadmur / تدمر) and event words (drone / مسيرة /
беспилотник) become gazetteer concepts (`matchers.gazetteer`, "ent:@palmyra"), also kept beside
the terms. Two texts in different languages share no word, so `cross_language_similarity` compares
them on what every language writes alike: concepts, dates and figures (`portable_mask`).
Here: how terms are hashed, kinded and weighed, and when an article happened; the terms
themselves come from `matchers.storyterms`. Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np

__all__ = [
    "CONCEPT_PREFIX",
    "CROSS_FACTOR",
    "MAX_ANCHORS",
    "MIN_CROSS_TERMS",
    "cross_language_similarity",
    "day_hashes",
    "day_term",
    "fact_mask",
    "idf",
    "kind_boost",
    "mentioned_days",
    "portable_mask",
    "concept_mask",
    "date_mask",
    "name_mask",
    "story_similarity",
    "term_hash",
    "time_anchors",
    "word_mask",
]

_BOOST = np.array([1.0, 1.5, 2.5, 1.5])  # word, name, date, number
MAX_ANCHORS = 4  # an undated text naming more full dates than this is not about one event
MIN_CROSS_TERMS = 3  # two places say where, not what: a dated cross-language match needs three
CROSS_FACTOR = 0.5  # a portable-term overlap counts half: a cross-language match needs twice it
CONCEPT_PREFIX = "ent:@"  # a name term, so it weighs like one
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
_CONCEPT_RANGE = 0xFF  # top byte of concept term hashes (1/256 of other terms share it: noise)

_FULL_DATE_RE = re.compile(r"date:\d{4}-\d{2}-\d{2}")
def _kind(term: str) -> int:
    if term.startswith("date:"):
        return 2
    if term.startswith("ent:"):
        return 1
    return 3 if term.isdigit() else 0


def term_hash(term: str) -> int:
    """Stable 32-bit hash of a term (persisted, so never Python's salted hash).

    The low two bits carry the term's kind (word, name, date, number) so that an index holding
    only hashes can still weigh a shared date above a shared word.
    """
    crc = zlib.crc32(term.encode("utf-8"))
    if term.startswith(CONCEPT_PREFIX):  # a range of their own, so an index can tell them
        return (_CONCEPT_RANGE << 24) | (crc & 0x00FFFFFC) | 1
    return (crc & ~3) | _kind(term)


def portable_mask(hashes: np.ndarray) -> np.ndarray:
    """Which term hashes every language writes alike: concepts, dates, numbers."""
    return ((hashes & 3) >= 2) | ((hashes >> 24) == _CONCEPT_RANGE)


def date_mask(hashes: np.ndarray) -> np.ndarray:
    """Which term hashes are dates."""
    return (hashes & 3) == 2


def concept_mask(hashes: np.ndarray) -> np.ndarray:
    """Which term hashes are gazetteer concepts."""
    return (hashes >> 24) == _CONCEPT_RANGE


def name_mask(hashes: np.ndarray) -> np.ndarray:
    """Which term hashes are names (multi-word names, cross-script keys), concepts excepted."""
    return ((hashes & 3) == 1) & ~concept_mask(hashes)


def word_mask(hashes: np.ndarray) -> np.ndarray:
    """Which term hashes are plain words: the terms only texts in one language share."""
    return (hashes & 3) == 0


def fact_mask(terms: Sequence[str]) -> np.ndarray:
    """Which terms pin down one event: dates and figures other than years ("28", "apr-14")."""
    return np.array([t.startswith("date:") or t.isdigit() and not _YEAR_RE.fullmatch(t)
                     for t in terms], dtype=bool)


def cross_language_similarity(shared: float, weights_a: Sequence[float],
                              weights_b: Sequence[float]) -> float:
    """Overlap of two texts in different languages, on their portable terms only.

    Words of one language can never meet the other's, so over all terms two reports of one event
    in Arabic and English look unrelated; over concepts, dates and figures they do not. Damped
    (CROSS_FACTOR): fewer terms make a noisier measure.
    """
    return CROSS_FACTOR * story_similarity([shared], weights_a, weights_b)


def kind_boost(hashes: np.ndarray) -> np.ndarray:
    """Weight multiplier per term hash: dates and names tell events apart better than words."""
    return _BOOST[hashes & 3]


def mentioned_days(terms: Iterable[str]) -> list[float]:
    """UTC midnight timestamps of the full dates (with year) among an article's story terms."""
    days = []
    for term in terms:
        if _FULL_DATE_RE.fullmatch(term):
            try:
                day = datetime.strptime(term[5:], "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:  # 31 February and the like
                continue
            days.append(day.timestamp())
    return days


def day_term(stamp: float) -> str:
    """The full-date term an article would carry for the day of this timestamp."""
    return "date:" + datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")


def idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """Inverse document frequency, smoothed so a term unseen in the archive weighs the most."""
    return np.log((n_docs + 1.0) / (df + 0.5))


def story_similarity(
    shared: Iterable[float], weights_a: Sequence[float], weights_b: Sequence[float]
) -> float:
    """IDF-weighted overlap of two term sets, normalised like a cosine of binary vectors."""
    total_a = sum(weights_a)
    total_b = sum(weights_b)
    if total_a <= 0 or total_b <= 0:
        return 0.0
    return min(1.0, sum(shared) / math.sqrt(total_a * total_b))


def time_anchors(terms: Sequence[str], published: datetime | None) -> np.ndarray:
    """When an article's event happened: its date, else the few full dates its text gives."""
    if published is not None:
        return np.array([published.timestamp()])
    days = sorted(set(mentioned_days(terms)))
    if len(days) > MAX_ANCHORS:  # a timeline or a reference page, not a report of one event
        return np.zeros(0)
    return np.array(days) + 43200.0  # midday: the date is known to the day only


def day_hashes(published: datetime | None) -> frozenset[int]:
    """Term hashes of the full dates around a publication day, as an article would write them."""
    if published is None:
        return frozenset()
    stamp = published.timestamp()
    return frozenset(term_hash(day_term(stamp + k * 86400.0)) for k in range(-2, 3))
