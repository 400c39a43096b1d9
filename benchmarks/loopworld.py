"""A loopback world for the daemon benchmarks: feeds of generated news with their pages,
served by tests/loopback.py, and the daemon (`python -m bot run`) as a child process.

The articles are written here from word pools (no corpus text): each relevant one is a
distinct report about the al-Tanf garrison, each other one a Syria or welfare story, so the
judge has real work and dedup finds no copies. `World.publish` adds entries to a feed while
the daemon runs; the feed keeps its newest `keep` entries.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.conftest import article_html, rss  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402

__all__ = ["Article", "World", "daemon_env", "integrity", "outbox_counts", "spawn_daemon"]

_ACTORS = ["A coalition spokesman", "A Pentagon official", "Local tribal elders",
           "Commanders of Maghawir al-Thawra", "Residents of the Rukban camp", "A monitor group",
           "Jordanian border guards", "An Iraqi militia", "A UN envoy", "Activists in Homs"]
_EVENTS = ["drones were shot down", "a supply convoy arrived", "rockets landed in the desert",
           "a patrol found an arms cache", "talks on the camp's water supply resumed",
           "an airstrike hit a truck", "troops held a training exercise",
           "a sandstorm grounded helicopters", "aid trucks were turned back",
           "a checkpoint was moved"]
_PLACES = ["the al-Tanf garrison", "the At Tanf base", "the al-Tanf border crossing",
           "the 55-kilometre zone around al-Tanf", "the outpost at al-Tanf"]
_DETAILS = ["near the Jordanian border", "in Homs province", "east of Palmyra",
            "on the Baghdad-Damascus highway", "in the Badia desert", "south of the Euphrates"]
_OTHER = ["A United Nations convoy reached Idlib as storms flooded camps near Sarmada.",
          "Farmers in Daraa said the wheat harvest was the smallest in a decade.",
          "The county's TANF cash assistance programme raises benefits for needy families.",
          "Shops in Aleppo reopened after power returned to the old city's souks.",
          "Caseworkers said welfare applications rose as rents climbed downtown."]
_SYLLABLES = ["ka", "ro", "mi", "ta", "zu", "ne", "lo", "vi", "sa", "de", "pu", "gri"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def _sentence(rng: random.Random) -> str:
    return (f"{rng.choice(_ACTORS)} said {rng.choice(_EVENTS)} at {rng.choice(_PLACES)} "
            f"{rng.choice(_DETAILS)}, {rng.randint(2, 90)} km from {_word(rng).title()}, "
            f"and that the {_word(rng)} unit of {_word(rng).title()} was told on "
            f"{rng.choice(['Monday', 'Tuesday', 'Friday', 'Sunday'])}.")


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    relevant: bool  # written about al-Tanf (what the judge should find)


def make_article(n: int, rng: random.Random, *, relevant: bool) -> Article:
    code = f"{_word(rng).title()} {n:04d}"
    if relevant:
        title = f"{rng.choice(_EVENTS).capitalize()} at {rng.choice(_PLACES)} ({code})"
        paragraphs = tuple(" ".join(_sentence(rng) for _ in range(3)) for _ in range(4))
    else:
        title = f"{rng.choice(_OTHER).split(' ', 6)[-1][:60]} ({code})"
        paragraphs = tuple(" ".join(rng.sample(_OTHER, 3)) + f" {_word(rng).title()} said."
                           for _ in range(3))
    return Article(f"a{n:05d}", title, paragraphs, relevant)


@dataclass
class World:
    """Feeds `feed0.xml`.. on one loopback server; entries added with `publish`."""

    feeds: int
    keep: int = 60  # newest entries a feed lists
    seed: int = 1
    server: LoopbackServer = field(default_factory=LoopbackServer)
    articles: dict[str, Article] = field(default_factory=dict)  # url -> article
    _items: list[list[dict]] = field(default_factory=list)
    _n: int = 0
    fresh: int = 0  # entries added by the last publish

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._items = [[] for _ in range(self.feeds)]

    def __enter__(self) -> World:
        self.server.start()
        for f in range(self.feeds):
            self._write(f)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def feed_url(self, f: int) -> str:
        return self.server.url_for(f"feed{f}.xml")

    def publish(self, count: int, *, share_relevant: float = 0.6) -> None:
        """Add `count` new entries, spread over the feeds, each with its page."""
        touched, self.fresh = set(), count
        for _ in range(count):
            self._n += 1
            art = make_article(self._n, self.rng, relevant=self.rng.random() < share_relevant)
            url = self.server.add(f"news/{art.slug}.html",
                                  article_html(art.title, list(art.paragraphs)))
            self.articles[url] = art
            f = self._n % self.feeds
            self._items[f].insert(0, {"title": art.title, "link": url,
                                      "published": datetime.now(UTC) - timedelta(minutes=1),
                                      "summary": art.paragraphs[0]})
            touched.add(f)
        for f in touched:
            self._write(f)

    def _write(self, f: int) -> None:
        items = self._items[f][: self.keep]
        self.server.add(f"feed{f}.xml", rss(items, title=f"Loopback desk {f}"),
                        content_type="application/rss+xml")

    def relevant_urls(self) -> list[str]:
        return [url for url, art in self.articles.items() if art.relevant]


def daemon_env(*, config: Path, db: Path, token: str, api_base: str, chat: str
               ) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TANFWATCH_"))}
    env.update({"TANFWATCH_CONFIG": str(config), "TANFWATCH_DB": str(db),
                "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_CHAT_ID": chat,
                "TELEGRAM_API_BASE": api_base})
    return env


def spawn_daemon(env: dict[str, str], log: Path) -> subprocess.Popen:
    """`python -m bot -v run`, its log appended to `log`."""
    with log.open("a") as out:
        return subprocess.Popen([sys.executable, "-m", "bot", "-v", "run"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=out)


def outbox_counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("select status, count(*) from outbox group by status"))
    except sqlite3.OperationalError:  # not created yet
        return {}
    finally:
        conn.close()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("pragma integrity_check").fetchone()[0]
    finally:
        conn.close()
