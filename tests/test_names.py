"""Names in any script: skeletons, context in the text's own language, calibration.

The probe sentences are the team's own, written for these tests (not corpus text).
"""

import io
import json
import sys
from pathlib import Path

import pytest

from bot.classify import classify_stream
from matchers.context import load_lexicon
from matchers.normalize import Folder
from matchers.relevance import Matcher, load_matcher
from matchers.skeleton import skeleton

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return load_matcher()


@pytest.mark.parametrize(("word", "expected"), [
    ("Tanf", "tnf"), ("al-Tanf", "ltnf"), ("التنف", "ltnf"), ("טנף", "tnf"), ("तनफ़", "tnf"),
    ("Τανφ", "tnf"), ("タンフ", "tnf"), ("坦夫", "tnf"), ("Танфе", "tnf"), ("탄프", "tnf"),
    ("Maghaweir", "mgwr"), ("مغاوير", "mgwr"), ("Μαγαουίρ", "mgwr"), ("Mağavir", "mgwr"),
    ("Thowra", "twr"), ("Saura", "sr"), ("الثورة", "ltwr"),
])
def test_skeleton(word: str, expected: str) -> None:
    assert skeleton(word) == expected


# (language, sentence): the base's or the group's name in that language's own spelling or
# script, next to that language's words for "base", "Syria", "US", ... None of these languages
# has an alias of its own in topics.toml.
UNSEEN = [
    ("tr", "ABD'nin Suriye'deki Tanf üssüne insansız hava aracı saldırısı düzenlendi."),
    ("fa", "پهپادها به پایگاه التنف در سوریه حمله کردند."),
    ("he", "כטב\"מים תקפו את בסיס א-טנף בסוריה."),
    ("el", "Μη επανδρωμένα αεροσκάφη επιτέθηκαν στη βάση Τανφ στη Συρία."),
    ("zh", "无人机袭击了叙利亚的坦夫基地。"),
    ("ja", "シリアのタンフ基地が無人機で攻撃された。"),
    ("hi", "सीरिया में अल-तनफ़ सैन्य अड्डे पर ड्रोन हमला हुआ।"),
    ("tr", "Mağawir es-Sevra militanları ABD üssünden ayrıldı."),
    ("de", "Kämpfer der Maghavir al-Thavra verließen den US-Stützpunkt in Syrien."),
    ("hy", "Անօդաչու սարքերը հարձակվել են Սիրիայում Թանֆ ռազմաբազայի վրա։"),
    ("ko", "미군은 시리아의 알탄프 기지를 방어했다."),
    ("ka", "დრონებმა შეუტიეს ტანფი ბაზაზე სირიაში."),
]

WELFARE = [
    ("tr", "ABD'de TANF programı yoksul ailelere nakit yardım sağlıyor."),
    ("fa", "برنامه TANF در آمریکا به خانواده‌های نیازمند کمک نقدی می‌کند."),
    ("he", "תוכנית TANF בארצות הברית מסייעת למשפחות נזקקות."),
    ("el", "Το πρόγραμμα TANF στις ΗΠΑ δίνει επιδόματα σε οικογένειες."),
    ("zh", "美国的贫困家庭临时援助计划（TANF）为低收入家庭提供现金援助。"),
    ("ja", "米国のTANF制度は低所得世帯に現金を給付する。"),
    ("hi", "अमेरिका में TANF कार्यक्रम गरीब परिवारों को नकद सहायता देता है।"),
]


@pytest.mark.parametrize(("language", "text"), UNSEEN)
@pytest.mark.parametrize("given", [True, False])
def test_unseen_languages_are_found(matcher: Matcher, language: str, text: str,
                                    given: bool) -> None:
    result = matcher.match(text, language=language if given else None)
    assert result.relevant, result.to_dict()
    for hit in result.hits:
        assert text[hit.start:hit.end] == hit.found


@pytest.mark.parametrize(("language", "text"), WELFARE)
@pytest.mark.parametrize("given", [True, False])
def test_welfare_tanf_stays_out_in_any_language(matcher: Matcher, language: str, text: str,
                                                given: bool) -> None:
    result = matcher.match(text, language=language if given else None)
    assert not result.relevant, result.to_dict()


@pytest.mark.parametrize("text", [
    "Maghwir al-Thawra fighters left the US base in Syria.",  # a letter off
    "Maghawir al-Thavra fighters left the US base in Syria.",
])
def test_long_names_a_letter_off(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.relevant and result.topics == ("maghawir-al-thawra",), result.to_dict()


@pytest.mark.parametrize("text", [
    "Tamf base in Syria was quiet, officials said.",  # the short name gets no tolerance
    "Ο Τανφ είπε ότι θα έρθει αύριο με το τρένο.",  # a name, but nothing military near it
    "Maghwir al-Thawra",  # a long name a letter off, alone: no context word
])
def test_skeleton_needs_exact_short_name_and_context(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).hits == (), matcher.match(text).to_dict()


@pytest.mark.parametrize(("language", "text"), [
    ("en", "The tonfa is a baton used by police and military forces at the border."),
    ("he", "הוא טינף את הרצפה בבסיס הצבאי."),  # "he dirtied the floor at the army base"
    ("ja", "スタンフォード大学の研究者が米軍基地を訪問した。"),  # Stanford
    ("ar", "تنفيذ عمليات عسكرية قرب الحدود السورية العراقية"),  # "carrying out operations"
    ("ar", "مغاوير البحر في الجيش اللبناني نفذوا تدريبا عسكريا"),  # Lebanese navy commandos
    ("tr", "Teneffüs sırasında askerler üsse döndü."),
])
def test_look_alike_words_with_military_context_stay_out(matcher: Matcher, language: str,
                                                         text: str) -> None:
    assert matcher.match(text, language=language).hits == ()


def test_clear_first_sentence_mention_passes(matcher: Matcher) -> None:
    text = ("US jets flew over Tanf base in Syria on Monday, officials said. The flights "
            "followed a week of drills in the desert; no incident was reported.")
    result = matcher.match(text, title="Jets fly over desert")
    assert result.relevant, result.to_dict()
    assert dict(result.parts)["named"] > 0


def test_named_bonus_needs_military_word_beside_the_name(matcher: Matcher) -> None:
    text = "Tanf was mentioned by officials on Monday, who spoke of Syria."
    assert "named" not in dict(matcher.match(text).parts)


def test_context_words_in_the_texts_own_language() -> None:
    lexicon = load_lexicon(Folder())
    assert lexicon.labels("ABD'nin Suriye'deki üssü", "tr") == {"US", "Syria", "base"}
    assert "US" not in lexicon.labels("abd el-kader", "tr")  # acronyms keep their capitals
    assert lexicon.labels("هاجمت قوات بسوريا", "ar") >= {"Syria", "troops"}  # attached particle
    assert "military" in lexicon.labels("une base militaire", "fr")  # a stem
    assert lexicon.labels("une base militaire", "de") == set()  # not German words
    assert "base" not in lexicon.labels("they told us", None)  # short words need the language
    assert "Syria" in lexicon.labels("в Сирии", "ru")  # CLDR name, inflected


def test_disabled_languages_switch_aliases_off() -> None:
    text = "La Nouvelle Armée syrienne a attaqué."
    assert "maghawir-al-thawra" in load_matcher().match(text).topics
    held_out = load_matcher(disabled_languages=frozenset({"fr", "it", "es", "pt"}))
    assert "maghawir-al-thawra" not in held_out.match(text).topics


def test_countries_file_matches_babel() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_countries
    finally:
        sys.path.pop(0)
    assert gen_countries.PATH.read_text(encoding="utf-8") == gen_countries.render(), (
        "matchers/countries.json is out of date: run scripts/gen_countries.py")


def test_context_in_any_language_unlocks_gated_aliases(matcher: Matcher) -> None:
    # "SFA" needs context; these French words for "base", "American", "border" are not in
    # topics.toml, only in the multilingual lexicon
    text = "Les combattants de la SFA ont quitté la base américaine près de la frontière."
    assert any(h.term == "SFA" for h in matcher.match(text, language="fr").hits)
    assert not any(h.term == "SFA" for h in matcher.match("La SFA a publié un communiqué.",
                                                          language="fr").hits)


@pytest.mark.parametrize(("language", "text"), [
    ("tr", "ABD, Suriye'deki Tanf üssü çevresinde 55 kilometrelik bir güvenlik bölgesi ilan etti."),
    ("el", "Τα αμερικανικά στρατεύματα ελέγχουν ζώνη 55 χλμ γύρω από τη βάση Τανφ στη Συρία."),
    ("zh", "美军控制着叙利亚坦夫基地周围55公里的区域。"),
])
def test_the_zone_in_any_language(matcher: Matcher, language: str, text: str) -> None:
    result = matcher.match(text, language=language)
    assert result.relevant and "55km-zone" in result.topics, result.to_dict()


@pytest.mark.parametrize("text", [
    "Highway 55 runs 55 km to the lake; a 155 km zone is planned.",
    "Otoyol 55 kilometre boyunca göle uzanıyor.",  # km, but no zone
])
def test_the_zone_needs_a_zone_word_and_context(matcher: Matcher, text: str) -> None:
    assert "55km-zone" not in matcher.match(text).topics


def test_classify_contract_finds_unseen_languages() -> None:
    """Through `tanfwatch classify`: records in languages without aliases of their own."""
    records = [{"id": f"u{i}", "text": text, "language_detail": lang}
               for i, (lang, text) in enumerate(UNSEEN)]
    records += [{"id": f"w{i}", "text": text, "language_detail": lang}
                for i, (lang, text) in enumerate(WELFARE)]
    out = io.StringIO()
    assert classify_stream((json.dumps(r, ensure_ascii=False) for r in records), out) == []
    verdicts = {v["id"]: v["relevant"] for v in map(json.loads, out.getvalue().splitlines())}
    assert verdicts == {r["id"]: r["id"].startswith("u") for r in records}
