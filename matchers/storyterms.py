"""Story terms: the words of an article that tell its event from others.

`story_terms` ranks an article's dates ("April 14", "14 апреля": one term, date:apr-14, in every
language; with its year also date:2020-04-14), figures (27 fighters, not "24 hours"), multi-word
names and rarer words by frequency, with a bonus for the headline and the lede, and adds
cross-script name keys (`matchers.crossscript`) and gazetteer concepts (`matchers.gazetteer`)
so reports in other languages can meet. `matchers.stories` says how terms are hashed and
weighed. Pure: text in, terms out.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping

from matchers.commonwords import common_words
from matchers.crossscript import is_latin, name_key
from matchers.gazetteer import ConceptHits, concepts, concepts_of_words, fold, folds_by_word
from matchers.stories import CONCEPT_PREFIX
from matchers.storydates import date_matches, date_terms
from matchers.textwords import ascii_text, split_ascii, whole_word_starts, words

__all__ = ["MAX_CONCEPTS", "MAX_KEYS", "MAX_TERMS", "story_terms"]

MAX_TERMS = 64
MAX_KEYS = 12  # cross-script name keys kept beside the terms (concepts took over the commonest)
MAX_CONCEPTS = 12  # gazetteer concepts kept beside the terms and keys

_LEDE_WORDS = 60  # words of the lede that get the title's bonus

# Function words of the languages the corpus carries; they say nothing about an event.
_STOP = frozenset(
    """
    a an the and or but if of to in on at by for with from as is are was were be been being this
    that these those it its he she they them his her their we our you your not no than then
    there here which who whom whose what when where why how all any some more most other such
    only own same so too very can will just should now also into over under after before about
    against between through during out up down off again further once said says say told
    according would could may might has have had do does did new one two three first last mr ms
    while since per via news read more share photo video updated published comments comment
    reply
    le la les des du un une et en est dans pour sur par qui que il el los las del con por para como
    и в во на с со по из за от до к о об что это как а но для его её их он она они
    في من على إلى الى عن أن ان التي الذي مع هذا هذه كان قد بعد ما لا
    """.split()
)
# a name never spans lines: a headline and the next paragraph are not one name
# Two words at least (one capitalised word is no multi-word name, and most are single). It
# starts with the capital it consumes, so the engine skips to capitals (the lookbehind then looks
# before it): the same matches as a leading word boundary, twice as fast. The runs are
# possessive: what follows each (a space or tab; a capital) is never one of its characters, so
# giving characters back never helped, and not trying saves a fifth of the scan.
_ENTITY_RE = re.compile(
    r"[A-Z](?<!\w[A-Z])[\w'’-]++(?:[ \t]++(?:al-|el-|ad-|as-)?[A-Z][\w'’-]++)+")
_WORD_RE = re.compile(r"\w+")
_DIGITS_RE = re.compile(r"[0-9]+")
# What the text's punctuation (`textwords.PUNCTUATION`) becomes in the folded text of a text that
# is ASCII but for it: like it, no word character, no white space, nor in any pattern run on
# the folded text (dates, spans, words), so every match is the same; ASCII, so it folds fast
_STAND_IN = "\x01"
# A number followed by a unit of time ("24 hours", "48-hour", "7 days") is a span, not a figure
_SPAN_RE = re.compile(
    r"[\s-]*(?:hours?|days?|weeks?|months?|years?|minutes?|heures?|jours?|ore|giorni|horas?"
    r"|d[ií]as|час\w*|суто?к\w*|дн\w*|недел\w*|лет|год\w*|ساع\w*|يوم\w*|أيام|ايام|اسبوع\w*)\b")


# The monitored subject's own vocabulary: nearly every relevant article shares it, so it says
# nothing about which event an article reports (IDF learns this only once the archive is large).
_SUBJECT = frozenset(
    """
    tanf tanaf al-tanf at-tanf attanf altanf التنف تنف танф эт-танф ат-танф аль-танф
    maghawir maghaweir mughawir thawra thowra al-thawra al-thowra saura مغاوير الثورة магавир
    garrison base syria syrian syria's سوريا السورية сирия сирии syrie siria
    coalition deconfliction de-confliction zone 55-km 55km 55
    """.split()
) | frozenset(
    # Who reported, not what happened: news agencies and outlets that carry many events' reports
    """
    reuters afp associated press sputnik sana tass ria novosti interfax xinhua anadolu
    jazeera aljazeera arabiya alarabiya shafaq rudaw kurdistan24 almayadeen mayadeen alalam
    enab baladi observatory sohr bbc cnn fox cbs nbc abc pentagon.gov centcom.mil ani irna
    mehr fars tasnim presstv almasdar masdar
    سانا سبوتنيك رويترز الجزيرة العربية الميادين العالم شفق تاس ريا рейтер спутник тасс риа
    интерфакс новости
    """.split()
)


_KEY_PREFIX = "ent:~"
# Folding one word is pure and words recur across articles: remembered, within a bound.
_fold_word = functools.lru_cache(maxsize=65_536)(fold)
_KEY_WEIGHT = 1.0
_SUBJECT_KEYS = frozenset(k for w in _SUBJECT for part in w.split("-") if (k := name_key(part)))


def _subject_only(name: str) -> bool:
    return all(part in _SUBJECT or part in _STOP for part in name.replace("-", " ").split())


@functools.lru_cache(maxsize=65_536)
def _entity_term(found: str) -> str | None:
    """The term of a name `_ENTITY_RE` found, or None for one that is no event's (pure, so
    remembered, within a bound: names recur across articles)."""
    name = found.casefold()
    if " " in name and name.split()[0] not in _STOP and not _subject_only(name):
        return f"ent:{name}"
    return None


@functools.lru_cache(maxsize=65_536)
def _name_term(word: str) -> tuple[str, str] | None:
    """A word's folded form and its name-key term, or None when it is no name (pure, so
    remembered: names recur across articles; the gazetteer's `covered` is checked per text)."""
    folded = word.casefold()
    if (len(word) <= 3 or folded in _STOP or folded in _SUBJECT or word.isdigit()
            or folded in common_words()):
        return None
    if word[0].islower() or (word == folded and is_latin(word)):
        return None  # a lower-case word in a script with case is not a name
    key = name_key(word)
    if key is None or key in _SUBJECT_KEYS:
        return None
    return _fold_word(folded), _KEY_PREFIX + key


# per distinct word: its count, its count in the lede, its first index
_Stats = tuple[Counter[str], Counter[str], dict[str, int]]


def _stats(tokens: list[str], lede: int) -> _Stats:
    return Counter(tokens), Counter(tokens[:lede]), _first_positions(tokens)


# The only character that is no word character (`\w`) but case-folds into one (U+0345, Greek
# ypogegrammeni -> iota; tests/test_judge_fastpaths.py checks it against the whole Unicode table)
_FOLDS_INTO_WORD = "\u0345"


@functools.lru_cache(maxsize=65_536)
def _casefold_word(word: str) -> str | None:
    """A word case-folded, or None when folding makes it more than one word ("İ" -> "i̇")."""
    folded = word.casefold()
    return folded if folded == word or _WORD_RE.fullmatch(folded) else None


def _folded_stats(raw: str, tokens: list[str], stats: _Stats, lede: int) -> _Stats | None:
    """The word statistics of `raw.casefold()` from those of `raw` (its words `tokens`), or None
    when they differ in more than case. Case folding maps each character alone, and non-word
    characters stay non-word, so when every word folds to one word the folded text's words are
    the raw words folded, one for one, at the same indexes."""
    if _FOLDS_INTO_WORD in raw:
        return None
    derived = _derived_stats(stats, _casefold_word)
    if derived is None:
        return None
    counts, at, fold_of = derived
    return counts, Counter(map(fold_of.__getitem__, tokens[:lede])), at


def _derived_stats(stats: _Stats, fold_word: Callable[[str], str | None]
                   ) -> tuple[Counter[str], dict[str, int], dict[str, str]] | None:
    """The counts and first indexes of the words mapped one for one by `fold_word` (None if
    it maps one to None), and the map, from the raw words' statistics, with per-word maps in C."""
    counts, _, at = stats
    folds = list(map(fold_word, counts))
    if None in folds:
        return None
    # A Counter's words come in the order they first occur: written from the last to the first,
    # each folded word keeps the first index of its forms
    f_at = dict(zip(reversed(folds), map(at.__getitem__, reversed(counts)), strict=True))
    added = dict(zip(folds, counts.values(), strict=True))
    if len(added) < len(folds):  # words that fold alike ("The", "the"): their counts added up
        added = {}
        for folded, n in zip(folds, counts.values(), strict=True):
            added[folded] = added.get(folded, 0) + n
    return Counter(added), f_at, dict(zip(counts, folds, strict=True))  # type: ignore[arg-type]


@functools.lru_cache(maxsize=65_536)
def _fold_one_word(word: str) -> str | None:
    """A word folded for the gazetteer (`fold`), or None when that is not one word."""
    folded = fold(word)
    return folded if _WORD_RE.fullmatch(folded) else None


def _concepts(raw: str, tokens: list[str], stats: _Stats) -> ConceptHits:
    """`concepts(raw)`; from the raw words folded one by one when the text allows it
    (`folds_by_word`), rather than folding and splitting the text again."""
    derived = _derived_stats(stats, _fold_one_word) if folds_by_word(raw) else None
    if derived is None:
        return concepts(raw)
    counts, at, fold_of = derived
    return concepts_of_words(list(map(fold_of.__getitem__, tokens)), counts, at)


def _add_name_keys(stats: _Stats, score: Counter[str], first: dict[str, int],
                   covered: frozenset[str]) -> None:
    """Cross-script keys of the names (capitalised words; every word of a script without case)
    so an Arabic or Russian report meets an English one on "Rukban" or "Khidr". Words the
    gazetteer already made a concept of (`covered`) give no key: one fact, one term."""
    # Decided once per distinct word, not per occurrence (names recur); the weights are whole
    # numbers, so summing counts gives the very floats adding 1.0 / 2.0 per occurrence gave.
    counts, in_lede, at = stats
    named = list(map(_name_term, counts))  # in C; then only the names are walked
    for word, (folded, term) in itertools.compress(zip(counts, named, strict=True), named):
        if folded in covered:
            continue
        score[term] = score.get(term, 0) + _KEY_WEIGHT * (counts[word] + in_lede.get(word, 0))
        pos = at[word]
        if first.get(term, pos) >= pos:
            first[term] = pos


def _first_positions(tokens: list[str]) -> dict[str, int]:
    """Each token's first index (built in C: later writes of reversed order win)."""
    return dict(zip(reversed(tokens), range(len(tokens) - 1, -1, -1), strict=True))


def _add_words(folded: str, lede: int, stats: _Stats, in_dates: list[tuple[int, int]],
               covered: frozenset[str], score: Counter[str], first: dict[str, int]) -> None:
    """Plain words and figures, scored by frequency plus the lede's bonus. Decided once per
    distinct word (the weights are whole numbers, so counts give the same floats as adding per
    occurrence); only digit words are looked at per occurrence (dates and spans are not figures)."""
    counts, in_lede, at = stats
    figures = []  # digit words: kept or not per occurrence (dates, spans), so looked at each time
    # set differences in C first (most words are common); the order words are scored in is
    # no matter: terms are ranked by (score, first place, term)
    for word in counts.keys() - common_words() - _STOP - _SUBJECT:
        if not (len(word) > 3 or word.isdigit() and len(word) > 1):
            continue
        n = counts[word]
        if word.isdigit():
            figures.append(word)
            continue
        if _fold_word(word) in covered:
            continue  # "drones", "Iraqi": the gazetteer's concept stands for them
        # 1 per mention, 1 more in the lede (get: a Counter's own default is a Python call)
        score[word] = score.get(word, 0) + float(n + in_lede.get(word, 0))
        first[word] = at[word]
    if figures:
        _add_figures(folded, lede, in_dates, covered, set(figures), at, score, first)


def _add_figures(folded: str, lede: int, in_dates: list[tuple[int, int]], covered: frozenset[str],
                 wanted: set[str], at: dict[str, int], score: Counter[str],
                 first: dict[str, int]) -> None:
    """Digit words, per occurrence: "June 20" is a date term and "24 hours" a span, not figures.
    Only the wanted figures' occurrences are visited (found by str.find, a few per text); a
    word's index is needed just for the lede and for a figure whose first occurrence was not
    kept (then counted)."""
    if not all(_DIGITS_RE.fullmatch(w) for w in wanted):  # other digits than 0-9 and the like
        return _add_figures_slowly(folded, lede, in_dates, covered, wanted, score, first)
    lede_at = -1  # where the lede ends, found once a figure needs it
    for word in wanted:
        if _fold_word(word) in covered:
            continue
        earlier = False
        for start in whole_word_starts(folded, word):  # the figure's occurrences, in order
            if not (in_dates and any(lo <= start < hi for lo, hi in in_dates)
                    or _SPAN_RE.match(folded, start + len(word))):
                if lede_at < 0:
                    lede_at = _word_start(folded, lede)
                score[word] = score.get(word, 0) + (1.0 + (1.0 if start < lede_at else 0.0))
                if word not in first:  # its first kept occurrence: the first one, or counted
                    first[word] = len(_WORD_RE.findall(folded, 0, start)) if earlier else at[word]
            earlier = True


@functools.lru_cache(maxsize=256)
def _words_pattern(count: int) -> re.Pattern[str]:
    # possessive, so a word is never split to make up the count
    return re.compile(rf"(?:\W*+\w++){{{count}}}")


def _word_start(text: str, index: int) -> int:
    """Where the word of that index starts (len(text) + 1 if the text has fewer words)."""
    skipped = _words_pattern(index).match(text)
    found = skipped and _WORD_RE.search(text, skipped.end())
    return found.start() if found else len(text) + 1


def _add_figures_slowly(folded: str, lede: int, in_dates: list[tuple[int, int]],
                        covered: frozenset[str], wanted: set[str], score: Counter[str],
                        first: dict[str, int]) -> None:
    for pos, found in enumerate(_WORD_RE.finditer(folded)):
        word = found.group(0)
        if word not in wanted:
            continue
        if (any(lo <= found.start() < hi for lo, hi in in_dates)
                or _SPAN_RE.match(folded, found.end())):
            continue
        if _fold_word(word) in covered:
            continue
        score[word] += 1.0 + (1.0 if pos < lede else 0.0)
        first.setdefault(word, pos)


def _ranked(score: Mapping[str, float], first: Mapping[str, int]) -> list[str]:
    """Highest score first, ties by first place, then by the term: keys built in C (zip of
    maps) instead of a lambda per term."""
    keys = zip(map(operator.neg, score.values()), map(first.__getitem__, score), score,
               strict=True)
    return [term for _, _, term in sorted(keys)]


def story_terms(text: str, title: str = "") -> tuple[str, ...]:
    """The article's most telling terms, best first: dates, names, then words of the headline/lede.

    Ranked by frequency plus bonuses for the title and the lede (news puts the event first), ties by
    first appearance, so short texts keep their lede rather than an arbitrary alphabetical slice.
    """
    raw = unicodedata.normalize("NFKC", f"{title}\n{text}")
    # ASCII but for punctuation: folded in the ASCII fast path, the punctuation standing in
    plain_text = ascii_text(raw, _STAND_IN)
    folded = raw.casefold() if plain_text is None else plain_text.lower()
    score: Counter[str] = Counter()
    first: dict[str, int] = {}
    lede = len(words(title.casefold())) + _LEDE_WORDS
    plain = None if plain_text is None else split_ascii(plain_text)
    tokens = _WORD_RE.findall(raw) if plain is None else plain
    raw_stats = _stats(tokens, lede)
    # ASCII but for punctuation that folds to itself: `fold(raw)` is `raw`, its words the same
    hits = (_concepts(raw, tokens, raw_stats) if plain is None
            else concepts_of_words(plain, raw_stats[0], raw_stats[2]))
    folded_stats = (_folded_stats(raw, tokens, raw_stats, lede)
                    or _stats(_WORD_RE.findall(folded), lede))
    dated = date_matches(folded, folded_stats[0])  # scanned once: spans for figures, then terms
    in_dates = [m.span() for m in dated]
    _add_words(folded, lede, folded_stats, in_dates, hits.words, score, first)
    for match in _ENTITY_RE.finditer(raw):
        if term := _entity_term(match.group(0)):
            score[term] = score.get(term, 0) + 2.0  # multi-word names are rare and specific
            first.setdefault(term, match.start() // 6)
    for match in dated:
        for date in date_terms(match):
            score[date] = score.get(date, 0) + 3.0
            first.setdefault(date, match.start() // 6)
    ranked = _ranked(score, first)
    keys: Counter[str] = Counter()
    _add_name_keys(raw_stats, keys, first, hits.words)
    # Name keys and concepts come on top of the usual terms, never in their place: same-language
    # matching keeps its evidence, and keys and concepts add what two languages can share.
    extra = _ranked(keys, first)
    found = _ranked(hits.counts, hits.first)
    return tuple(ranked[:MAX_TERMS] + [k for k in extra if k not in score][:MAX_KEYS]
                 + [CONCEPT_PREFIX + c for c in found[:MAX_CONCEPTS]])
