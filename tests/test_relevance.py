# ruff: noqa: E501  (escaped Arabic/Cyrillic test sentences)
"""Relevance matcher: every variant matches, every look-alike stays silent."""

import random
import re
import tomllib
from pathlib import Path

import pytest

import matchers
from matchers.literals import LiteralIndex, Spots
from matchers.registry import builtin_registry
from matchers.relevance import Matcher, load_matcher
from matchers.sentences import sentence_at, sentence_ends
from matchers.topicdefs import compile_alias

SYRIA = " The base lies in the Syrian desert near the Jordan and Iraq borders, held by the coalition."


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return load_matcher()


@pytest.mark.parametrize(
    ("sentence", "topic"),
    [
        ("Drones struck the al-Tanf garrison overnight.", "al-tanf"),
        ("Drones struck the al Tanf base overnight.", "al-tanf"),
        ("Fighters left a-Tanf on Monday.", "al-tanf"),
        ("Troops at At-Tanf went on alert.", "al-tanf"),
        ("Troops at At Tanf went on alert.", "al-tanf"),
        ("A convoy neared Tanf on Monday.", "al-tanf"),
        ("The Al-Tanaf crossing was closed.", "al-tanf"),
        ("\u0647\u062c\u0648\u0645 \u0639\u0644\u0649 \u0642\u0627\u0639\u062f\u0629 \u0627\u0644\u062a\u0646\u0641", "al-tanf"),
        ("\u0648\u0635\u0644\u062a \u0627\u0644\u0642\u0648\u0627\u062a \u0644\u0644\u062a\u0646\u0641", "al-tanf"),
        ("\u0627\u0634\u062a\u0628\u0627\u0643\u0627\u062a \u0628\u0627\u0644\u062a\u0646\u0641 \u0648\u0627\u0644\u062a\u0646\u0641", "al-tanf"),
        ("\u0411\u0430\u0437\u0430 \u0432 \u0410\u0442-\u0422\u0430\u043d\u0444\u0435 \u0430\u0442\u0430\u043a\u043e\u0432\u0430\u043d\u0430.", "al-tanf"),
        ("\u0412\u043e\u043a\u0440\u0443\u0433 \u042d\u0442-\u0422\u0430\u043d\u0444\u0430 \u0441\u043f\u043e\u043a\u043e\u0439\u043d\u043e.", "al-tanf"),
        ("\u0412\u043e\u0435\u043d\u043d\u0430\u044f \u0431\u0430\u0437\u0430 \u0410\u043b \u0422\u0430\u043d\u0444 \u0432 \u0421\u0438\u0440\u0438\u044f.", "al-tanf"),
        ("\u0392\u03ac\u03c3\u03b7 \u0391\u03bb-\u03a4\u03b1\u03bd\u03c6 \u03c3\u03c4\u03b7 \u03a3\u03c5\u03c1\u03af\u03b1.", "al-tanf"),
        ("Maghawir al-Thawra fighters patrolled.", "maghawir-al-thawra"),
        ("Maghaweir al-Thowra fighters patrolled.", "maghawir-al-thawra"),
        ("Mughawir a-Thawra fighters patrolled.", "maghawir-al-thawra"),
        ("Jaysh Maghawir as-Saura fighters patrolled.", "maghawir-al-thawra"),
        ("The Revolutionary Commando Army patrolled.", "maghawir-al-thawra"),
        ("\u0639\u0646\u0627\u0635\u0631 \u062c\u064a\u0634 \u0645\u063a\u0627\u0648\u064a\u0631 \u0627\u0644\u062b\u0648\u0631\u0629 \u0627\u0646\u0633\u062d\u0628\u0648\u0627", "maghawir-al-thawra"),
        ("\u0411\u043e\u0435\u0432\u0438\u043a\u0438 \u00ab\u041c\u0430\u0433\u0430\u0432\u0438\u0440 \u0430\u0441-\u0421\u0430\u0443\u0440\u0430\u00bb \u0443\u0448\u043b\u0438.", "maghawir-al-thawra"),
        ("The New Syrian Army attacked Abu Kamal.", "maghawir-al-thawra"),
        ("The Syrian Free Army trained with US troops.", "maghawir-al-thawra"),
        ("Jets patrol the 55-km zone around Tanf.", "55km-zone"),
        ("Jets patrol the 55 km deconfliction zone around the garrison at Tanf.", "55km-zone"),
        ("Jets patrol the 55-kilometre radius near al-Tanf.", "55km-zone"),
        ("Jets patrol the 34-mile zone around al-Tanf.", "55km-zone"),
        ("\u0646\u0627\u0632\u062d\u0648\u0646 \u0641\u064a \u0645\u0646\u0637\u0642\u0629 \u0627\u0644\u0640\u0665\u0665 \u0643\u0645 \u0642\u0631\u0628 \u0627\u0644\u062a\u0646\u0641", "55km-zone"),
        ("\u0412 55-\u043a\u0438\u043b\u043e\u043c\u0435\u0442\u0440\u043e\u0432\u043e\u0439 \u0437\u043e\u043d\u0435 \u0432\u043e\u043a\u0440\u0443\u0433 \u0410\u0442-\u0422\u0430\u043d\u0444\u0430.", "55km-zone"),
    ],
)
def test_variants_match(matcher: Matcher, sentence: str, topic: str) -> None:
    result = matcher.match(sentence + SYRIA, title="")
    assert result.relevant, result.to_dict()
    assert topic in result.topics
    for hit in result.hits:
        source = result.hits and (sentence + SYRIA)
        assert source[hit.start:hit.end] == hit.found


@pytest.mark.parametrize(
    "text",
    [
        "TANF, Temporary Assistance for Needy Families, pays cash assistance; Syrian refugees "
        "may get TANF benefits if eligible. States run TANF with a block grant.",
        "Los refugiados sirios pueden recibir beneficios del programa TANF (Asistencia Temporal "
        "para Familias Necesitadas) en Estados Unidos.",
        "float tanf(float x); returns the tangent. Use tanf() from <math.h> in C++ AMP precise_math.",
        "The Free Syrian Army took the town of Azaz near the Turkish border in Syria.",
        "The Lebanese army's Maghawir regiment held a drill in the Bekaa valley.",
        "The al-Thawra newspaper in Damascus praised the revolution in Syria.",
        "Highway 55 runs 55 km to the lake; a 55 km exclusion zone around the volcano remains.",
        "A player stepped onto the mat; MaT scores were posted.",
        "Aid reached Rukban camp in the desert near the Jordan border in Syria.",
    ],
)
def test_lookalikes_do_not_match(matcher: Matcher, text: str) -> None:
    result = matcher.match(text, title="")
    assert not result.relevant, result.to_dict()


def test_mat_only_with_context(matcher: Matcher) -> None:
    text = "MaT fighters left the al-Tanf garrison for Palmyra in Syria."
    result = matcher.match(text)
    assert any(h.term == "MaT" for h in result.hits)
    assert "mat" not in [h.found for h in matcher.match("the mat was red; al-Tanf base").hits]


def test_title_hit_and_explanation(matcher: Matcher) -> None:
    result = matcher.match("Officials said the attack caused no injuries." + SYRIA,
                           title="Drone attack on al-Tanf garrison")
    assert result.relevant and result.topics == ("al-tanf",)
    assert dict(result.parts)["title"] > 0
    assert result.hits[0].field == "title" and result.key_sentence()
    assert set(result.to_dict()) >= {"score", "hits", "parts", "reasons"}
    assert set(result.topics) <= set(builtin_registry().ids)


def test_threshold_override() -> None:
    strict = load_matcher(threshold=0.99)
    assert not strict.match("A convoy neared al-Tanf." + SYRIA).relevant


# ---------------------------------------------------------------- literal index, sentences
LITERALS = ("tanf", "anf", "al-tanf", "55", "\u062a\u0646\u0641", "\u0442\u0430\u043d\u0444", "state ")
INDEX_TEXTS = [
    "al-tanftanf near Tanf; 555 km; the state agency",
    "\u0642\u0627\u0639\u062f\u0629 \u0627\u0644\u062a\u0646\u0641 \u0648al-tanf \u0438 \u0410\u0442-\u0442\u0430\u043d\u0444\u0435 55",
    "\u03b2\u03ac\u03c3\u03b7 \U0001f600 al-tanf \u2014 \u0442\u0430\u043d\u0444 \U0001f600 tanf",
    "",
]


@pytest.mark.parametrize("text", INDEX_TEXTS)
@pytest.mark.parametrize("accelerate", [True, "pyahocorasick", False])
def test_literal_index_finds_every_occurrence(text: str, accelerate: bool | str) -> None:
    spots = LiteralIndex(LITERALS, accelerate=accelerate).spots(text)
    for lit in (*LITERALS, "al-"):  # "al-" is not indexed: searched on demand
        assert spots.of(lit) == [i for i in range(len(text)) if text.startswith(lit, i)], lit


def test_windows_merge_and_respect_reach() -> None:
    text = "x" * 30 + "tanf" + "x" * 5 + "tanf" + "x" * 60 + "tanf" + "x" * 30
    spots = LiteralIndex(("tanf",)).spots(text)
    assert spots.windows(("tanf",), reach=(8, 12)) == [(22, 51), (95, 115)]
    assert spots.windows(("tanf",), 30, 43, reach=(8, 12)) == [(0, 13)]  # piece-relative
    assert Spots(text).windows(("tanf",)) == [(0, 137)]  # default reach, no index


def test_script_groups_pair_patterns_with_their_literals() -> None:
    alias = compile_alias({
        "topic": "al-tanf", "label": "x", "literals": ["tanf", "\u062a\u0646\u0641", "55"],
        "patterns": ["(?<!\\w)al-tanf", "(?<!\\w)\u0627\u0644\u062a\u0646\u0641", "55\\s?km"],
    }, {"al-tanf"})
    groups = {pat.pattern: lits for lits, pats in alias.groups for pat in pats}
    assert groups["(?<!\\w)al-tanf"] == ("tanf", "55")
    assert groups["(?<!\\w)\u0627\u0644\u062a\u0646\u0641"] == ("\u062a\u0646\u0641", "55")
    assert groups["55\\s?km"] == ("tanf", "55")  # \s is an escape, "km" is Latin


def test_sentence_ends_match_the_reference_rule() -> None:
    reference = re.compile(r"[.!?؟。]+[\"'»”)\]]*\s+|\s*\n\s*")
    rng = random.Random(7)
    samples = ["One. Two!\" Three?) Four\n\n five.\t\nsix", "\u0647\u0644 \u0647\u0630\u0627\u061f \u0646\u0639\u0645.  \n"]
    samples += ["".join(rng.choice("ab .!?\n\t\"')\u061f\u3002") for _ in range(40)) for _ in range(300)]
    for s in samples:
        assert sentence_ends(s) == [m.end() for m in reference.finditer(s)], repr(s)


def test_sentence_at_trims_long_sentences() -> None:
    text = "Short one. " + "word " * 100 + "al-Tanf " + "word " * 100 + "end."
    start = text.index("al-Tanf")
    sentence = sentence_at(text, sentence_ends(text), start, start + 7)
    assert "al-Tanf" in sentence and len(sentence) <= 300
    assert sentence_at("A. B al-Tanf C. D", sentence_ends("A. B al-Tanf C. D"), 5, 12) == "B al-Tanf C."


@pytest.mark.parametrize("literal", ["", "al\ntanf"])
def test_bad_literal_is_refused(literal: str) -> None:
    config = tomllib.loads((Path(matchers.__file__).parent / "topics.toml").read_text("utf-8"))
    config["alias"][0]["literals"] = [literal]
    with pytest.raises(ValueError, match="literal"):
        Matcher(config)
