"""The gazetteer: one concept for a place, actor or event word in every language and spelling."""

from matchers.gazetteer import Gazetteer, concepts, load_gazetteer
from matchers.stories import CONCEPT_PREFIX
from matchers.storyterms import story_terms


def _found(text: str) -> set[str]:
    return set(concepts(text).counts)


def test_places_are_one_concept_across_scripts_and_spellings() -> None:
    for text in ("Fighters reached Palmyra.", "They entered Tadmur at night.",
                 "وصل المقاتلون إلى تدمر.", "Бойцы вошли в Пальмиру.", "Ils sont à Palmyre."):
        assert "palmyra" in _found(text), text
    for text in ("clashes in Abu Kamal", "near Albu Kamal", "اشتباكات في البوكمال",
                 "бои у Абу-Кемаля"):
        assert "abu_kamal" in _found(text), text
    assert "deir_ezzor" in _found("Convoys left Deir ez-Zor.")
    assert "deir_ezzor" in _found("غادرت القوافل دير الزور")


def test_arabic_clitics_and_russian_endings_are_matched() -> None:
    assert concepts("وصلوا وبتدمر ثم لتدمر").counts == {"palmyra": 2}  # wa-bi-, li-
    assert _found("из Иордании в Иорданию") == {"jordan"}
    assert _found("the drone and the drones") == {"drone"}
    assert _found("طائرات مسيرة") == {"drone"}  # the longer spelling wins, counted once
    assert concepts("طائرات مسيرة").counts == {"drone": 1}


def test_actors_and_event_words_are_concepts() -> None:
    assert {"isis", "hezbollah", "defection"} <= _found(
        "Daesh and Hezbollah fighters watched the defectors leave.")
    assert {"isis", "drone", "shot_down"} <= _found("Беспилотник ИГИЛ сбит над пустыней.")


def test_capitals_only_spellings_do_not_match_common_words() -> None:
    assert _found("This is what US officials told us.") == {"united_states"}
    assert _found("IS claimed the attack") == {"isis", "attack"}
    assert "isis" not in _found("it is late")


def test_subject_names_are_not_concepts() -> None:
    # every relevant article names them: they would join every story
    assert _found("al-Tanf garrison, Maghawir al-Thawra, 55-km zone") == set()
    assert _found("قاعدة التنف ومغاوير الثورة") == set()


def test_concepts_become_story_terms_and_replace_their_name_keys() -> None:
    terms = story_terms("Defectors from the garrison reached Palmyra and then Homs.")
    assert CONCEPT_PREFIX + "palmyra" in terms
    assert CONCEPT_PREFIX + "defection" in terms
    assert not [t for t in terms if t == "ent:~blmr"]  # Palmyra's key: the concept says it
    arabic = story_terms("وصل المنشقون إلى تدمر")
    english = story_terms("The defectors reached Palmyra")
    shared = {t for t in arabic if t.startswith(CONCEPT_PREFIX)} & set(english)
    assert shared == {CONCEPT_PREFIX + "palmyra", CONCEPT_PREFIX + "defection"}


def test_a_custom_table_and_the_shipped_data() -> None:
    small = Gazetteer({"wadi": ["wadi rum", "وادي رم", "вади рум*"]})
    assert small.match("Tourists visited Wadi Rum and the wadi.").counts == {"wadi": 1}
    assert small.match("в Вади-Руме").counts == {"wadi": 1}
    hits = small.match("Tourists visited Wadi Rum.")
    assert hits.first == {"wadi": 2} and hits.words == {"wadi", "rum"}
    assert load_gazetteer() is load_gazetteer()  # read once
