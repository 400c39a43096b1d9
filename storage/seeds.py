"""The seed articles shipped with the package: the first known articles of every archive."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

__all__ = ["SeedArticle", "load_seeds"]


@dataclass(frozen=True)
class SeedArticle:
    id: str  # file name without extension, e.g. 000_b98742197d53d48d
    title: str
    text: str
    url: str | None = None
    outlet: str | None = None
    published: datetime | None = None


def _title(text: str) -> str:
    # Seeds are plain text: without metadata, the headline is the first line long enough.
    for line in text.splitlines():
        line = line.strip()
        if len(line) >= 25:
            return line[:300]
    return text.strip()[:120]


def _date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


def load_seeds() -> list[SeedArticle]:
    folder = resources.files("storage").joinpath("seeds")
    meta = tomllib.loads(folder.joinpath("seeds.toml").read_text("utf-8"))
    seeds = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".txt"):
            continue
        text = entry.read_text("utf-8")
        info = meta.get(entry.name[:-4], {})
        seeds.append(SeedArticle(
            id=entry.name[:-4], title=info.get("title") or _title(text), text=text,
            url=info.get("url"), outlet=info.get("outlet"), published=_date(info.get("published")),
        ))
    return seeds
