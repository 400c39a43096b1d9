"""The topic registry: the config's [[topics]] add and extend topics, everywhere topics show."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.serve.datasette import load_metadata
from bot.settings import ConfigError, load_settings
from bot.telegram.commands import build_application, start_bot, stop_bot
from matchers.registry import builtin_registry
from storage.archive import Archive
from tests.articles import TANF_WELFARE
from tests.conftest import bot_env, run_cli
from tests.test_commands import PRIVATE, ask
from tests.test_end_to_end import CHAT, publish

# the example, as a user would write it
TOPICS = """
[[topics]]
id = "rukban-camp"            # new topic
label = "Rukban camp"
hashtag = "Rukban"
names = ["Rukban", "الركبان", "Рукбан"]    # plain names, any script
context = ["camp", "displaced", "مخيم"]     # optional: words that must be near for short names

[[topics]]
id = "maghawir-al-thawra"     # extends a built-in topic
names = ["Jaish Suriya al-Hurra"]
"""
RUKBAN = {
    "title": "Aid convoy reaches Rukban camp after months of siege",
    "paragraphs": [
        "A United Nations aid convoy reached the Rukban camp for displaced people on Monday, "
        "bringing flour, medicine and fuel to families stranded in the desert.",
        "Residents of the camp said food prices had tripled since the last delivery and that "
        "several children had died for lack of medical care.",
    ],
}
JAISH = {
    "title": "Rebel group trains new recruits",
    "paragraphs": [
        "Fighters of Jaish Suriya al-Hurra trained new recruits in the eastern desert this week, "
        "the group said in a statement.",
        "The group's commander said the recruits would guard supply routes against "
        "smugglers.",
    ],
}


def config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "tanfwatch.toml"
    path.write_text(extra + TOPICS, encoding="utf-8")
    return path


def records(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    lines = [{"id": name, "title": a["title"], "text": "\n".join(a["paragraphs"])}
             for name, a in (("rukban", RUKBAN), ("welfare", TANF_WELFARE), ("jaish", JAISH))]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    return path


def verdicts(stdout: str) -> dict[str, dict]:
    return {v["id"]: v for v in map(json.loads, stdout.splitlines())}


def test_classify_honours_the_configs_topics(tmp_path):
    result = run_cli(["--config", str(config(tmp_path)), "classify", str(records(tmp_path))], {})
    assert result.returncode == 0, result.stderr
    got = verdicts(result.stdout)
    assert got["rukban"]["relevant"] and got["rukban"]["topics"] == ["rukban-camp"]
    assert not got["welfare"]["relevant"] and got["welfare"]["topics"] == []
    assert got["jaish"]["topics"] == ["maghawir-al-thawra"]  # named only by its new name
    # the built-in topics alone know neither
    builtin = verdicts(run_cli(["classify", str(records(tmp_path))], {}).stdout)
    assert builtin["rukban"]["topics"] == [] and builtin["jaish"]["topics"] == []


def test_a_one_word_name_counts_only_with_a_context_word_near_it():
    registry = builtin_registry().with_config([{
        "id": "rukban-camp", "names": ["Rukban"], "context": ["camp"]}])
    from matchers.relevance import load_matcher

    matcher = load_matcher(registry=registry)
    far = "Rukban is a family name. " + "Nothing else happened in the town that day. " * 8
    assert matcher.match(far + "The camp was quiet.", "Rukban").topics == ()
    assert matcher.match("Rukban camp gets water again", "Rukban camp").topics == ("rukban-camp",)


@pytest.mark.parametrize(("entry", "message"), [
    ('names = "Rukban"', "topics[0].names: expected a list of non-empty strings"),
    ('names = ["Rukban"]\nregex = "x"', "topics[0].regex: unknown key"),
    ('names = ["Rukban"]\npatterns = ["(unclosed"]', "topics[0].patterns[0]: not a valid regex"),
    ('label = "Rukban camp"', "topics[0].names: a topic entry needs names or patterns"),
    ('names = ["Ru"]', "topics[0].names: 'Ru' is too short"),
    ('names = ["Rukban"]\nwords = ["tanf"]', "topics: 'tanf' would name both"),
    ('names = ["Rukban"]\nhashtag = "Rukban camp"', "topics[0].hashtag: 'Rukban camp' must be"),
])
def test_a_bad_topic_entry_is_one_error_naming_the_key(tmp_path, entry, message):
    path = tmp_path / "bad.toml"
    path.write_text(f'[[topics]]\nid = "rukban-camp"\n{entry}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(message)
    result = run_cli(["--config", str(path), "topics"], {})
    assert result.returncode == 1 and result.stderr.strip().endswith(str(caught.value))


def test_topics_lists_each_topic_and_where_it_came_from(tmp_path):
    result = run_cli(["--config", str(config(tmp_path)), "topics", "--json"], {})
    assert result.returncode == 0, result.stderr
    listed = {t["id"]: t for t in json.loads(result.stdout)}
    assert list(listed) == ["al-tanf", "maghawir-al-thawra", "55km-zone", "rukban-camp"]
    assert listed["rukban-camp"]["origin"] == "config"
    assert listed["rukban-camp"]["hashtag"] == "#Rukban"
    assert listed["maghawir-al-thawra"]["origin"] == "built-in"
    assert listed["maghawir-al-thawra"]["extended"] is True
    assert listed["al-tanf"]["extended"] is False
    text = run_cli(["--config", str(config(tmp_path)), "topics"], {}).stdout.splitlines()
    assert text[3].startswith("rukban-camp") and "config (3 names)" in text[3]
    assert "built-in, extended by the config (1 name)" in text[1]


@pytest.fixture
async def bot_with_topics(tmp_path, fake_telegram) -> AsyncIterator[Archive]:
    env = {"TELEGRAM_BOT_TOKEN": fake_telegram.token, "TELEGRAM_API_BASE": fake_telegram.base_url}
    settings = load_settings(config(tmp_path), env, db_path=tmp_path / "a.db")
    archive = Archive.open(settings.db_path)
    app = build_application(settings, archive,
                            clock=lambda: datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    await start_bot(app, poll_timeout=1)
    try:
        yield archive
    finally:
        await stop_bot(app)
        archive.close()


async def test_subscribe_to_a_config_topic_over_the_bot_api(bot_with_topics, fake_telegram):
    archive = bot_with_topics
    assert "rukban-camp (Rukban camp)" in await ask(fake_telegram, "/help")
    assert "rukban-camp" in await ask(fake_telegram, "/subscribe rukban-camp")
    assert archive.chats.subscribers(["rukban-camp"]) == [str(PRIVATE)]
    assert archive.chats.subscribers(["al-tanf"]) == []
    answer = await ask(fake_telegram, "/subscribe tanf")  # kept in the registry's order
    assert "al-tanf, rukban-camp" in answer
    assert "Rukban camp" in await ask(fake_telegram, "/start")


def test_alerts_carry_the_config_topics_hashtag(tmp_path, site, fake_telegram):
    feed_url = publish(site, [("rukban", RUKBAN, None)], datetime.now(UTC))
    sources = f'[[sources]]\nname = "loopback-news"\nurl = "{feed_url}"\nkind = "feed"\n'
    env = bot_env(fake_telegram, config=config(tmp_path, sources), db=tmp_path / "a.db",
                  chat=CHAT)
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    [sent] = fake_telegram.messages(CHAT)
    assert RUKBAN["title"] in sent.plain_text
    assert "#Rukban" in sent.plain_text.splitlines()


def test_datasette_metadata_names_the_topics_in_force(tmp_path):
    registry = load_settings(config(tmp_path), env={}).topics
    meta = load_metadata("archive", registry)
    assert "Rukban camp" in meta["description"]
    columns = meta["databases"]["archive"]["tables"]["articles"]["columns"]
    assert "rukban-camp" in columns["topics"] and "al-Tanf" in columns["relevant"]


def test_a_chat_subscribed_to_all_topics_gets_a_topic_the_config_adds_later(tmp_path):
    from storage.archive import Archive
    from storage.chats import ALL_TOPICS

    when = datetime(2026, 11, 20, tzinfo=UTC)
    archive = Archive.open(tmp_path / "a.db")
    try:
        chats = archive.chats
        built_in = ("al-tanf", "maghawir-al-thawra", "55km-zone")
        chats.subscribe("555", [ALL_TOPICS], now=when, known=built_in)
        chats.subscribe("777", ["al-tanf"], now=when, known=built_in)
        # a later config adds rukban-camp: the "all" chat gets it, the one-topic chat does not
        assert chats.subscribers(["rukban-camp"]) == ["555"]
        assert chats.subscribers(["al-tanf"]) == ["555", "777"]
        chats.subscribe("555", ["al-tanf"], now=when, known=built_in)  # all stays all
        assert chats.subscription("555").topics == (ALL_TOPICS,)
        # dropping one topic from "all" leaves the others in force, named
        left = chats.unsubscribe("555", ["55km-zone"], now=when,
                                 known=(*built_in, "rukban-camp"))
        assert left.topics == ("al-tanf", "maghawir-al-thawra", "rukban-camp")
        assert chats.subscribers(["55km-zone"]) == []
    finally:
        archive.close()
