"""`tanfwatch sources add URL` and `tanfwatch sources --json` as a user runs them."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta

from tests.conftest import rss, run_cli

NOW = datetime.now(UTC)


def test_sources_add_discovers_the_feed_of_a_page_and_lists_it(tmp_path, site):
    feed = site.add("news/feed.xml", rss([{"title": "Old", "link": "http://127.0.0.1:9/x",
                                           "published": NOW - timedelta(days=40)}]),
                    "application/rss+xml")
    home = site.add("home", '<html><head><link rel="alternate" type="application/rss+xml" '
                    'href="/news/feed.xml"></head><body><p>Home page</p></body></html>')
    config = tmp_path / "tanfwatch.toml"
    config.write_text('[[sources]]\nname = "first"\nurl = "https://example.org/feed"\n')
    env = {"TANFWATCH_CONFIG": str(config), "TANFWATCH_DB": str(tmp_path / "a.db")}
    added = run_cli(["sources", "add", home, "--name", "loop \"news\""], env)
    assert added.returncode == 0, added.stderr
    assert "added feed source" in added.stdout
    sources = tomllib.loads(config.read_text("utf-8"))["sources"]
    assert sources[1] == {"name": 'loop "news"', "url": feed, "kind": "feed"}
    again = run_cli(["sources", "add", home, "--name", 'loop "news"'], env)
    assert again.returncode != 0 and "duplicate name" in again.stderr
    listed = run_cli(["sources", "--json"], env)
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["kind"], r["status"], r["quiet"]) for r in rows] == [
        ("first", "feed", "new", False), ('loop "news"', "feed", "new", False)]


def test_sources_add_refuses_the_packaged_default_and_writes_a_given_file(tmp_path, site):
    page = site.add("world", "<html><body><p>A section without feeds.</p></body></html>")
    env = {"TANFWATCH_DB": str(tmp_path / "a.db")}
    refused = run_cli(["sources", "add", page], env)
    assert refused.returncode != 0 and "--config" in refused.stderr
    assert not [p for p, _ in site.requests if p == "/world"]  # refused before fetching
    target = tmp_path / "new.toml"
    added = run_cli(["sources", "add", page, "--config", str(target)], env)
    assert added.returncode == 0, added.stderr
    entry = tomllib.loads(target.read_text("utf-8"))["sources"][0]
    assert entry["kind"] == "page" and entry["url"] == page
    assert entry["name"].startswith("127-0-0-1")
