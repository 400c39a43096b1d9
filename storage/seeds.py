"""The seed articles shipped with the package: the first known articles of every archive."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

__all__ = ["SeedArticle", "load_seeds"]


@dataclass(frozen=True)
class SeedArticle:
    id: str  # file name without extension, e.g. 000_b98742197d53d48d
    title: str
    text: str


def _title(text: str) -> str:
    # Seeds are plain text: the headline is the first line long enough to be one.
    for line in text.splitlines():
        line = line.strip()
        if len(line) >= 25:
            return line[:300]
    return text.strip()[:120]


def load_seeds() -> list[SeedArticle]:
    folder = resources.files("storage").joinpath("seeds")
    seeds = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".txt"):
            text = entry.read_text("utf-8")
            seeds.append(SeedArticle(id=entry.name[:-4], title=_title(text), text=text))
    return seeds
