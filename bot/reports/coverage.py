"""Coverage over time: how many relevant reports per period, by topic, language and outlet.

A report with no publication date (a `classify` record that gave none) has its own
"undated" bucket, never the period it was imported in (the bot dates what it fetches).

`count_coverage` is pure (rows in, counts out); `coverage_rows` reads the archive;
`render_png` draws the counts with matplotlib's Agg canvas (no pyplot, no global
backend), for `tanfwatch report --plot` and the bot's `/report`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from storage.archive import Archive
from storage.relevant import relevant_sql

__all__ = ["PERIODS", "Coverage", "CoverageRow", "archive_coverage", "count_coverage",
           "coverage_rows", "format_outlets", "next_period", "parse_moment", "period_start",
           "summary_text"]

PERIODS = ("day", "week", "month")
NO_TOPIC, NO_LANGUAGE, NO_OUTLET = "(no topic)", "unknown", "(unknown outlet)"
UNDATED = "undated"


@dataclass(frozen=True)
class CoverageRow:
    """One counted report: when it came out and what it is about."""

    published: datetime | None  # None: the "undated" bucket
    topics: tuple[str, ...]
    language: str | None
    outlet: str | None


@dataclass(frozen=True)
class Coverage:
    """Counts per period (contiguous, oldest first) by topic and language, and top outlets;
    the undated reports' counts by topic and language apart (`total` includes them)."""

    by: str
    periods: tuple[date, ...]
    topics: dict[str, tuple[int, ...]]
    languages: dict[str, tuple[int, ...]]
    outlets: tuple[tuple[str, int], ...]
    total: int
    undated_topics: dict[str, int] = field(default_factory=dict)
    undated_languages: dict[str, int] = field(default_factory=dict)

    @property
    def undated(self) -> int:
        return sum(self.undated_languages.values())


def period_start(moment: datetime | date, by: str) -> date:
    """The first day of the day/week (Monday)/month that holds `moment`."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    if by == "day":
        return day
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {by!r}")


def next_period(start: date, by: str) -> date:
    if by == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=7 if by == "week" else 1)


def count_coverage(rows: Iterable[CoverageRow], *, by: str = "week", top: int = 10) -> Coverage:
    """Count reports per period; a report with two topics counts once under each topic."""
    by_topic: Counter[tuple[str, date | None]] = Counter()
    by_lang: Counter[tuple[str, date | None]] = Counter()
    outlets: Counter[str] = Counter()
    starts: set[date] = set()
    for row in rows:
        start = period_start(row.published, by) if row.published else None
        if start is not None:
            starts.add(start)
        for topic in row.topics or (NO_TOPIC,):
            by_topic[topic, start] += 1
        by_lang[row.language or NO_LANGUAGE, start] += 1
        outlets[row.outlet or NO_OUTLET] += 1
    periods: list[date] = []
    if starts:
        cursor = min(starts)
        while cursor <= max(starts):  # fill the gaps: quiet periods are news too
            periods.append(cursor)
            cursor = next_period(cursor, by)
    return Coverage(by=by, periods=tuple(periods), topics=_series(by_topic, periods),
                    languages=_series(by_lang, periods),
                    outlets=tuple(sorted(outlets.items(), key=lambda kv: (-kv[1], kv[0]))[:top]),
                    total=sum(outlets.values()), undated_topics=_undated(by_topic),
                    undated_languages=_undated(by_lang))


def _series(counts: Counter[tuple[str, date | None]],
            periods: list[date]) -> dict[str, tuple[int, ...]]:
    keys = sorted({key for key, p in counts if p}, key=lambda k: (-_total(counts, k), k))
    return {key: tuple(counts[key, p] for p in periods) for key in keys}


def _undated(counts: Counter[tuple[str, date | None]]) -> dict[str, int]:
    found = {key: n for (key, p), n in counts.items() if p is None}
    return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


def _total(counts: Counter[tuple[str, date | None]], key: str) -> int:
    return sum(n for (k, p), n in counts.items() if k == key and p)


def parse_moment(text: str | None, *, end_of_day: bool = False) -> datetime | None:
    """An ISO date or datetime as aware UTC (naive means UTC); a bare date at `end_of_day`
    means the last instant of that day, so `--until 2026-03-31` includes the 31st."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO date or datetime: {text!r}") from None
    if end_of_day and len(text.strip()) == 10:
        moment = datetime.combine(moment.date(), time.max)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def coverage_rows(archive: Archive, *, since: datetime | None = None,
                  until: datetime | None = None) -> list[CoverageRow]:
    """Relevant reports as `storage.relevant` defines them (the seeds and the copies of an
    archived report left out, as status and export count), dated by publication; undated
    ones (published None) only when no range is asked for, as they cannot be placed in one."""
    sql = f"select published, topics, language, outlet from articles where {relevant_sql()}"
    rows = []
    for when, topics, language, outlet in archive.db.execute(sql).fetchall():
        moment = _parse_stored(when)
        if moment is None and (since or until):
            continue
        if moment is not None and ((since and moment < since) or (until and moment > until)):
            continue
        rows.append(CoverageRow(moment, _topics(topics), language or None, outlet or None))
    return rows


def _parse_stored(value: str | None) -> datetime | None:
    try:
        return parse_moment(value)
    except ValueError:
        return None


def _topics(value: str | None) -> tuple[str, ...]:
    try:
        topics = json.loads(value) if value else []
    except ValueError:
        return ()
    return tuple(str(t) for t in topics) if isinstance(topics, list) else ()


def period_label(start: date, by: str) -> str:
    return start.strftime("%Y-%m" if by == "month" else "%Y-%m-%d")


def summary_text(cov: Coverage, labels: Mapping[str, str] | None = None) -> str:
    """A few lines for stdout and for the Telegram caption; `labels`: topic id -> label
    (the registry's)."""
    if not cov.total:
        return "No relevant reports in this range."
    lines = [_headline(cov), "Topics: " + _tally(cov.topics, cov.undated_topics, labels),
             "Languages: " + _tally(cov.languages, cov.undated_languages),
             "Top outlets: " + ", ".join(f"{name} {n}" for name, n in cov.outlets[:5])]
    return "\n".join(lines)


def _headline(cov: Coverage) -> str:
    undated = f"{cov.undated} {UNDATED}"
    if not cov.periods:
        return f"{cov.total} relevant reports, all {UNDATED}"
    span = f"{period_label(cov.periods[0], cov.by)} to {period_label(cov.periods[-1], cov.by)}"
    busiest = max(range(len(cov.periods)), key=lambda i: _period_total(cov, i))
    return (f"{cov.total} relevant reports, {span} ({len(cov.periods)} {cov.by}s"
            f"{', ' + undated if cov.undated else ''}); busiest {cov.by} "
            f"{period_label(cov.periods[busiest], cov.by)}: {_period_total(cov, busiest)}")


def _period_total(cov: Coverage, index: int) -> int:
    return sum(series[index] for series in cov.languages.values())


def _tally(series: dict[str, tuple[int, ...]], undated: dict[str, int],
           labels: Mapping[str, str] | None = None) -> str:
    totals = Counter({key: sum(counts) for key, counts in series.items()}) + Counter(undated)
    names = labels or {}
    return ", ".join(f"{names.get(key, key)} {n}" for key, n in sorted(totals.items(),
                                                     key=lambda kv: (-kv[1], kv[0])))


def format_outlets(cov: Coverage) -> str:
    """The top outlets as a small two-column table."""
    width = max((len(name) for name, _ in cov.outlets), default=6)
    lines = [f"{'outlet':<{width}}  reports"]
    lines += [f"{name:<{width}}  {n:>7}" for name, n in cov.outlets]
    return "\n".join(lines)














def archive_coverage(archive: Archive, *, since: str | None = None, until: str | None = None,
                     by: str = "week") -> Coverage:
    """Coverage of an open archive between two ISO dates (`until` a date is inclusive)."""
    if by not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {by!r}")
    rows = coverage_rows(archive, since=parse_moment(since),
                         until=parse_moment(until, end_of_day=True))
    return count_coverage(rows, by=by)
