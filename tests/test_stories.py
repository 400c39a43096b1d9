"""Same story, different words: joins the seeds' April 2020 defection story; other events do not."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from matchers.crossscript import name_key
from matchers.dedup import KnownArticles, signature
from matchers.storymatch import Bars
from matchers.storyterms import story_terms
from tests.conftest import seeded_known

SEEDS = sorted((Path(__file__).resolve().parents[1] / "storage" / "seeds").glob("*.txt"))

FOLLOW_UP = (
    "Fighters from Maghawir al-Thawra drove out of the al-Tanf garrison and defected to Syrian "
    "government forces in Palmyra, taking U.S.-supplied machine guns and vehicles with them. "
    "Samir Ghannam al-Khidr, a former officer of the group accused of drug smuggling, led the "
    "convoy across the desert on April 14, according to rebel sources. The Russian reconciliation "
    "centre said twenty-seven militants trained by American instructors had surrendered to the "
    "Syrian army. Maghawir al-Thawra said al-Khidr left because he could no longer smuggle drugs "
    "through the 55-km zone near the Jordanian border."
)
OTHER_EVENT = (
    "A drone attack struck a logistics depot near the port of Tartus on Saturday night, setting "
    "fire to fuel tanks, the governor said. Firefighters from Latakia and Baniyas battled the "
    "blaze until dawn and three workers were taken to hospital with burns. Investigators "
    "collected fragments of the aircraft, which flew in from the sea, and the ministry promised "
    "compensation to fishermen whose boats were damaged in the harbour."
)


def _known() -> KnownArticles:
    return seeded_known()


def test_new_report_on_seed_story_joins_it_without_being_a_copy() -> None:
    known = _known()
    res = known.check(signature(FOLLOW_UP, title="Maghawir al-Thawra defectors reach Palmyra"))
    assert res.duplicate_of is None
    assert res.story is not None and res.story.startswith(("000_", "001_", "002_", "004_"))
    assert "same story" in res.reason


def test_report_on_another_event_starts_a_new_story() -> None:
    res = _known().check(signature(OTHER_EVENT, title="Drone hits depot near Tartus"))
    assert res.duplicate_of is None
    assert res.story is None


def test_an_old_story_is_reopened_only_by_a_report_of_its_event() -> None:
    known = KnownArticles(story_window=timedelta(days=14))
    first = datetime(2020, 4, 15, tzinfo=UTC)
    seed = SEEDS[0].read_text(encoding="utf-8")
    known.add("first", signature(seed, published=first), story="first")
    near = known.check(signature(FOLLOW_UP, published=first + timedelta(days=2)))
    later = known.check(signature(FOLLOW_UP, published=first + timedelta(days=90)))
    # the same names, but no date or figure of the event: the subject again, not the event
    vague = FOLLOW_UP.replace("on April 14", "").replace("twenty-seven", "some")
    other = known.check(signature(vague, published=first + timedelta(days=90)))
    assert near.story == "first"
    assert later.story == "first"  # names the day of the defection: a report of that event
    assert other.story is None


def test_story_terms_favour_names_and_dates() -> None:
    terms = story_terms(FOLLOW_UP, title="Defectors reach Palmyra")
    assert "date:apr-14" in terms[:10]
    assert any(t.startswith("ent:") and "khidr" in t for t in terms)
    assert "the" not in terms


_DAY = datetime(2020, 4, 16, tzinfo=UTC)
# A follow-up's evidence split over two earlier reports of one event: neither alone says it all.
_BRIDGE_A = (
    "Shelling hit the pumping station at Qaryatayn on Monday and the Zenobia water board cut "
    "supplies to nine villages. Engineers from the Halbun depot inspected the cracked pipes."
)
_BRIDGE_B = (
    "Residents of Mahin queued for tanker trucks after the outage, and the Sadad clinic "
    "reported children with dysentery. Merchants raised the price of bottled water."
)
_BRIDGE_Q = (
    "The Zenobia water board said the Qaryatayn pumping station would stay shut after the "
    "shelling, while the Sadad clinic treated more dysentery cases among families in Mahin."
)


def _two_reports(same_story: bool) -> KnownArticles:
    k = KnownArticles(bars=Bars(dated=0.5))  # between one report's overlap and both's
    k.add("a", signature(_BRIDGE_A, published=_DAY - timedelta(days=6)), story="a")
    k.add("b", signature(_BRIDGE_B, published=_DAY - timedelta(days=5)),
          story="a" if same_story else "b")
    for i in range(30):  # some unrelated archive so that IDF means something
        k.add(f"x{i}", signature(f"{OTHER_EVENT} Report number {i}.", published=_DAY), story="x")
    return k


def test_story_is_scored_by_all_its_reports_not_one() -> None:
    query = signature(_BRIDGE_Q, published=_DAY)
    pooled = _two_reports(same_story=True).check(query)
    apart = _two_reports(same_story=False).check(query)
    assert pooled.story_score > apart.story_score + 0.05
    assert pooled.story == "a"
    assert apart.story is None


# Two events of the same hour near the base (our own sentences): a drone attack on the garrison and
# a drone strike on a rebel checkpoint. They share the subject and event words, nothing else.
_HOUR = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
_GARRISON = (
    "Drones attacked the al-Tanf garrison before dawn and US air defences shot down two of them, "
    "the Pentagon said. Nobody was hurt. The Islamic Resistance in Iraq claimed the attack in a "
    "statement on Telegram, its third claim this month against American troops in Syria.")
_CHECKPOINT = (
    "A drone struck a Syrian Free Army checkpoint at Zuqf, east of the al-Tanf garrison, killing "
    "four fighters, commander Salem al-Antri said. He blamed militias from across the Iraqi border "
    "and said a second drone fell near the Hamimah water well without exploding.")
_CHECKPOINT_LATER = (
    "A week after the strike on the Zuqf checkpoint that killed four of his fighters, Syrian Free "
    "Army commander Salem al-Antri buried the men in Rukban and asked for better air defences. "
    "The unexploded drone found near the Hamimah well was handed to coalition engineers.")


def _archive_of_other_news(k: KnownArticles) -> None:
    for i in range(40):  # earlier relevant reports, so that rarity means something
        k.add(f"x{i}", signature(f"Bulletin {i}: US troops at the al-Tanf garrison and Syrian "
                                 f"rebels patrolled the desert; drones and militias were discussed"
                                 f" with officials in Iraq, item {i * 7919}.",
                                 published=_HOUR - timedelta(days=30)), story=f"x{i}")


def test_two_events_of_the_same_hour_are_two_stories() -> None:
    k = KnownArticles()
    _archive_of_other_news(k)
    k.add("garrison", signature(_GARRISON, published=_HOUR), story="garrison")
    res = k.check(signature(_CHECKPOINT, published=_HOUR + timedelta(minutes=20)))
    assert res.duplicate_of is None
    assert res.story is None, res.reason


def test_a_follow_up_a_week_later_joins_its_story() -> None:
    k = KnownArticles()
    _archive_of_other_news(k)
    k.add("garrison", signature(_GARRISON, published=_HOUR), story="garrison")
    k.add("checkpoint", signature(_CHECKPOINT, published=_HOUR), story="checkpoint")
    res = k.check(signature(_CHECKPOINT_LATER, published=_HOUR + timedelta(days=7)))
    assert res.story == "checkpoint", res.reason
    assert "its own" in res.reason


def test_irrelevant_articles_open_no_story() -> None:
    k = KnownArticles()
    _archive_of_other_news(k)
    k.add("quake", signature(_CHECKPOINT, published=_HOUR), story="quake", relevant=False)
    res = k.check(signature(_CHECKPOINT_LATER, published=_HOUR + timedelta(days=1)))
    assert res.story is None


def test_a_newcomer_is_compared_with_the_story_as_a_whole() -> None:
    """No single-link chaining: a report like one member's side remark does not join."""
    k = KnownArticles()
    _archive_of_other_news(k)
    aside = ("Separately, the Zenobia water board said the Qaryatayn pumping station near Mahin "
             "stayed shut after shelling, and the Sadad clinic treated dysentery cases.")
    k.add("a", signature(_CHECKPOINT, published=_HOUR), story="a")
    k.add("b", signature(f"{_CHECKPOINT_LATER} {aside}", published=_HOUR), story="a")
    for i in range(3):
        k.add(f"a{i}", signature(_CHECKPOINT.replace("four", str(i + 5)) + f" Update {i}.",
                                 published=_HOUR), story="a")
    water = ("The Zenobia water board reopened the Qaryatayn pumping station on Thursday, and "
             "the Sadad clinic near Mahin said dysentery cases fell; engineers from Halbun "
             "replaced the pipes.")
    alone = KnownArticles()
    _archive_of_other_news(alone)
    alone.add("b", signature(f"{_CHECKPOINT_LATER} {aside}", published=_HOUR), story="b")
    query = signature(water, published=_HOUR + timedelta(days=1))
    assert k.check(query).story_score < alone.check(query).story_score


def test_reports_of_the_same_days_need_less_overlap() -> None:
    seed = SEEDS[0].read_text(encoding="utf-8")
    strict = {"bars": Bars(undated=0.99, dated=0.99, reopen=0.99)}
    near, far = KnownArticles(**strict), KnownArticles(**strict)
    for k in (near, far):
        k.add("first", signature(seed, published=_DAY), story="first")
    assert near.check(signature(FOLLOW_UP, published=_DAY + timedelta(days=1))).story == "first"
    assert far.check(signature(FOLLOW_UP, published=_DAY + timedelta(days=6))).story is None


def test_a_dated_copy_dates_its_undated_original() -> None:
    seed = SEEDS[0].read_text(encoding="utf-8")
    strict = {"bars": Bars(undated=0.99, dated=0.99, reopen=0.99)}
    dated, undated = KnownArticles(**strict), KnownArticles(**strict)
    for k in (dated, undated):
        k.add("seed", signature(seed), story="seed")
    copy = signature("Republished.\n" + seed, published=_DAY)
    dated.add("copy", copy, story="seed", duplicate_of="seed")
    follow_up = signature(FOLLOW_UP, published=_DAY + timedelta(days=1))
    assert dated.check(follow_up).story == "seed"
    assert undated.check(follow_up).story is None


def test_dates_are_the_same_term_in_every_language() -> None:
    sentences = [
        "The convoy left the camp on 14 April 2020, witnesses said.",
        "Колонна покинула лагерь 14 апреля 2020 года, сообщили свидетели.",
        "غادرت القافلة المخيم في 14 نيسان 2020 بحسب شهود.",
        "Le convoi a quitté le camp le 14 avril 2020, selon des témoins.",
        "El convoy salió del campamento el 14 de abril de 2020.",
    ]
    for sentence in sentences:
        terms = story_terms(sentence)
        assert "date:apr-14" in terms, sentence
        assert "date:2020-04-14" in terms, sentence
    assert not [t for t in story_terms("The mayor 3 times refused.") if t.startswith("date:")]


def test_undated_text_is_placed_in_time_by_the_dates_it_names() -> None:
    seed = SEEDS[0].read_text(encoding="utf-8")
    strict = {"bars": Bars(undated=0.99, dated=0.99, reopen=0.99)}
    results = {}
    for named in ("16 April 2020", "16 June 2020"):
        k = KnownArticles(**strict)
        k.add("first", signature(seed, published=_DAY), story="first")
        results[named] = k.check(signature(f"{FOLLOW_UP} The report is dated {named}."))
    assert results["16 April 2020"].story == "first"  # names the report's day: same days
    assert results["16 June 2020"].story is None  # two months on: outside the window


def test_dated_report_joins_an_undated_page_that_names_its_day() -> None:
    seed = SEEDS[0].read_text(encoding="utf-8")
    strict = {"bars": Bars(undated=0.99, dated=0.99, reopen=0.99)}
    k = KnownArticles(**strict)
    k.add("page", signature(f"{seed}\nLast events: 16 April 2020."), story="page")
    assert k.check(signature(FOLLOW_UP, published=_DAY)).story == "page"
    assert k.check(signature(FOLLOW_UP, published=_DAY + timedelta(days=20))).story is None


# Cross-script names: one invented event told in English, Russian and Arabic (our own sentences).
_EN_AID = (
    "A convoy of aid trucks reached the Rukban camp from Jordan on Tuesday, the Pentagon said. "
    "Salem Turki, who runs the camp council, told reporters that Jordanian officers had opened the "
    "crossing for the trucks and that Russian officers did not block them.")
_RU_AID = (
    "Колонна грузовиков с гуманитарной помощью прибыла в лагерь Рукбан из Иордании, сообщил "
    "Пентагон. Салем Турки, глава совета лагеря, заявил журналистам, что офицеры открыли переход.")
_AR_AID = (
    "وصلت قافلة شاحنات مساعدات إلى مخيم الركبان قادمة من الأردن يوم الثلاثاء بحسب البنتاغون، "
    "وقال سالم تركي رئيس مجلس المخيم إن ضباطا أردنيين فتحوا المعبر أمام الشاحنات.")
_AR_OTHER = (
    "أخمد رجال الإطفاء في اللاذقية وبانياس حريقا في مستودع وقود بميناء طرطوس بعد هجوم "
    "بطائرة مسيرة، ونقل ثلاثة عمال إلى المستشفى مصابين بحروق.")


def test_names_get_one_key_in_every_script() -> None:
    assert name_key("Rukban") == name_key("Рукбан") == name_key("الركبان") == "rkbn"
    assert name_key("Pentagon") == name_key("Пентагон") == name_key("البنتاغون")
    assert name_key("Jordan") == name_key("Иордания") == name_key("الأردن")
    assert name_key("Palmyra") == name_key("Пальмира") != name_key("Rukban")
    assert name_key("Homs") is None  # two consonants: too common to be a key


def test_lower_case_words_of_a_cased_script_give_no_keys() -> None:
    keys = {t for t in story_terms("the trucks reached zubaydat") if t.startswith("ent:~")}
    assert keys == set()
    assert "ent:~" + str(name_key("Zubaydat")) in story_terms("The trucks reached Zubaydat")


def test_arabic_and_russian_reports_join_the_english_story() -> None:
    day = datetime(2021, 3, 2, tzinfo=UTC)
    for text in (_RU_AID, _AR_AID):
        known = KnownArticles()
        known.add("en", signature(_EN_AID, published=day), story="en")
        res = known.check(signature(text, published=day + timedelta(days=1)))
        assert res.story == "en" and res.duplicate_of is None, text
        assert "ent:@camp" in res.reason
    known = KnownArticles()
    known.add("en", signature(_EN_AID, published=day), story="en")
    assert known.check(signature(_AR_OTHER, published=day + timedelta(days=1))).story is None


# One invented event in three languages (our own sentences): a drone hits a water station near
# Palmyra, 17 workers hurt, Daesh blamed. They share no word, only places, actors and figures.
_EN_DRONE = (
    "A drone struck the main water pumping station outside Palmyra before dawn, wounding 17 "
    "workers, the provincial health office said. Officials blamed Daesh cells hiding in the Badia "
    "desert and said the pumps serving the city of Homs would stay off for a week.")
_AR_DRONE = (
    "استهدفت طائرة مسيرة محطة ضخ المياه الرئيسية في ريف تدمر فجرا ما أدى إلى إصابة 17 عاملا، "
    "وحمّل مسؤولون خلايا داعش المنتشرة في البادية المسؤولية عن الهجوم، وتوقف الضخ نحو حمص.")
_RU_DRONE = (
    "Беспилотник атаковал главную насосную станцию под Пальмирой, ранены 17 рабочих. "
    "Чиновники обвинили ячейки ИГИЛ в пустыне Бадия, подача воды в Хомс прекращена на неделю.")
# Another event in the same places and days: a Hezbollah convoy, no drone, no casualties.
_AR_CONVOY = (
    "عبرت قافلة لحزب الله من 40 شاحنة طريق تدمر حمص باتجاه الحدود العراقية، وقال سكان إن "
    "الشاحنات حملت أسلحة وذخائر ولم تتوقف عند الحواجز.")


def _english_drone_report(published: datetime | None) -> KnownArticles:
    known = KnownArticles()
    known.add("en", signature(_EN_DRONE, published=published), story="en")
    for i in range(20):  # an archive of other Palmyra-region news, so concepts get an IDF
        known.add(f"x{i}", signature(f"{OTHER_EVENT} Palmyra and Homs bulletin {i}.",
                                     published=published), story=f"x{i}")
    return known


def test_reports_of_one_event_in_three_languages_join_one_story() -> None:
    day = datetime(2022, 5, 9, tzinfo=UTC)
    for text in (_AR_DRONE, _RU_DRONE):
        res = _english_drone_report(day).check(signature(text, published=day))
        assert res.story == "en" and res.duplicate_of is None, text
        assert "ent:@palmyra" in res.reason


def test_another_event_in_the_same_places_stays_apart() -> None:
    day = datetime(2022, 5, 9, tzinfo=UTC)
    res = _english_drone_report(day).check(signature(_AR_CONVOY, published=day))
    assert res.story is None


def test_undated_report_in_another_language_needs_a_shared_figure() -> None:
    known = _english_drone_report(None)
    assert known.check(signature(_AR_DRONE)).story == "en"  # "17": the same event
    no_figure = _AR_DRONE.replace("17", "سبعة عشر")
    assert known.check(signature(no_figure)).story is None  # concepts alone: same theatre
