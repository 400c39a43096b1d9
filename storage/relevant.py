"""What "relevant articles" means, once, for status, export, report, stories and /status.

A relevant article is one judged relevant (``relevant = 1``) that is not one of the shipped
seed texts (``origin = 'seed'``: they are examples the matcher starts from, not news). A copy
of an article already archived (``duplicate_of`` set) is counted apart, as a copy, never as
another relevant article. Seeds are counted apart too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

__all__ = ["ArticleCounts", "article_counts", "relevant_sql"]


def relevant_sql(alias: str = "", *, copies: bool = False) -> str:
    """A SQL condition on the articles table (as ``alias``): relevant, not a seed and, unless
    ``copies``, not a copy of another article."""
    a = f"{alias}." if alias else ""
    condition = f"{a}relevant = 1 and coalesce({a}origin, '') != 'seed'"
    return condition if copies else f"{condition} and {a}duplicate_of is null"


@dataclass(frozen=True)
class ArticleCounts:
    articles: int  # every archived article but the seeds
    relevant: int  # relevant_sql(): what status, export, report and stories count
    copies: int  # relevant copies of an archived article (duplicate_of set)
    seeds: int  # the shipped seed texts


def article_counts(db: Database) -> ArticleCounts:
    row = db.execute(
        "select coalesce(sum(coalesce(origin, '') != 'seed'), 0), "
        f"coalesce(sum({relevant_sql()}), 0), "
        f"coalesce(sum({relevant_sql(copies=True)} and duplicate_of is not null), 0), "
        "coalesce(sum(origin = 'seed'), 0) from articles").fetchone()
    return ArticleCounts(*(int(n) for n in row))
