# ruff: noqa: E501  (escaped Arabic/Cyrillic test sentences)
"""Normalisation: each variant folds to one form and offsets map back to the original."""

import pytest

from matchers.normalize import Folder


@pytest.fixture(scope="module")
def folder() -> Folder:
    return Folder()


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Al\u2011Tanf\u2019s", "al-tanf's"),
        ("Al\u2014Tanf", "al-tanf"),
        ("at\u00a0Tanf", "at tanf"),
        ("Magh\u0101w\u012br", "maghawir"),
        ("\u0628\u0650\u0627\u0644\u062a\u0651\u064e\u0646\u0652\u0641", "\u0628\u0627\u0644\u062a\u0646\u0641"),
        ("\u0627\u0644\u0640\u062a\u0646\u0641", "\u0627\u0644\u062a\u0646\u0641"),
        ("\u0623\u0625\u0622", "\u0627\u0627\u0627"),
        ("\u0645\u0646\u0637\u0642\u0629", "\u0645\u0646\u0637\u0642\u0647"),
        ("\u0649\u06cc", "\u064a\u064a"),
        ("\u0665\u0665", "55"),
        ("\u0401\u043b\u043a\u0430", "\u0435\u043b\u043a\u0430"),
        ("\uff15\uff15\uff4b\uff4d", "55km"),
    ],
)
def test_fold_variants(folder: Folder, raw: str, folded: str) -> None:
    assert folder.fold(raw).text == folded


def test_offsets_map_back_after_deletions(folder: Folder) -> None:
    raw = "\u0642\u0627\u0639\u062f\u0629 \u0628\u0650\u0627\u0644\u062a\u0651\u064e\u0646\u0652\u0641 x"
    norm = folder.fold(raw)
    i = norm.text.index("\u0628\u0627\u0644\u062a\u0646\u0641")
    start, end = norm.span(i, i + 6)
    assert raw[start:end].startswith("\u0628") and raw[start:end].endswith("\u0641")


def test_offsets_map_back_after_expansion(folder: Folder) -> None:
    raw = "Stra\u00dfe \ufb01 base at Tanf"
    norm = folder.fold(raw)
    i = norm.text.index("tanf")
    start, end = norm.span(i, i + 4)
    assert raw[start:end] == "Tanf"


def test_romanised_greek(folder: Folder) -> None:
    raw = "\u0392\u03ac\u03c3\u03b7 \u0391\u03bb-\u03a4\u03b1\u03bd\u03c6"
    assert folder.needs_romanised(raw)
    rom = folder.romanise(raw)
    i = rom.text.index("tanf")
    start, end = rom.span(i, i + 4)
    assert raw[start:end] == "\u03a4\u03b1\u03bd\u03c6"


def test_latin_text_needs_no_romanising(folder: Folder) -> None:
    assert not folder.needs_romanised("The garrison at al-Tanf \u0627\u0644\u062a\u0646\u0641 \u0422\u0430\u043d\u0444")


def test_the_shipped_fold_table_is_the_computed_one() -> None:
    """matchers/fold_table.json saves every start a walk over all code points; it must say
    exactly what that walk says (regenerate with scripts/make-fold-table)."""
    import json
    import unicodedata

    from matchers.normalize import TABLE_FILE, special_table

    data = json.loads(TABLE_FILE.read_text("utf-8"))
    assert data["unidata_version"] == unicodedata.unidata_version
    assert data["table"] == special_table()


def test_romanised_form_is_each_character_romanised_in_turn() -> None:
    """The fast path (ASCII runs copied whole) says what the character-by-character rule says."""
    from anyascii import anyascii

    from matchers.normalize import Folder, fold_char

    texts = ["坦夫基地 al-Tanf 美国 base", "בסיס א-טנף בסוריה\tTAB\r\n", "Τανφ ΗΠΑ “quoted” — dash",
             "A\u0301B ﬁ ½ ＡＢＣ", "plain ascii only", ""]
    folder = Folder()
    for text in texts:
        norm = folder.romanise(text)
        assert norm.text == "".join(anyascii(fold_char(ch)).lower() for ch in text)
        for i, ch in enumerate(text):  # every original character maps back to itself
            rep = anyascii(fold_char(ch)).lower()
            start = len("".join(anyascii(fold_char(c)).lower() for c in text[:i]))
            if rep:
                assert norm.span(start, start + len(rep)) == (i, i + 1), (text, i)
