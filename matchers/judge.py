"""Judge one article: relevance, copy and story, in one pure decision.

`Judge` holds the matcher and the known articles (seeds + archive). `judge()`
decides without changing anything; `remember()` adds the article to the known
set. Keeping the two apart lets `classify` and the daemon share the exact rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .dedup import DedupResult, KnownArticles, Signature, signature
from .relevance import Matcher, MatchResult
from .urls import canonical_url

__all__ = ["Judge", "Judgement"]


@dataclass(frozen=True)
class Judgement:
    id: str
    match: MatchResult
    dedup: DedupResult
    signature: Signature
    canonical_url: str | None

    @property
    def relevant(self) -> bool:
        return self.match.relevant

    @property
    def duplicate_of(self) -> str | None:
        return self.dedup.duplicate_of

    @property
    def story(self) -> str:
        """The story id: the first article of the story, or this article if it opens one."""
        return self.dedup.story or self.id

    @property
    def alert(self) -> bool:
        """Alert only relevant articles that are not copies of a known one."""
        return self.relevant and self.duplicate_of is None

    @property
    def follow_up(self) -> bool:
        return self.story != self.id

    def to_json(self) -> dict[str, Any]:
        """The `tanfwatch classify` output record."""
        return {
            "id": self.id,
            "relevant": self.relevant,
            "score": round(self.match.score, 4),
            "topics": list(self.match.topics),
            "duplicate_of": self.duplicate_of,
            "story": self.story,
        }


class Judge:
    def __init__(self, matcher: Matcher, known: KnownArticles | None = None) -> None:
        self.matcher = matcher
        self.known = known if known is not None else KnownArticles()

    def judge(self, article_id: str, text: str, *, title: str = "", url: str | None = None,
              language: str | None = None, published: datetime | None = None) -> Judgement:
        match = self.matcher.match(text, title=title, language=language)
        # story terms only where a story can follow: an irrelevant article opens none
        sig = signature(text, title=title, published=published, terms=match.relevant)
        canon = canonical_url(url) if url else None
        dedup = self.known.check(sig, url=canon, stories=match.relevant, url_is_canonical=True)
        return Judgement(article_id, match, dedup, sig, canon)

    def remember(self, judgement: Judgement) -> None:
        self.known.add(
            judgement.id,
            judgement.signature,
            story=judgement.story,
            url=judgement.canonical_url,
            duplicate_of=judgement.duplicate_of,
            url_is_canonical=True,
            relevant=judgement.relevant,
        )
