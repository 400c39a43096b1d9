"""Alert messages as Telegram HTML (and a plain-text fallback); pure functions, no I/O.

Every outside string goes through ``html.escape``. Lengths are counted as Telegram counts them
(tgtext.py): code points of the text after entity parsing, so tags and ``&amp;`` cost what they
show, and at most 32,768 UTF-8 bytes of raw HTML, hrefs included.
Too long a message is shortened field by field (key sentence, then title, then the story line,
then the outlet), each on a word boundary with "…", and rebuilt, so a tag or an entity is never
cut in half. The shortening is in textfit.py, the cleaning of outside text in textclean.py.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.alerts.textclean import _ELLIPSIS, _clean, _isolate, _joined, _safe_url, _segments, _utc
from bot.alerts.textfit import _cut_words, _Fields, _fit
from bot.alerts.tgtext import MAX_BYTES, utf8_len, visible_length, visible_text

__all__ = [
    "AlertView",
    "Fitted",
    "fit_also_reported",
    "fit_digest",
    "html_visible_length",
    "render_alert",
    "render_also_reported",
    "render_digest",
    "render_plain",
]

_DIGEST_TITLE_MAX = 150
_LINE_URL_MAX = 2048  # a longer URL in a listing line is left unlinked: one line always fits
# caps before fitting, so that a runaway title never crowds out the key sentence
_TITLE_MAX = 400
_OUTLET_MAX = 80


@dataclass(frozen=True)
class AlertView:
    title: str
    url: str  # canonical URL
    outlet: str  # site/source name
    language: str | None  # ISO code
    published: datetime | None  # aware
    topics: tuple[str, ...]  # "al-tanf", "maghawir-al-thawra", "55km-zone"
    sentence: str | None  # key sentence (original text)
    terms: tuple[tuple[int, int], ...]  # (start, end) offsets of matched terms in `sentence`
    score: float
    story_line: str | None  # None for a new story, else the title of the first alert
    story_link: str | None  # t.me link to the first alert, if known
    archive_ref: str | None  # short archive reference, e.g. "#a123" or a URL
    hashtags: tuple[str, ...] = ()  # the topics' hashtags (the registry's); else from the ids


@dataclass(frozen=True)
class Fitted:
    """One listing message: its HTML, its real plain-text fallback, and how many of the views
    it shows (the rest go in the next message: an alert marked sent is always visible)."""

    html: str
    plain: str
    shown: int


def html_visible_length(html_text: str) -> int:
    """Length Telegram counts: code points of the text once tags and entities are parsed."""
    return visible_length(html_text)


def _html_cost(text: str) -> int:
    # over Telegram's raw byte limit is too long whatever the visible length
    return visible_length(text) if utf8_len(text) <= MAX_BYTES else MAX_BYTES * 4


def render_alert(view: AlertView, *, limit: int = 4096) -> str:
    """The alert as Telegram HTML, at most ``limit`` visible characters."""
    return _fit(_fields(view), lambda f: _alert_html(view, f), _html_cost, limit)


def render_plain(view: AlertView, *, limit: int = 4096) -> str:
    """The alert without markup, for a resend after an entity error (send with no parse_mode)."""
    return _fit(_fields(view), lambda f: _alert_plain(view, f), len, limit)


def render_digest(views: Sequence[AlertView], *, limit: int = 4096) -> str:
    """One message listing many alerts as linked titles (see `fit_digest`)."""
    return fit_digest(views, limit=limit).html


def fit_digest(views: Sequence[AlertView], *, limit: int = 4096,
               total: int | None = None) -> Fitted:
    """As many alerts as fit, as linked titles; "… and N more in the next message" after them.
    `total`: how many are pending in all, when `views` holds only the first of them."""
    count = max(total or 0, len(views))
    head = f"🗞 {count} new {'report' if count == 1 else 'reports'}"
    head_html = f"🗞 <b>{head.removeprefix('🗞 ')}</b>"
    return _listing((head_html, head), views, ("", ""), limit, count)


def render_also_reported(views: Sequence[AlertView], *, story: str | None = None,
                         limit: int = 4096) -> str:
    """Follow-ups of one story in one message (see `fit_also_reported`)."""
    return fit_also_reported(views, story=story, limit=limit).html


def fit_also_reported(views: Sequence[AlertView], *, story: str | None = None,
                      limit: int = 4096) -> Fitted:
    """Follow-ups of one story in one message: "also reported by" the outlets, each linked.

    Sent as a reply to the story's first alert; `story` (its title) is named only when there
    is no such message to reply to.
    """
    outlets = list(dict.fromkeys(_clean(v.outlet) for v in views if _clean(v.outlet)))
    named = _cut_words(", ".join(outlets), 200) if outlets else f"{len(views)} more reports"
    head = (f"↪️ <b>Also reported by</b> {html.escape(named)}", f"↪️ Also reported by {named}")
    title = _cut_words(_clean(story), _DIGEST_TITLE_MAX) if story else ""
    tail = ((f"on «{_isolate(html.escape(title), title)}»", f"on «{_isolate(title, title)}»")
            if title else ("", ""))
    return _listing(head, views, tail, limit)


def _listing(head: tuple[str, str], views: Sequence[AlertView], tail: tuple[str, str],
             limit: int, total: int | None = None) -> Fitted:
    """Head, as many numbered lines as fit (a line for the rest), then tail; HTML and plain."""
    lines = [_digest_line(view) for view in views]
    low, high = 0, len(lines)
    while low < high:  # the most items that fit
        middle = (low + high + 1) // 2
        if _html_cost(_digest(head[0], lines, middle, tail[0], total)) <= limit:
            low = middle
        else:
            high = middle - 1
    text = _digest(head[0], lines, low, tail[0], total)
    if _html_cost(text) > limit or (low == 0 and lines):
        raise ValueError(f"limit {limit} is too small for a digest")
    plain = _digest(head[1], [_digest_plain(view) for view in views], low, tail[1], total)
    if len(plain) > limit:  # the URLs do not fit as text: what the HTML shows, without links
        plain = visible_text(text)
    return Fitted(text, plain, low)


# -- building ---------------------------------------------------------------------------------
def _alert_html(view: AlertView, fields: _Fields) -> str:
    esc = html.escape
    title = _isolate(esc(fields.title or _ELLIPSIS), fields.title)
    url = _safe_url(fields.url)
    head = f'<a href="{esc(url)}">{title}</a>' if url else title
    lines = [f"<b>{head}</b>", esc(_meta_line(view, fields.outlet))]
    lines += [esc(tags)] if (tags := _hashtags(view)) else []
    if fields.sentence:
        body = "".join(f"<b>{esc(text)}</b>" if bold else esc(text)
                       for text, bold in fields.sentence)
        lines.append(f"<blockquote>{_isolate(body, _joined(fields.sentence))}</blockquote>")
    lines.append(_story_html(view, fields.story))
    lines.append(esc(_score_text(view.score)) + _archive_html(view.archive_ref))
    return "\n".join(lines)


def _alert_plain(view: AlertView, fields: _Fields) -> str:
    lines = [_isolate(fields.title or _ELLIPSIS, fields.title)]
    lines += [fields.url] if fields.url else []
    lines.append(_meta_line(view, fields.outlet))
    lines += [tags] if (tags := _hashtags(view)) else []
    if fields.sentence:
        sentence = _joined(fields.sentence)
        lines.append("«" + _isolate(sentence, sentence) + "»")
    if view.story_line is None:
        lines.append("🆕 new story")
    else:
        story = _isolate(fields.story or _ELLIPSIS, fields.story)
        link = f" ({view.story_link})" if _safe_url(view.story_link) else ""
        lines.append(f"↪️ follow-up to: {story}{link}")
    archive = f" · archive: {_clean(view.archive_ref)}" if view.archive_ref else ""
    lines.append(_score_text(view.score) + archive)
    return "\n".join(lines)


def _story_html(view: AlertView, story: str) -> str:
    if view.story_line is None:
        return "🆕 new story"
    text = _isolate(html.escape(story or _ELLIPSIS), story)
    link = _safe_url(view.story_link)
    if link:
        return f'↪️ follow-up to <a href="{html.escape(link)}">{text}</a>'
    return f"↪️ follow-up to «{text}»"


def _archive_html(ref: str | None) -> str:
    if not ref:
        return ""
    link = _safe_url(ref)
    if link:
        return f' · <a href="{html.escape(link)}">archive</a>'
    return " · archive " + html.escape(_clean(ref))


def _meta_line(view: AlertView, outlet: str) -> str:
    parts = [outlet] if outlet else []
    language = re.sub(r"[^A-Za-z-]", "", view.language or "")[:8]
    if language:
        parts.append(language.upper())
    if view.published is not None:
        parts.append(_utc(view.published).strftime("%Y-%m-%d %H:%M UTC"))
    return " · ".join(parts)


def _digest_line(view: AlertView) -> str:
    title = _cut_words(_clean(view.title), _DIGEST_TITLE_MAX) or _ELLIPSIS
    label = _isolate(html.escape(title), title)
    url = _line_url(view)
    linked = f'<a href="{html.escape(url)}">{label}</a>' if url else label
    outlet = _cut_words(_clean(view.outlet), _OUTLET_MAX)
    return f"{linked} — {html.escape(outlet)}" if outlet else linked


def _digest_plain(view: AlertView) -> str:
    title = _cut_words(_clean(view.title), _DIGEST_TITLE_MAX) or _ELLIPSIS
    outlet = _cut_words(_clean(view.outlet), _OUTLET_MAX)
    line = _isolate(title, title) + (f" — {outlet}" if outlet else "")
    url = _line_url(view)
    return f"{line}\n   {url}" if url else line


def _line_url(view: AlertView) -> str:
    url = _safe_url(view.url)
    return url if len(url) <= _LINE_URL_MAX else ""


def _digest(head: str, lines: Sequence[str], shown: int, tail: str,
            total: int | None = None) -> str:
    out = [head]
    out += [f"{index}. {line}" for index, line in enumerate(lines[:shown], start=1)]
    more = max(total or 0, len(lines)) - shown
    if more > 0:
        out.append(f"… and {more} more in the next message")
    return "\n".join(out + ([tail] if tail else []))


# -- fields ---------------------------------------------------------------------------------
def _fields(view: AlertView) -> _Fields:
    return _Fields(
        sentence=_segments(view.sentence or "", view.terms),
        title=_cut_words(_clean(view.title), _TITLE_MAX),
        story=_cut_words(_clean(view.story_line or ""), _DIGEST_TITLE_MAX),
        outlet=_cut_words(_clean(view.outlet), _OUTLET_MAX),
        url=_safe_url(view.url),
    )


def _hashtags(view: AlertView) -> str:
    tags = []
    derived = ("#" + "".join(part[:1].upper() + part[1:]
                             for part in re.split(r"[^0-9A-Za-z]+", topic))
               for topic in view.topics)
    for tag in view.hashtags or tuple(derived):
        if len(tag) > 1 and tag not in tags:
            tags.append(tag)
    return " ".join(tags)


def _score_text(score: float) -> str:
    return f"score {score:.2f}"
