"""A running bot's week: three events near the base, their follow-ups, and unrelated news.

All reports are published within the same days, as a new user running the bot meets them, so
dates cannot separate the events: stories must rest on what the reports say. The articles are
our own sentences in the style of news reports.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import article_html, bot_env, rss, run_cli

CHAT = "-1001234567890"

GARRISON = {
    "title": "Drones attack US garrison at al-Tanf, two shot down",
    "paragraphs": [
        "Drones attacked the al-Tanf garrison in south-eastern Syria before dawn on Monday and "
        "US air defences shot down two of them, the Pentagon said. Nobody was hurt.",
        "The Islamic Resistance in Iraq claimed the attack in a statement on Telegram, its third "
        "claim this month against American troops in Syria.",
        "The base lies inside the 55-km deconfliction zone near the borders with Iraq and Jordan.",
    ],
}
GARRISON_LATER = {
    "title": "Pentagon: drones downed over al-Tanf were Iranian-made",
    "paragraphs": [
        "The two drones shot down over the al-Tanf garrison on Monday were Iranian-made Shahed "
        "models, a Pentagon spokesman said on Thursday, after engineers examined the debris.",
        "The Islamic Resistance in Iraq, which claimed the attack, has threatened more strikes on "
        "the US base in Syria.",
    ],
}
CHECKPOINT = {
    "title": "Drone kills four Syrian Free Army fighters at Zuqf checkpoint near al-Tanf",
    "paragraphs": [
        "A drone struck a Syrian Free Army checkpoint at Zuqf, east of the al-Tanf garrison, "
        "killing four fighters, commander Salem al-Antri said on Tuesday.",
        "Al-Antri blamed militias from across the Iraqi border and said a second drone fell near "
        "the Hamimah water well inside the 55-km zone without exploding.",
    ],
}
CHECKPOINT_LATER = {
    "title": "Syrian Free Army buries Zuqf fighters, asks for air defences",
    "paragraphs": [
        "A week after the strike on the Zuqf checkpoint that killed four of his fighters, Syrian "
        "Free Army commander Salem al-Antri buried the men near the al-Tanf garrison.",
        "The unexploded drone found near the Hamimah well was handed to coalition engineers at "
        "the base, al-Antri said, asking Washington for better air defences.",
    ],
}
RUKBAN = {
    "title": "Aid convoy reaches Rukban camp inside al-Tanf's 55-km zone",
    "paragraphs": [
        "A convoy of 30 United Nations trucks reached the Rukban camp inside the 55-km zone "
        "around the al-Tanf garrison on Wednesday, the first aid delivery since the spring.",
        "Camp council head Mahmoud al-Humeili said flour and medicine would last the 8,000 "
        "residents about six weeks; Jordan allowed the trucks through the Tanf crossing.",
    ],
}
QUAKE = {
    "title": "5.5 magnitude earthquake reported off the coast",
    "paragraphs": [
        "A 5.5 magnitude earthquake struck off the coast on Tuesday, the geological survey said, "
        "shaking buildings in several towns. There were no immediate reports of damage.",
        "Residents said the shaking lasted about twenty seconds; drones were used to survey "
        "cracked roads near the harbour.",
    ],
}
IDLIB = {
    "title": "Shelling hits market in Idlib province",
    "paragraphs": [
        "Shelling struck a vegetable market in Idlib province on Wednesday, wounding nine people, "
        "local rescuers said, in the latest violation of a ceasefire in north-western Syria.",
    ],
}


def _publish(site, items: list[tuple[str, dict, datetime]]) -> str:
    feed = []
    for slug, article, published in items:
        link = site.add(f"week/{slug}.html", article_html(article["title"], article["paragraphs"]))
        feed.append({"title": article["title"], "link": link, "published": published,
                     "summary": article["paragraphs"][0]})
    return site.add("week.xml", rss(feed), content_type="application/rss+xml")


def test_a_week_of_three_events_gives_three_stories_and_threaded_follow_ups(
        tmp_path, site, fake_telegram):
    now = datetime.now(UTC)
    first_day = [("garrison", GARRISON, now - timedelta(hours=30)),
                 ("quake", QUAKE, now - timedelta(hours=29)),
                 ("checkpoint", CHECKPOINT, now - timedelta(hours=28)),
                 ("idlib", IDLIB, now - timedelta(hours=27)),
                 ("rukban", RUKBAN, now - timedelta(hours=26))]
    feed_url = _publish(site, first_day)
    config = tmp_path / "tanfwatch.toml"
    config.write_text(f'[[sources]]\nname = "week"\nurl = "{feed_url}"\nkind = "feed"\n')
    env = bot_env(fake_telegram, config=config, db=tmp_path / "a.db", chat=CHAT)
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    first = {m.plain_text.splitlines()[0]: m for m in fake_telegram.messages(CHAT)}
    assert sorted(first) == sorted(a["title"] for a in (GARRISON, CHECKPOINT, RUKBAN)), first
    assert all("follow-up" not in m.plain_text for m in first.values())

    later = [("garrison-later", GARRISON_LATER, now - timedelta(hours=3)),
             ("checkpoint-later", CHECKPOINT_LATER, now - timedelta(hours=2))]
    _publish(site, first_day + later)
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    replies = fake_telegram.messages(CHAT)[len(first):]
    by_title = {m.plain_text.splitlines()[0]: m for m in replies}
    assert sorted(by_title) == sorted([GARRISON_LATER["title"], CHECKPOINT_LATER["title"]])
    garrison_id = first[GARRISON["title"]].message_id
    checkpoint_id = first[CHECKPOINT["title"]].message_id
    assert by_title[GARRISON_LATER["title"]].reply_to_message_id == garrison_id
    assert by_title[CHECKPOINT_LATER["title"]].reply_to_message_id == checkpoint_id
    assert not any(QUAKE["title"] in m.plain_text for m in fake_telegram.messages(CHAT))
