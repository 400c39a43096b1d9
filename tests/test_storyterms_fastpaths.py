"""Story terms' shortcuts answer as the general code they skip.

The ASCII word split is `re.findall(r"\\w+")`, the gazetteer given words is the gazetteer given
the text, and the date scan at month names finds what the pattern's whole-text scan finds.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import unicodedata

import pytest

from matchers import gazetteer, storydates, storyterms, textwords
from matchers.storyterms import story_terms
from tests.conftest import SHARED

_WORD = re.compile(r"\w+")


def _texts() -> list[str]:
    rows = [json.loads(line) for line in
            (SHARED / "corpus" / "dev.jsonl").read_text("utf-8").splitlines() if line]
    return [unicodedata.normalize("NFKC", f"{r.get('title', '')}\n{r['text']}") for r in rows]


def _random_texts(pieces: list[str], seed: int, count: int = 20_000) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(pieces) for _ in range(rnd.randrange(0, 16))) for _ in range(count)]


_TRICKY = ["a", "Z", "_", "9", " ", "\t", "\n", "\x00", "\x1c", "\x1f", "\x7f", "-", "'", ".",
           "é", "ß", "İ", "ﬁ", "²", "٣", "ـ", "\u0301", "\u064e", "\u00a0", "\u2028", "\u200b",
           "🙂", "мир", "تنف", *textwords.PUNCTUATION]


def test_the_ascii_split_finds_the_words_the_pattern_finds() -> None:
    texts = _texts() + _random_texts(_TRICKY, 1)
    texts += ["".join(map(chr, range(128))), "x" * 10_000, "", " ", "“”", "a“b”c’d"]
    shortcut = 0
    for text in texts:
        assert textwords.words(text) == _WORD.findall(text), repr(text)
        if textwords.ascii_words(text) is not None:
            shortcut += 1
    assert shortcut > 1000  # the shortcut was taken, not only the pattern


def test_the_ascii_split_is_taken_only_for_ascii_and_the_listed_punctuation() -> None:
    assert textwords.ascii_words("Tanf “base” – 55 km") == ["Tanf", "base", "55", "km"]
    assert textwords.ascii_words("Tanf é") is None
    assert textwords.ascii_words("“Tanf” é") is None
    assert textwords.ascii_words("") == []


def test_the_listed_punctuation_folds_to_itself_and_is_no_word_character() -> None:
    # story_terms takes fold(text) == text and text.casefold()'s words == the words lower-cased
    # for a text of ASCII and these characters
    for mark in textwords.PUNCTUATION:
        assert not _WORD.match(mark) and not mark.isspace()
        assert unicodedata.decomposition(mark) == "" and unicodedata.combining(mark) == 0
        assert gazetteer.fold(mark) == mark == mark.casefold()
        assert unicodedata.normalize("NFKC", mark) == mark
    ascii_text = "".join(map(chr, range(128)))
    assert gazetteer.fold(ascii_text) == ascii_text
    assert ascii_text.casefold() == ascii_text.lower()


def test_the_gazetteer_given_words_finds_what_it_finds_in_the_text() -> None:
    # longer spellings whose words are spellings alone too: "Kataib Hezbollah", "al-Assad"
    pieces = ["Tanf", "al-Tanf", "Palmyra", "Tadmur", "تدمر", "Пальмира", "ISIS", "IS", "is", "US",
              "Kataib", "Hezbollah", "al-Assad", "Assad", "al", "Qaim", "regime's", "regime",
              "air", "strike", "strikes", "طائرة", "مسيرة", "هجوم", "واسع",
              "Daesh", "drone", "drones", "Rukban", "Deir", "ez-Zor", "Abu", "Kamal", "the", " ",
              " ", "\n", "“", "’", "27", "x"]
    rnd = random.Random(2)
    texts = _texts() + ["".join(rnd.choice(pieces) + rnd.choice([" ", " ", "", "\n", "-"])
                                for _ in range(rnd.randrange(0, 16))) for _ in range(5000)]
    g = gazetteer.load_gazetteer()
    singles_covered = 0
    for text in texts:
        raws = _WORD.findall(gazetteer.fold(text))
        want = g.match(text)
        assert g.match_words(raws) == want
        counts, _, at = storyterms._stats(raws, 0)
        assert g.match_words(raws, counts, at) == want, repr(text)
        assert gazetteer.concepts_of_words(raws, counts, at) == gazetteer.concepts(text)
        covered = g._longer_matches(raws, g._multi)[1]
        singles_covered += any(raws[k] in g._single for k in covered)
    assert singles_covered > 100  # words a longer match covers, that count alone elsewhere


def test_story_terms_of_ascii_texts_equal_those_through_the_general_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [t for t in _texts() if textwords.ascii_words(t) is not None]
    texts += ["Khidr met Khidr in Rukban on April 14, 2020; “27 fighters” – 27 left. ISIS, IS."]
    # the punctuation next to dates, spans and figures, where white space or "-" would count
    texts += [f"April{m}14{m} 2020, 14{m}April, 27{m}hours, 27 {m}hours, 27{m} days, {m}27{m} "
              f"Abu{m}Kamal and Abu Kamal{m}s, 14 April{m}2020 {m}may 5{m}"
              for m in textwords.PUNCTUATION]
    assert texts
    fast = [story_terms(t, "Khidr in Rukban") for t in texts]
    monkeypatch.setattr("matchers.storyterms.ascii_text", lambda text, stand_in: None)
    assert fast == [story_terms(t, "Khidr in Rukban") for t in texts]


def test_the_stand_in_of_the_punctuation_matches_as_the_punctuation_does() -> None:
    patterns = [storydates._DATE_RE, storyterms._SPAN_RE, storyterms._WORD_RE,
                storyterms._words_pattern(3)]
    pieces = ["april", "14", "2020", "hours", "-", " ", ",", ".", "de", "x", "27", "\n",
              *textwords.PUNCTUATION]
    for text in _random_texts(pieces, 8, 5000):
        stood = text
        for mark in textwords.PUNCTUATION:
            stood = stood.replace(mark, storyterms._STAND_IN)
        for pattern in patterns:
            for at in range(len(text) + 1):
                a, b = pattern.match(text, at), pattern.match(stood, at)
                assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups())), text
    assert not re.search(r"\w|\s", storyterms._STAND_IN) and storyterms._STAND_IN.isascii()


def test_white_space_and_word_characters_are_what_the_patterns_call_so() -> None:
    # the date scan walks back over white space and word characters with str methods
    space, word = re.compile(r"\s"), re.compile(r"\w")
    for c in map(chr, range(0x110000)):
        assert c.isspace() == bool(space.match(c)), hex(ord(c))
        assert textwords.is_word_char(c) == bool(word.match(c)), hex(ord(c))


def test_the_month_words_are_every_word_a_month_name_of_the_pattern_can_be() -> None:
    month = re.compile(rf"(?:{storydates._MONTH_RE})")
    names = [*storydates._MONTHS, *(n.replace("_", " ") for n in storydates._FOREIGN_MONTHS)]
    # each name the pattern accepts is a prefix of a full name (jan, sept) or the name itself
    prefixes = {n[:i] for n in names for i in range(1, len(n) + 1)}
    accepted = {p for p in prefixes if month.fullmatch(p)}
    assert {w for a in accepted for w in a.split()} == storydates._MONTH_WORDS
    assert all(_WORD.fullmatch(w) for w in storydates._MONTH_WORDS)


def _assert_same_dates(text: str) -> None:
    want = [(m.span(), m.groups()) for m in storydates._DATE_RE.finditer(text)]
    got = storydates.date_matches(text, set(_WORD.findall(text)))
    assert [(m.span(), m.groups()) for m in got] == want, repr(text)
    assert [m.span() for m in storydates.date_matches(text)] == [s for s, _ in want]


def test_the_date_scan_at_month_names_finds_what_the_whole_text_scan_finds() -> None:
    pieces = ["april", "apr", "apr.", "14", "3", "١٤", "1st", "2nd", "14th", "1er", "2020", "1989",
              "de", "may", "mayo", "mayor", "sept", "sept.", "september", "septembre", "mar",
              "marzo", "mars", "march", "апреля", "мая", "نيسان", "كانون", "الثاني",
              "كانون الثاني", "تشرين", "الأول", "آب", "août", "aout", "\n", ",", ".", "-", "_", "x",
              "ⅳ", "²"]
    rnd = random.Random(3)
    gaps = [" ", " ", " ", "", "  ", "\t", "\n", "\u00a0", ", "]
    texts = [t.casefold() for t in _texts()]
    texts += ["".join(rnd.choice(pieces) + rnd.choice(gaps) for _ in range(rnd.randrange(0, 12)))
              for _ in range(20_000)]
    texts += ["april" + " " * 50 + "14", "14" + "\n" * 30 + "de" + " " * 20 + "abril , 2020",
              "xapril 14", "april 14x", "14 aprilx", "_14 april", "mayo 3 may 4 14 may 2020 may",
              "", "april", "14"]
    dated = 0
    for text in texts:
        _assert_same_dates(text)
        dated += bool(storydates._DATE_RE.search(text))
    assert dated > 1000


def test_the_scan_at_month_names_matches_at_a_position_as_a_scan_from_the_start_would() -> None:
    # `match` at a position sees the characters before it (word boundaries), as a scan does
    assert storydates._DATE_RE.match("x14 april", 1) is None
    assert storydates._DATE_RE.match("x 14 april", 2) is not None
    assert storydates.date_matches("x14 april 14", {"x14", "april", "14"})[0].span() == (4, 12)


def test_the_folded_words_statistics_are_those_of_the_folded_text() -> None:
    pieces = ["The", "the", "THE", "İdlib", "Straße", "STRASSE", "ΣΟΦΙΑ", "σοφια", "α\u0345β",
              "ﬁre", "Ǆemal", "ǅ", "Ⅻ", "ⓐ", "Tanf", "tanf", "27", " ", " ", "\n", "-", "’"]
    derived = 0
    for text in _texts() + _random_texts(pieces, 4, 5000):
        for lede in (0, 3, 70):
            tokens = _WORD.findall(text)
            got = storyterms._folded_stats(text, tokens, storyterms._stats(tokens, lede), lede)
            if got is not None:
                derived += 1
                assert got == storyterms._stats(_WORD.findall(text.casefold()), lede), repr(text)
    assert derived > 1000


def test_the_possessive_name_pattern_finds_what_the_backtracking_one_found() -> None:
    backtracking = re.compile(
        r"[A-Z](?<!\w[A-Z])[\w'’-]+(?:[ \t]+(?:al-|el-|ad-|as-)?[A-Z][\w'’-]+)+")
    assert storyterms._ENTITY_RE.pattern != backtracking.pattern
    pieces = ["Abu", "Kamal", "al-", "Al", "as-", "O'Brien", "’", "-", " ", " ", "\t", "\n", "x",
              "US", "A", "İdlib", "5", "_", "Deir", "ez-Zor", ",", "."]
    for text in _texts() + _random_texts(pieces, 5):
        assert ([(m.span(), m.group(0)) for m in storyterms._ENTITY_RE.finditer(text)]
                == [(m.span(), m.group(0)) for m in backtracking.finditer(text)]), repr(text)


def test_remembered_per_word_answers_equal_fresh_ones_and_stay_bounded() -> None:
    names = ["Abu Kamal", "The Syrian Army", "Al Tanf Base", "Free Syrian Army", "al-Tanf Base"]
    words = ["Rukban", "Khidr", "the", "Tanf", "Пальмира", "تدمر", "İdlib", "27", "Palmyra"]
    for remembered, args in ((storyterms._entity_term, names), (storyterms._name_term, words),
                             (storyterms._casefold_word, words)):
        before = [remembered(a) for a in args]
        remembered.cache_clear()
        assert [remembered(a) for a in args] == before == [remembered.__wrapped__(a) for a in args]
        info = remembered.cache_info()
        assert info.maxsize is not None and info.currsize <= info.maxsize
    assert storyterms._entity_term("The Syrian Army") is None  # a stop word first
    assert storyterms._entity_term("Tanf Base") is None  # the subject's own words only
    assert storyterms._entity_term("Abu Kamal") == "ent:abu kamal"


def test_a_words_start_is_where_the_word_scan_finds_it() -> None:
    pieces = ["a", "bc", "١٢", "_", " ", " ", "\n", "-", "’", "é", "\u0301", ""]
    for text in _texts()[:20] + _random_texts(pieces, 6, 3000):
        for index in (0, 1, 2, 5, 60, 75):
            want = next((m.start() for m in itertools.islice(_WORD.finditer(text), index, None)),
                        len(text) + 1)
            assert storyterms._word_start(text, index) == want, (text, index)


def test_terms_are_ranked_by_score_then_first_place_then_term() -> None:
    score = {"b": 2.0, "a": 2.0, "c": 3.0, "d": 2.0, "e": 0.5}
    first = {"a": 4, "b": 4, "c": 9, "d": 1, "e": 0}
    assert storyterms._ranked(score, first) == sorted(
        score, key=lambda t: (-score[t], first[t], t)) == ["c", "d", "a", "b", "e"]


def test_the_characters_said_to_fold_alone_do_so() -> None:
    # in a text of these, NFKD reorders marks only within one character's decomposition (it
    # starts with a base), and a non-word character folds to non-word characters, never to none
    word = re.compile(r"\w")
    allowed = [c for c in map(chr, range(0x110000)) if gazetteer.folds_by_word(c)]
    assert len(allowed) > 1500 and "é" in allowed and "ت" in allowed and "й" in allowed
    assert "\u064e" not in allowed and "\u0301" not in allowed and "\U0001f642" not in allowed
    for c in allowed:
        assert unicodedata.combining(unicodedata.normalize("NFKD", c)[0]) == 0, hex(ord(c))
        if not word.match(c):
            assert gazetteer.fold(c) and not word.search(gazetteer.fold(c)), hex(ord(c))


def test_concepts_of_the_words_folded_one_by_one_are_those_of_the_text() -> None:
    pieces = ["Palmyra", "تدمر", "التدمر", "وتدمر", "Пальмира", "Пальмиры", "Тадмор", "طائرة",
              "مسيّرة", "مسيرة", "الأمريكية", "أمريكا", "Рукбан", "الركبان", "Дейр", "эз-Зор",
              "é", "ﬁ", "¼", "ـ", "ª", "آب", "، ", "Kataib", "Hezbollah", "al-Assad", "Assad",
              " ", " ", "\n", "“", "’", "-", "27", "٢٧", "й", "ё"]
    rnd = random.Random(7)
    texts = _texts() + ["".join(rnd.choice(pieces) + rnd.choice([" ", "", "\n"])
                                for _ in range(rnd.randrange(0, 16))) for _ in range(5000)]
    by_word = 0
    for text in texts:
        tokens = _WORD.findall(text)
        stats = storyterms._stats(tokens, 0)
        assert storyterms._concepts(text, tokens, stats) == gazetteer.concepts(text), repr(text)
        derived = storyterms._derived_stats(stats, storyterms._fold_one_word)
        if gazetteer.folds_by_word(text) and derived is not None:
            by_word += 1
            assert ([derived[2][w] for w in tokens]
                    == _WORD.findall(gazetteer.fold(text))), repr(text)
    assert by_word > 1000
