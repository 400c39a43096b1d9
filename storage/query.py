"""Searching the archive: one function behind the CLI, the exports and Telegram's /search.

A query is FTS5 syntax ("phrases", prefix*, AND/OR/NOT, NEAR(...)) when it parses. Text
without any syntax (no quotes, parentheses or operators) that FTS5 rejects, such as
`55-km zone` or `al-Tan*`, is searched word by word instead. A query that uses syntax and
does not parse raises `QueryError`. Both the index and the query are folded the same way
(see `storage.migrations.FOLD_M003`): Arabic with or without harakat, Latin with or
without accents, Cyrillic ё/е all match.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from .migrations import FOLD_M003
from .relevant import relevant_sql

__all__ = ["Filters", "Hit", "QueryError", "fold_query", "iter_search", "search"]

_FOLD = {code: to for code, to in FOLD_M003}
_SYNTAX = re.compile(r'["()]|(?<!\S)(?:AND|OR|NOT)(?!\S)|\bNEAR\s*\(')
_QUERY_ERRORS = ("fts5:", "no such column", "unknown special query", "unterminated string")
# Articles are assumed published at most this long after we first saw them (clock skew,
# time zones): the date floor in rowids is taken this much earlier.
_SKEW = timedelta(days=2)
_SLACK = 10  # extra ranked candidates among which recency breaks near-ties
# Bounded ranking: a query with at most WHOLE matches is ranked over all of them; one with more
# (a stopword, a 2-letter prefix) is ranked over its newest WINDOW matches only, and its hits
# say so (`Hit.window`). BM25 over every match of "the" costs time linear in the archive.
WHOLE = 12_000
WINDOW = 5_000
_COLUMNS = ("a.id, a.title, a.url, a.canonical_url, a.outlet, a.source, a.language, a.published, "
            "a.fetched_at, a.relevant, a.score, a.topics, a.story, a.duplicate_of")


class QueryError(ValueError):
    """A search query that FTS5 cannot parse; the message is one line for the user."""


@dataclass(frozen=True)
class Filters:
    since: date | None = None  # a date is a whole day; a datetime is a moment
    until: date | None = None
    topics: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()  # outlet or source name, case-insensitive
    story: str | None = None
    include_duplicates: bool = False
    relevant_only: bool = False


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    url: str | None
    canonical_url: str | None
    outlet: str | None
    source: str | None
    language: str | None
    published: str | None
    first_seen: str | None
    relevant: bool
    score: float
    topics: tuple[str, ...]
    story: str | None
    duplicate_of: str | None
    snippet: str = ""  # hits between [ and ]; the opening of the text when there is no query
    rank: float | None = None  # BM25 (lower is better); None without a query
    text: str | None = field(default=None, repr=False)  # only with with_text=True
    # Set when the query matched more than WHOLE articles: ranked among its newest `window`
    # matches only (older ones were not considered); None when every match was ranked.
    window: int | None = None


def search(db: Database, query: str | None, *, since: date | None = None,
           until: date | None = None, topics: Sequence[str] = (), langs: Sequence[str] = (),
           outlets: Sequence[str] = (), story: str | None = None,
           include_duplicates: bool = False, relevant_only: bool = False, limit: int = 20,
           offset: int = 0) -> list[Hit]:
    """Best first (BM25, then the most recent); without a query, the most recent first.

    A query with more than `WHOLE` matches is ranked among its newest `WINDOW` only; its hits
    then carry `window` (see `Hit.window`).
    """
    filters = Filters(since, until, tuple(topics), tuple(langs), tuple(outlets), story,
                      include_duplicates, relevant_only)
    return list(iter_search(db, query, filters, limit=limit, offset=offset))


def iter_search(db: Database, query: str | None, filters: Filters = Filters(), *,
                limit: int | None = None, offset: int = 0,
                with_text: bool = False) -> Iterator[Hit]:
    """`search` as a stream (exports); `limit=None` means every match, in BM25 order.

    A malformed query raises here, before the first hit is read. With a limit, the ranking is
    bounded as `search` says; `limit=None` ranks every match.
    """
    folded = fold_query(query or "")
    # The date floor must constrain the FTS table's own rowid to narrow the FTS scan.
    rowid = "a.rowid" if not folded.strip() else "articles_fts.rowid"
    where, params = _where(db, filters, rowid)
    rows: Iterable[Sequence[Any]]
    window = None
    if not folded.strip():
        rows = _recent(db, where, params, limit, offset, with_text)
    elif limit is None:
        rows = _ranked(db, folded, where, params, None, with_text)
    else:
        # The probe keeps --since's rowid floor (params[1], see _where) so it counts
        # only what can match.
        floor = _window_floor(db, folded, params[1] if filters.since is not None else 0)
        if floor is not None:
            window = WINDOW
            if filters.since is not None:
                # Raised in place, not added: FTS5 narrows its scan by one lower rowid bound
                # only (it kept --since's: 6x the rows ranked for the last 2 years of 6).
                params = [params[0], floor, *params[2:]]
            else:
                where, params = [*where, "articles_fts.rowid >= ?"], [*params, floor]
        # FTS5 ranks fastest alone (ORDER BY rank LIMIT n): take a few more candidates than
        # asked for, then let recency order near-equal scores (BM25 rounded to 0.01).
        top = list(_ranked(db, folded, where, params, limit + offset + _SLACK, with_text))
        top.sort(key=lambda r: r[17] or "", reverse=True)
        top.sort(key=lambda r: round(r[16], 2))
        rows = top[offset:offset + limit]
    hits = map(_hit, rows)
    return hits if window is None else (replace(h, window=window) for h in hits)


def _window_floor(db: Database, query: str, since_rowid: int) -> int | None:
    """The rowid of the WINDOW-th newest match when there are more than WHOLE, else None.

    Counted in the index alone (newest first, no join or filters), which FTS5 streams.
    """
    sql = ("select rowid from articles_fts where articles_fts match ? and rowid >= ? "
           "order by rowid desc limit ?")
    for match in _candidates(query):
        try:
            rowids = [r[0] for r in db.execute(sql, [match, since_rowid, WHOLE + 1])]
        except sqlite3.OperationalError as exc:
            if not str(exc).startswith(_QUERY_ERRORS):
                raise
            continue  # _ranked tries the next candidate, and raises QueryError at the last
        return rowids[WINDOW - 1] if len(rowids) > WHOLE else None
    return None


def fold_query(query: str) -> str:
    """The query folded as the index is (harakat dropped, alef forms and ё unified)."""
    return query.translate(_FOLD)


def _ranked(db: Database, query: str, where: list[str], params: list[Any], limit: int | None,
            with_text: bool) -> Iterator[Sequence[Any]]:
    # snippet() is only computed for the rows that pass the filters, within the limit.
    sql = (f"select {_COLUMNS}, snippet(articles_fts, -1, '[', ']', '…', 16), "
           f"{'a.text' if with_text else 'null'}, articles_fts.rank, "
           "coalesce(a.published, a.fetched_at) from articles_fts "
           "join articles a on a.rowid = articles_fts.rowid "
           f"where articles_fts match ? {''.join(' and ' + w for w in where)} "
           "order by articles_fts.rank limit ?")
    candidates = _candidates(query)
    for i, match in enumerate(candidates):
        try:
            return iter(db.execute(sql, [match, *params, -1 if limit is None else limit]))
        except sqlite3.OperationalError as exc:
            if not str(exc).startswith(_QUERY_ERRORS):
                raise
            if i == len(candidates) - 1:
                raise QueryError(f"bad search query {query!r}: {exc} (syntax: words, "
                                 "\"a phrase\", prefix*, AND/OR/NOT, NEAR(a b, 10))") from exc
    return iter(())


def _candidates(query: str) -> list[str]:
    """FTS5 syntax as typed; for plain text, its words quoted as a fallback."""
    if _SYNTAX.search(query):
        return [query]
    words = []
    for word in query.split():
        star = "*" if word.endswith("*") and len(word) > 1 else ""
        words.append('"' + word.rstrip("*").replace('"', '""') + '"' + star)
    return [query, " ".join(words)]


def _recent(db: Database, where: list[str], params: list[Any], limit: int | None, offset: int,
            with_text: bool) -> Iterator[Sequence[Any]]:
    sql = (f"select {_COLUMNS}, substr(a.text, 1, 200), {'a.text' if with_text else 'null'} "
           f"from articles a {'where ' + ' and '.join(where) if where else ''} "
           "order by coalesce(a.published, a.fetched_at) desc, a.rowid desc limit ? offset ?")
    return iter(db.execute(sql, [*params, -1 if limit is None else limit, offset]))


def _hit(row: Sequence[Any]) -> Hit:
    topics = tuple(json.loads(row[11])) if row[11] else ()
    return Hit(id=row[0], title=row[1] or "", url=row[2], canonical_url=row[3], outlet=row[4],
               source=row[5], language=row[6], published=row[7], first_seen=row[8],
               relevant=bool(row[9]), score=row[10] or 0.0, topics=topics, story=row[12],
               duplicate_of=row[13], snippet=" ".join((row[14] or "").split()),
               text=row[15], rank=row[16] if len(row) > 16 else None)


def _where(db: Database, f: Filters, rowid: str) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    day = "coalesce(a.published, a.fetched_at)"
    if f.since is not None:
        where += [f"{day} >= ?", f"{rowid} >= ?"]
        params += [_bound(f.since), _rowid_floor(db, f.since)]
    if f.until is not None:
        inclusive = isinstance(f.until, datetime)
        where.append(f"{day} {'<=' if inclusive else '<'} ?")
        params.append(_bound(f.until) if inclusive else _bound(f.until + timedelta(days=1)))
    for column, values in (("a.language", f.langs), ("a.outlet", f.outlets)):
        if values:
            marks = ", ".join("?" * len(values))
            extra = f" or lower(a.source) in ({marks})" if column == "a.outlet" else ""
            where.append(f"(lower({column}) in ({marks}){extra})")
            lowered = [v.lower() for v in values]
            params += lowered * (2 if extra else 1)
    if f.topics:
        marks = ", ".join("?" * len(f.topics))
        where.append(f"exists (select 1 from json_each(a.topics) where value in ({marks}))")
        params += list(f.topics)
    if f.story is not None:
        where.append("a.story = ?")
        params.append(f.story)
    if not f.include_duplicates:
        where.append("a.duplicate_of is null")
    if f.relevant_only:  # copies are the include_duplicates filter's
        where.append(relevant_sql("a", copies=True))
    return where, params


def _bound(moment: date) -> str:
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="seconds")
    return moment.isoformat()


def _rowid_floor(db: Database, since: date) -> int:
    """The first rowid that can hold an article dated `since` or later.

    Rows arrive in order, and an article is not published after we first saw it (give or
    take `_SKEW`), so FTS can skip every older rowid instead of testing each match's date:
    SQLite cannot narrow an FTS query by a date index, but it can by a rowid range.
    """
    start = since if isinstance(since, datetime) else datetime(since.year, since.month,
                                                               since.day, tzinfo=UTC)
    seen = db.execute("select rowid from articles where fetched_at >= ? "
                      "order by fetched_at, rowid limit 1", [_bound(start - _SKEW)]).fetchone()
    undated = db.execute("select min(rowid) from articles where fetched_at is null").fetchone()
    floors = [r[0] for r in (seen, undated) if r and r[0] is not None]
    if floors:
        return min(floors)
    last = db.execute("select max(rowid) from articles").fetchone()[0]
    return (last or 0) + 1
