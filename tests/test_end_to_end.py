"""The whole pipeline over loopback: feed + pages -> match -> dedup -> archive -> fake Bot API."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.seeds import load_seeds
from tests.articles import SYRIA_OTHER, TANF_DRONE, TANF_WELFARE
from tests.conftest import article_html, bot_env, rss, run_cli

CHAT = "-1001234567890"


def publish(site, items: list[tuple[str, dict, str | None]], now: datetime) -> str:
    """Serve pages for (slug, article, canonical) and an RSS feed listing them, newest first."""
    feed_items = []
    for age, (slug, article, canonical) in enumerate(items):
        link = site.add(f"news/{slug}.html", article_html(article["title"], article["paragraphs"],
                                                          canonical=canonical))
        feed_items.append({"title": article["title"], "link": link,
                           "published": now - timedelta(hours=age + 1),
                           "summary": article["paragraphs"][0]})
    return site.add("feed.xml", rss(feed_items), content_type="application/rss+xml")


def seed_copy() -> dict:
    """A republished seed article: same text, new outlet, new URL (paragraphs from the seed)."""
    seed = load_seeds()[4]
    paragraphs = [p.strip() for p in seed.text.split("\n") if len(p.strip()) > 40]
    return {"title": seed.title, "paragraphs": paragraphs}


def write_config(tmp_path: Path, feed_url: str) -> Path:
    path = tmp_path / "tanfwatch.toml"
    path.write_text(f'[[sources]]\nname = "loopback-news"\nurl = "{feed_url}"\nkind = "feed"\n')
    return path


def test_one_alert_for_the_one_new_relevant_report(tmp_path, site, fake_telegram):
    now = datetime.now(UTC)
    feed_url = publish(site, [
        ("tanf-drones", TANF_DRONE, None),
        ("republished", seed_copy(), None),
        ("tanf-welfare", TANF_WELFARE, None),
        ("idlib-aid", SYRIA_OTHER, None),
    ], now)
    db = tmp_path / "archive.db"
    env = bot_env(fake_telegram, config=write_config(tmp_path, feed_url), db=db, chat=CHAT)
    first = run_cli(["run", "--once"], env)
    assert first.returncode == 0, first.stderr
    sent = fake_telegram.messages(CHAT)
    assert len(sent) == 1, [m.plain_text[:80] for m in sent]
    assert "al-Tanf" in sent[0].plain_text and sent[0].parse_mode == "HTML"
    assert fake_telegram.token not in first.stderr + first.stdout

    second = run_cli(["run", "--once"], env)
    assert second.returncode == 0, second.stderr
    assert len(fake_telegram.messages(CHAT)) == 1  # nothing new, nothing resent

    conn = sqlite3.connect(db)
    rows = {title: (rel, dup) for title, rel, dup in conn.execute(
        "select title, relevant, duplicate_of from articles where origin = 'feed'")}
    assert rows[TANF_DRONE["title"]] == (1, None)
    assert rows[TANF_WELFARE["title"]][0] == 0
    assert rows[SYRIA_OTHER["title"]][0] == 0
    assert rows[seed_copy()["title"]][1] == load_seeds()[4].id
    sent_row = conn.execute("select status, message_id from outbox").fetchall()
    assert sent_row == [("sent", sent[0].message_id)]


def test_without_a_token_alerts_print_to_the_console(tmp_path, site):
    feed_url = publish(site, [("tanf-drones", TANF_DRONE, None)], datetime.now(UTC))
    env = {"TANFWATCH_CONFIG": str(write_config(tmp_path, feed_url)),
           "TANFWATCH_DB": str(tmp_path / "a.db")}
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    assert TANF_DRONE["title"] in result.stdout
    again = run_cli(["run", "--once"], env)
    assert TANF_DRONE["title"] not in again.stdout  # marked sent: printed once


def test_first_poll_does_not_flood_with_old_entries(tmp_path, site):
    old = datetime.now(UTC) - timedelta(days=10)
    feed_url = publish(site, [("tanf-drones", TANF_DRONE, None)], old)
    env = {"TANFWATCH_CONFIG": str(write_config(tmp_path, feed_url)),
           "TANFWATCH_DB": str(tmp_path / "a.db")}
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    assert TANF_DRONE["title"] not in result.stdout
    conn = sqlite3.connect(tmp_path / "a.db")
    assert conn.execute("select count(*) from seen").fetchone()[0] == 1
    assert conn.execute("select count(*) from outbox").fetchone()[0] == 0


def test_unusable_config_exits_non_zero_with_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nname = "x"\nurl = "http://127.0.0.1:9/f"\ninterval = "often"\n')
    result = run_cli(["run", "--once"], {"TANFWATCH_CONFIG": str(bad),
                                         "TANFWATCH_DB": str(tmp_path / "a.db")})
    assert result.returncode != 0
    assert "sources[0].interval" in result.stderr


def test_failing_source_is_reported_not_fatal(tmp_path, site):
    good = publish(site, [("tanf-drones", TANF_DRONE, None)], datetime.now(UTC))
    config = tmp_path / "two.toml"
    config.write_text(
        f'[[sources]]\nname = "broken"\nurl = "{site.url_for("missing.xml")}"\n'
        f'[[sources]]\nname = "good"\nurl = "{good}"\n')
    env = {"TANFWATCH_CONFIG": str(config), "TANFWATCH_DB": str(tmp_path / "a.db")}
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    assert TANF_DRONE["title"] in result.stdout
    assert "broken" in result.stderr and "404" in result.stderr


def test_story_copy_and_follow_up(tmp_path, site, fake_telegram):
    """One alert for a story, none for its copy, the follow-up as a reply to the first alert."""
    from tests.articles import TANF_FOLLOW_UP

    now = datetime.now(UTC)
    feed_url = publish(site, [("tanf-drones", TANF_DRONE, None)], now - timedelta(hours=5))
    env = bot_env(fake_telegram, config=write_config(tmp_path, feed_url), db=tmp_path / "a.db",
                  chat=CHAT)
    assert run_cli(["run", "--once"], env).returncode == 0
    [first] = fake_telegram.messages(CHAT)

    wire = ["(Wire) Reporting by our correspondents."]
    syndicated = {"title": "Wire report: " + TANF_DRONE["title"],
                  "paragraphs": wire + TANF_DRONE["paragraphs"]}
    publish(site, [("follow-up", TANF_FOLLOW_UP, None), ("syndicated", syndicated, None),
                   ("tanf-drones", TANF_DRONE, None)], now)
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    sent = fake_telegram.messages(CHAT)
    assert len(sent) == 2, [m.plain_text[:60] for m in sent]
    follow = sent[1]
    assert TANF_FOLLOW_UP["title"] in follow.plain_text
    assert follow.reply_to_message_id == first.message_id
    conn = sqlite3.connect(tmp_path / "a.db")
    dup = conn.execute("select duplicate_of from articles where title = ?",
                       [syndicated["title"]]).fetchone()
    first_id = conn.execute("select id from articles where title = ?",
                            [TANF_DRONE["title"]]).fetchone()[0]
    assert dup == (first_id,)


def test_sources_added_through_the_bot_never_reach_private_addresses(tmp_path, site):
    """A bot-added source is untrusted: a loopback URL is refused, a config source is not."""
    from storage.archive import Archive

    feed_url = publish(site, [("tanf-drones", TANF_DRONE, None)], datetime.now(UTC))
    db = tmp_path / "a.db"
    archive = Archive.open(db)
    archive.chats.add_source("from-bot", feed_url, added_by=1, now=datetime.now(UTC))
    archive.close()
    env = {"TANFWATCH_CONFIG": str(write_config(tmp_path, feed_url)), "TANFWATCH_DB": str(db)}
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(db)
    rows = dict(conn.execute("select name, status from sources"))
    assert rows == {"loopback-news": "ok", "from-bot": "error"}
    error = conn.execute("select last_error from sources where name = 'from-bot'").fetchone()[0]
    assert "127.0.0.1" in error or "private" in error or "loopback" in error
    assert len(site.requests) == 2  # the feed and its article, fetched for the config source only


def test_follow_ups_pending_together_arrive_as_one_reply_in_digest_mode(
        tmp_path, site, fake_telegram):
    """A chat that chose `digest`: two follow-ups of one story, one "also reported by" reply."""
    from storage.archive import Archive
    from tests.articles import TANF_FOLLOW_UP, TANF_SECOND_FOLLOW_UP

    now = datetime.now(UTC)
    feed_url = publish(site, [("tanf-drones", TANF_DRONE, None)], now - timedelta(hours=5))
    db = tmp_path / "a.db"
    env = bot_env(fake_telegram, config=write_config(tmp_path, feed_url), db=db, chat=CHAT)
    assert run_cli(["run", "--once"], env).returncode == 0
    [first] = fake_telegram.messages(CHAT)
    archive = Archive.open(db)
    archive.chats.set_follow_ups(CHAT, "digest", now=now)
    archive.close()

    publish(site, [("follow-up", TANF_FOLLOW_UP, None),
                   ("second-follow-up", TANF_SECOND_FOLLOW_UP, None),
                   ("tanf-drones", TANF_DRONE, None)], now)
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    sent = fake_telegram.messages(CHAT)
    assert len(sent) == 2, [m.plain_text[:60] for m in sent]
    also = sent[1]
    assert also.reply_to_message_id == first.message_id
    assert also.plain_text.startswith("↪️ Also reported by")
    assert TANF_FOLLOW_UP["title"] in also.plain_text
    assert TANF_SECOND_FOLLOW_UP["title"] in also.plain_text


def test_config_mute_archives_follow_ups_without_sending_them(tmp_path, site, fake_telegram):
    """`follow_ups = "mute"` in the config: the story is alerted, its follow-up
    is archived and its alert parked as muted, never sent."""
    from tests.articles import TANF_FOLLOW_UP

    now = datetime.now(UTC)
    feed_url = publish(site, [("tanf-drones", TANF_DRONE, None)], now - timedelta(hours=5))
    config = write_config(tmp_path, feed_url)
    config.write_text('[tanfwatch]\nfollow_ups = "mute"\n\n' + config.read_text())
    db = tmp_path / "a.db"
    env = bot_env(fake_telegram, config=config, db=db, chat=CHAT)
    assert run_cli(["run", "--once"], env).returncode == 0
    publish(site, [("follow-up", TANF_FOLLOW_UP, None), ("tanf-drones", TANF_DRONE, None)], now)
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    assert [m.plain_text.count(TANF_DRONE["title"]) > 0 for m in fake_telegram.messages(CHAT)] \
        == [True]
    conn = sqlite3.connect(db)
    rows = conn.execute("select a.title, o.status from outbox o join articles a "
                        "on a.id = o.article_id order by o.id").fetchall()
    assert rows == [(TANF_DRONE["title"], "sent"), (TANF_FOLLOW_UP["title"], "muted")]
