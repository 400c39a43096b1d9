"""What the read-only commands print: `check` and `sources` (`status` is bot/reports/status.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.settings import Settings
from bot.sourcekinds import source_url
from matchers.relevance import load_matcher
from storage.archive import Archive
from storage.known import explanation, load_judge, seeded_judge
from watchers.extract import extract_article
from watchers.fetch import Fetcher
from watchers.language import detect_language

__all__ = ["check_target", "format_check", "format_sources", "source_rows"]


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head or b"<body" in head


async def _load(target: str, settings: Settings) -> tuple[str, str, str | None, str | None]:
    """(title, text, url, language) of a URL, an HTML file or a text file."""
    if target.startswith(("http://", "https://")):
        async with Fetcher(timeout=settings.timeout, max_bytes=settings.max_bytes) as fetcher:
            page = await fetcher.fetch(target)
        data, url, headers = page.content, page.url, page.headers
    else:
        path = Path(target)
        if not path.is_file():
            raise ValueError(f"{target}: not a URL and no such file")
        data, url, headers = path.read_bytes(), None, {}
    if _looks_like_html(data):
        extracted = extract_article(data, url=url or target, headers=headers)
        if extracted is None:
            raise ValueError(f"{target}: no article text could be extracted")
        return (extracted.title or "", extracted.text, extracted.canonical_url or url,
                extracted.language)
    text = data.decode("utf-8", errors="replace")
    return "", text, url, detect_language(text)


async def check_target(target: str, settings: Settings) -> dict[str, Any]:
    title, text, url, language = await _load(target, settings)
    now = datetime.now(UTC)
    matcher = load_matcher(threshold=settings.threshold, registry=settings.topics)
    archive = Archive.open(settings.db_path) if Path(settings.db_path).exists() else None
    try:
        if archive is not None:
            judge = load_judge(archive, matcher, now=now)
        else:
            judge = seeded_judge(matcher)
        j = judge.judge("checked", text, title=title, url=url, language=language)
    finally:
        if archive is not None:
            archive.close()
    return {"target": target, "title": title, "url": url, "language": language,
            "characters": len(text), "relevant": j.relevant, "topics": list(j.match.topics),
            "alert": j.alert, **explanation(j)}


def format_check(result: dict[str, Any]) -> str:
    verdict = "RELEVANT" if result["relevant"] else "not relevant"
    lines = [
        f"{result['target']}",
        f"  title:    {result['title'] or '-'}",
        f"  verdict:  {verdict}  score {result['score']:.3f}  topics {result['topics'] or '-'}",
        "  score parts: " + ", ".join(f"{k} {v:+.3f}" for k, v in result["parts"].items()),
    ]
    lines += [f"  reason:   {r}" for r in result["reasons"]]
    dedup = result["dedup"]
    if dedup["duplicate_of"]:
        lines.append(f"  copy of:  {dedup['duplicate_of']} ({dedup['reason']})")
    elif dedup["story"] != "checked":
        lines.append(f"  story:    {dedup['story']} ({dedup['reason']})")
    lines.append(f"  matched terms ({len(result['hits'])}):")
    for hit in result["hits"]:
        lines.append(f"    [{hit['topic']}] {hit['found']!r} as {hit['term']!r} "
                     f"at {hit['field']}[{hit['start']}:{hit['end']}]")
        lines.append(f"        … {hit['sentence']}")
    return "\n".join(lines)


_SOURCE_FIELDS = ("status", "last_error", "last_checked", "consecutive_failures", "entries", "new")


def source_rows(settings: Settings, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Configured sources merged with their stored health (`quiet`: silent far too long)."""
    now = now or datetime.now(UTC)
    stored: dict[str, dict[str, Any]] = {}
    quiet: set[str] = set()
    if Path(settings.db_path).exists():
        archive = Archive.open(settings.db_path)
        try:
            stored = {row["name"]: row for row in archive.sources.all()}
            quiet = {name for name in stored if archive.sources.is_quiet(name, now)}
        finally:
            archive.close()
    rows = []
    for s in settings.sources:
        state = stored.get(s.name, {})
        row: dict[str, Any] = {"name": s.name, "url": source_url(s), "kind": s.kind,
                               "interval": s.interval}
        for key in _SOURCE_FIELDS:
            row[key] = state.get(key)
        row["status"] = "disabled" if not s.enabled else (state.get("status") or "new")
        row["consecutive_failures"] = row["consecutive_failures"] or 0
        row["entries"] = row["entries"] or 0
        row["new"] = row["new"] or 0
        row["quiet"] = s.name in quiet
        rows.append(row)
    return rows


def format_sources(rows: list[dict[str, Any]]) -> str:
    head = f"{'name':<24} {'kind':<8} {'status':<9} {'entries':>7} {'new':>4}"
    out = [head + "  last checked / error"]
    for r in rows:
        tail = r["last_error"] or r["last_checked"] or "never polled"
        status = "quiet" if r.get("quiet") and r["status"] == "ok" else r["status"]
        out.append(f"{r['name'][:24]:<24} {r['kind']:<8} {status:<9} {r['entries']:>7} "
                   f"{r['new']:>4}  {tail}")
    return "\n".join(out)

