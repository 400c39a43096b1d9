"""A labelled corpus as a running bot meets it: every event re-dated into one short window.

With their real dates, reports of different events lie years apart and the dates do the
separating; a running bot sees many events within the same weeks. `redate` moves each story (the
records sharing a `story` label, or a copy cluster) to a random moment of one window (three weeks
by default), its reports within `spread` of each other, every other record anywhere in the window,
and returns the records in date order. The texts keep the dates they mention, as real follow-ups
do. Seeded: the same arguments give the same stream.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

__all__ = ["LIVE_START", "event_key", "redate", "seed_dates"]

LIVE_START = datetime(2026, 11, 2, tzinfo=UTC)


def event_key(record: dict, cluster: dict[str, str] | None = None) -> str:
    """The event a record reports: its story label, else its copy cluster, else itself."""
    if record.get("story"):
        return "story:" + record["story"]
    if cluster is not None:
        return "copies:" + cluster.get(record["id"], record["id"])
    return "id:" + record["id"]


def redate(records: list[dict], *, cluster: dict[str, str] | None = None,
           start: datetime = LIVE_START, window: timedelta = timedelta(days=21),
           spread: timedelta = timedelta(days=2), seed: int = 20261102) -> list[dict]:
    """Copies of the records with `date` set inside the window, sorted by it (ties: file order)."""
    rnd = random.Random(seed)
    base: dict[str, float] = {}
    span = window.total_seconds()
    spread_s = spread.total_seconds()
    out = []
    for order, r in enumerate(records):
        key = event_key(r, cluster)
        grouped = not key.startswith("id:")
        if key not in base:
            base[key] = rnd.uniform(0.0, span - (spread_s if grouped else 0.0))
        offset = base[key] + (rnd.uniform(0.0, spread_s) if grouped else 0.0)
        moment = start + timedelta(seconds=round(offset))
        out.append((moment, order, {**r, "date": moment.isoformat(),
                                    "original_date": r.get("date")}))
    out.sort(key=lambda item: (item[0], item[1]))
    return [r for _, _, r in out]


def seed_dates(seed_ids: list[str], stream: list[dict], cluster: dict[str, str]
               ) -> dict[str, datetime]:
    """Live dates for the seeds: the seeds are known reports of a corpus story, so they move
    with it, to the earliest re-dated report of their event (seeds of no event keep theirs)."""
    earliest: dict[str, datetime] = {}
    for r in stream:
        moment = datetime.fromisoformat(r["date"])
        for key in (cluster.get(r["id"], r["id"]), event_key(r)):
            if key not in earliest or moment < earliest[key]:
                earliest[key] = moment
    story_of_cluster = {cluster.get(r["id"], r["id"]): event_key(r) for r in stream
                        if r.get("story")}
    out = {}
    for seed in seed_ids:
        root = cluster.get(seed, seed)
        key = story_of_cluster.get(root, root)
        if key in earliest:
            out[seed] = earliest[key]
    return out
