"""Archive rows -> `AlertView`s for rendering, and t.me links to sent messages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.alerts.render import AlertView

__all__ = ["alert_view", "message_link"]


def message_link(chat_id: str, message_id: int | None) -> str | None:
    if message_id is None:
        return None
    if chat_id.startswith("@"):
        return f"https://t.me/{chat_id[1:]}/{message_id}"
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return None


def _published(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _sentence_terms(match: dict[str, Any]) -> tuple[str | None, tuple[tuple[int, int], ...]]:
    sentence = match.get("key_sentence")
    if not sentence:
        return None, ()
    spans = []
    for hit in match.get("hits", []):
        found = hit.get("found") or ""
        at = sentence.find(found) if found else -1
        if at >= 0:
            spans.append((at, at + len(found)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda s: (s[0], -s[1])):
        if merged and start < merged[-1][1]:
            continue  # overlapping terms: keep the longest first one; bold tags must not nest
        merged.append((start, end))
    return sentence, tuple(merged)


def alert_view(article: dict[str, Any], *, story: dict[str, Any] | None = None,
               story_link: str | None = None, archive_url: str | None = None,
               hashtags: Mapping[str, str] | None = None) -> AlertView:
    """`archive_url`, e.g. a Datasette row page with `{id}`, turns the archive id into a link;
    `hashtags`: topic id -> "#Tag" (the registry's)."""
    match = json.loads(article["match"]) if article.get("match") else {}
    topics = tuple(json.loads(article.get("topics") or "[]"))
    sentence, terms = _sentence_terms(match)
    return AlertView(
        title=article.get("title") or article.get("url") or article["id"],
        # `url` is the page's own canonical link; `canonical_url` is only a comparison key.
        url=article.get("url") or article.get("canonical_url") or "",
        outlet=article.get("outlet") or article.get("source") or "",
        language=article.get("language"),
        published=_published(article.get("published")),
        topics=topics,
        sentence=sentence,
        terms=terms,
        score=float(article.get("score") or 0.0),
        story_line=(story.get("title") or story["id"]) if story else None,
        story_link=story_link,
        archive_ref=archive_url.format(id=article["id"]) if archive_url else article["id"],
        hashtags=tuple(hashtags[t] for t in topics if t in hashtags) if hashtags else (),
    )
