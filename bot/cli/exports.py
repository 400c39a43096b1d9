"""Writing search results, stories and one article as a table, CSV, JSON or NDJSON.

CSV has a header and standard quoting (the csv module's excel dialect: UTF-8, CRLF rows);
lists are joined with ";". JSON is one array, written as it streams; NDJSON one object a line.
Also the click options the archive commands share (filters, format, output).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, TextIO

import click

from storage.archive import Archive, Story
from storage.query import Filters, Hit

__all__ = ["FORMATS", "HIT_FIELDS", "STORY_FIELDS", "article_detail", "filter_options",
           "filters_from", "format_detail", "hit_row", "open_output", "write_hits",
           "write_rows", "write_stories"]

FORMATS = ("table", "json", "csv", "ndjson")
HIT_FIELDS = ("id", "title", "url", "canonical_url", "outlet", "source", "language",
              "published", "first_seen", "relevant", "score", "topics", "story",
              "duplicate_of", "rank", "snippet", "text")
STORY_FIELDS = ("id", "title", "first_seen", "last_seen", "first_published", "last_published",
                "articles", "relevant", "duplicates", "outlets", "languages", "topics")


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--since/--until/--topic/--lang/--outlet/--story/--include-duplicates/--all."""
    day = click.DateTime(formats=["%Y-%m-%d"])
    options = [
        click.option("--since", type=day, help="Dated on or after this day (YYYY-MM-DD)."),
        click.option("--until", type=day, help="Dated on or before this day (YYYY-MM-DD)."),
        click.option("--topic", "topics", multiple=True,
                     help="A topic id, as `tanfwatch topics` lists them (repeatable)."),
        click.option("--lang", "langs", multiple=True, help="Language code (repeatable)."),
        click.option("--outlet", "outlets", multiple=True,
                     help="Outlet or source name, any case (repeatable)."),
        click.option("--story", default=None, help="Only this story id."),
        click.option("--include-duplicates", is_flag=True,
                     help="Also copies of articles already listed."),
        click.option("--all", "include_all", is_flag=True,
                     help="Include articles judged not relevant."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def filters_from(options: dict[str, Any]) -> Filters:
    """The filters from `filter_options` values (removed from `options`)."""
    since, until = options.pop("since"), options.pop("until")
    return Filters(
        since=since.date() if since else None, until=until.date() if until else None,
        topics=tuple(options.pop("topics")), langs=tuple(options.pop("langs")),
        outlets=tuple(options.pop("outlets")), story=options.pop("story"),
        include_duplicates=options.pop("include_duplicates"),
        relevant_only=not options.pop("include_all"))


@contextmanager
def open_output(path: str | None) -> Iterator[TextIO]:
    """The file at `path` (UTF-8, rows ended as the writer says), else stdout."""
    if path is None or path == "-":
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as out:
        yield out


def hit_row(hit: Hit, *, flat: bool = False) -> dict[str, Any]:
    row = asdict(hit)
    if hit.text is None:
        del row["text"]
    if flat:  # CSV: lists as text, booleans as 0/1 (what sqlite's .import and pandas expect)
        row["topics"] = ";".join(hit.topics)
        row["relevant"] = int(hit.relevant)
    else:
        row["topics"] = list(hit.topics)
    return row


def write_hits(hits: Iterable[Hit], out: TextIO, fmt: str, *, with_text: bool = False) -> int:
    """Write the hits; returns how many."""
    if fmt == "table":
        return _hit_table(hits, out)
    fields = [f for f in HIT_FIELDS if f != "text" or with_text]
    rows = (hit_row(h, flat=fmt == "csv") for h in hits)
    return write_rows(rows, out, fmt, fields)


def write_stories(stories: Iterable[Story], out: TextIO, fmt: str) -> int:
    if fmt == "table":
        count = 0
        for s in stories:
            count += 1
            seen = (s.last_seen or "")[:10]
            out.write(f"{seen:<10}  {s.articles:>3} art.  {s.id}  {s.title}\n"
                      f"            {', '.join(s.outlets)}  [{', '.join(s.languages)}]\n")
        return count
    flat = fmt == "csv"

    def row(story: Story) -> dict[str, Any]:
        data = asdict(story)
        for key in ("outlets", "languages", "topics"):
            data[key] = ";".join(data[key]) if flat else list(data[key])
        return data

    return write_rows((row(s) for s in stories), out, fmt, STORY_FIELDS)


def write_rows(rows: Iterable[dict[str, Any]], out: TextIO, fmt: str,
               fields: Iterable[str]) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            count += 1
            writer.writerow(row)
    elif fmt == "ndjson":
        for row in rows:
            count += 1
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "json":  # streamed: an export of the whole archive never sits in memory
        out.write("[")
        for count, row in enumerate(rows, 1):
            out.write(("\n" if count == 1 else ",\n") + json.dumps(row, ensure_ascii=False))
        out.write("\n]\n" if count else "]\n")
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return count


def _hit_table(hits: Iterable[Hit], out: TextIO) -> int:
    count = 0
    for h in hits:
        count += 1
        day = (h.published or h.first_seen or "")[:10]
        where = " ".join(x for x in (h.outlet or h.source, f"[{h.language}]" if h.language
                                     else None) if x)
        out.write(f"{day:<10}  {h.id}  {where}\n    {h.title}\n")
        if h.url:
            out.write(f"    {h.url}\n")
        if h.snippet:
            out.write(f"    {h.snippet}\n")
    return count


def article_detail(archive: Archive, article_id: str) -> dict[str, Any] | None:
    """One article with its story, addresses, copies and alerts (what `show` prints)."""
    row = archive.article(article_id)
    if row is None:
        return None
    row.pop("signature", None)
    row["topics"] = json.loads(row["topics"] or "[]")
    row["match"] = json.loads(row["match"]) if row.get("match") else None
    story = archive.story(row["story"]) if row.get("story") else None
    return {
        "article": row,
        "story": asdict(story) if story else None,
        "story_articles": [
            {k: a[k] for k in ("id", "title", "outlet", "published", "duplicate_of")}
            for a in archive.story_articles(row["story"])] if row.get("story") else [],
        "urls": [{"url": u, "first_seen": s} for u, s in archive.urls(article_id)],
        "duplicates": archive.duplicates(article_id),
        "alerts": archive.alerts(article_id),
    }


def format_detail(detail: dict[str, Any]) -> str:
    a = detail["article"]
    lines = [f"{a['id']}  {a['title'] or ''}",
             f"  outlet {a['outlet'] or a['source'] or '?'}  language {a['language'] or '?'}  "
             f"published {a['published'] or '?'}  first seen {a['fetched_at'] or '?'}",
             f"  relevant {bool(a['relevant'])}  score {a['score'] or 0:.2f}  "
             f"topics {', '.join(a['topics']) or '-'}"]
    if a.get("duplicate_of"):
        lines.append(f"  copy of {a['duplicate_of']}")
    lines += [f"  url {u['url']}  (seen {u['first_seen'] or '?'})" for u in detail["urls"]]
    lines += [f"  copied by {d}" for d in detail["duplicates"]]
    story = detail["story"]
    if story:
        lines.append(f"story {story['id']}: {story['title']} ({story['articles']} articles, "
                     f"{', '.join(story['outlets'])})")
        lines += [f"  {'*' if s['id'] == a['id'] else ' '} {(s['published'] or '')[:10]:<10} "
                  f"{s['id']}  {s['title'] or ''}" for s in detail["story_articles"]]
    lines += [f"alert to {x['chat_id']}: {x['kind']} {x['status']} (message {x['message_id']}, "
              f"sent {x['sent_at'] or '-'})" for x in detail["alerts"]]
    lines += ["", a["text"]]
    return "\n".join(lines)

