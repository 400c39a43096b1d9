"""Users' votes on alerts: which ones they disputed, and labelled records for tuning.

`export_labelled` writes the `classify` input format (id, text, title, url, language,
published) plus `relevant`, the majority of the votes; a tie is no label and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.archive import Archive

__all__ = ["Disputed", "disputed", "export_labelled", "parse_vote"]


@dataclass(frozen=True)
class Disputed:
    article_id: str
    title: str
    url: str | None
    matched: bool  # what the matcher said
    relevant_votes: int
    not_relevant_votes: int


def parse_vote(data: str) -> tuple[str, bool] | None:
    """`fb:1:<article id>` -> (article id, True); anything else -> None."""
    parts = data.split(":", 2)
    if len(parts) != 3 or parts[0] != "fb" or parts[1] not in ("0", "1") or not parts[2]:
        return None
    return parts[2], parts[1] == "1"


def disputed(archive: Archive) -> list[Disputed]:
    """Voted articles where any vote disagrees with the matcher, most contested first."""
    out = []
    for article_id, (yes, no) in archive.chats.tally().items():
        article = archive.article(article_id) or {}
        matched = bool(article.get("relevant"))
        if (no if matched else yes) == 0:
            continue
        out.append(Disputed(article_id, article.get("title") or "", article.get("url"),
                            matched, yes, no))
    return sorted(out, key=lambda d: (-min(d.relevant_votes, d.not_relevant_votes),
                                      -(d.not_relevant_votes if d.matched else d.relevant_votes),
                                      d.article_id))


def export_labelled(archive: Archive) -> list[dict[str, Any]]:
    """One record per voted article with a majority, in `classify` input format + label."""
    records = []
    for article_id, (yes, no) in archive.chats.tally().items():
        article = archive.article(article_id)
        if article is None or yes == no:
            continue
        records.append({
            "id": article_id, "text": article.get("text") or "",
            "title": article.get("title") or "", "url": article.get("url"),
            "language": article.get("language"), "published": article.get("published"),
            "relevant": yes > no,
        })
    return records
