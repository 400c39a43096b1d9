"""`tanfwatch classify`: the matching and dedup contract over JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import urlsplit

from bot.settings import Settings
from matchers.judge import Judge
from matchers.registry import TopicRegistry
from matchers.relevance import load_matcher
from storage.archive import Archive
from storage.known import article_record, load_judge, seeded_judge
from watchers.dates import parse_date, read_date
from watchers.language import detect_language

__all__ = ["classify_stream", "outlet_of", "parse_published", "record_url"]


def parse_published(value: Any, *, now: datetime | None = None,
                    language: str | None = None) -> datetime | None:
    """Lenient: any date `watchers.dates` reads (ISO, partial, written out, in the record's
    language, "(inferred)"), as its anchor moment; junk or a far-future date -> None."""
    return parse_date(value, now=now, language=language)


def record_url(record: dict[str, Any]) -> str | None:
    """`url`, or a corpus-style `source` that is a web address."""
    for key in ("url", "source"):
        value = record.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
    return None


def outlet_of(url: str | None) -> str | None:
    """The site an address belongs to, for records that name no outlet."""
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def _language(record: dict[str, Any]) -> str | None:
    """The record's own language field, else the language of its text."""
    given = record.get("language_detail") or record.get("language")
    if isinstance(given, str) and given.strip() and given != "other":
        return given
    return detect_language(f"{record.get('title') or ''}\n{record['text']}")


def _record(line: str, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {number}: invalid JSON: {exc.msg}") from exc
    if not isinstance(record, dict):
        raise ValueError(f"line {number}: expected a JSON object")
    if not isinstance(record.get("id"), (str, int)) or not isinstance(record.get("text"), str):
        raise ValueError(f"line {number}: a record needs an 'id' and a string 'text'")
    return record


def classify_stream(lines: Iterable[str], out: TextIO, *, settings: Settings | None = None,
                    threshold: float | None = None,
                    topics: TopicRegistry | None = None) -> list[str]:
    """Judge every record in order; write one verdict per line; return the input errors.
    `settings`: archive the records into its database; `topics`: the topics in force
    (default: the settings', else the built-in ones)."""
    now = datetime.now(UTC)
    archive = Archive.open(settings.db_path) if settings else None
    matcher = load_matcher(threshold=threshold,
                           registry=topics or (settings.topics if settings else None))
    if archive is not None:
        judge = load_judge(archive, matcher, now=now)
    else:
        judge = seeded_judge(matcher)
    errors: list[str] = []
    try:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = _record(line, number)
            except ValueError as exc:
                errors.append(str(exc))
                continue
            _judge_one(judge, record, out, archive, now)
    finally:
        if archive is not None:
            archive.close()
    return errors


def _judge_one(judge: Judge, record: dict[str, Any], out: TextIO, archive: Archive | None,
               now: datetime) -> None:
    rid = str(record["id"])
    title = record.get("title") or ""
    url = record_url(record)
    language = _language(record)
    date = read_date(record.get("published") or record.get("date"), now=now, language=language)
    published = date.moment if date else None
    # story grouping compares days: a month or a year would pull a report ~2 weeks off
    # (dev same-story recall 0.93 -> 0.74); it only dates the archived article
    j = judge.judge(rid, record["text"], title=title, url=url, language=language,
                    published=published if date and date.exact else None)
    out.write(json.dumps(j.to_json(), ensure_ascii=False) + "\n")
    out.flush()
    if archive is not None:
        archive.add_article(article_record(
            j, text=record["text"], title=title, url=url, language=language,
            published=published, fetched_at=now, outlet=outlet_of(url), origin="classify"))
    judge.remember(j)

