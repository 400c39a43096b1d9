"""Alert messages as Telegram HTML (and a plain-text fallback); pure functions, no I/O.

Every outside string goes through ``html.escape``. Lengths are counted as Telegram counts them:
UTF-16 code units of the text after entity parsing, so tags and ``&amp;`` cost what they show.
Too long a message is shortened field by field (key sentence, then title, then the story line,
then the outlet), each on a word boundary with "…", and rebuilt, so a tag or an entity is never
cut in half.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

__all__ = [
    "TOPIC_HASHTAGS",
    "AlertView",
    "html_visible_length",
    "render_alert",
    "render_also_reported",
    "render_digest",
    "render_plain",
]

TOPIC_HASHTAGS = {
    "al-tanf": "#alTanf",
    "maghawir-al-thawra": "#MaghawirAlThawra",
    "55km-zone": "#55kmZone",
}
_RLI, _PDI = "\u2067", "\u2069"  # right-to-left isolate: Arabic keeps its order beside Latin
_ELLIPSIS = "…"
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_TAG = re.compile(r"<[^>]*>")
_WS = re.compile(r"\s+")
_DIGEST_TITLE_MAX = 150
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


@dataclass(frozen=True)
class _Fields:
    """The cleaned strings that may be shortened to fit the limit."""

    sentence: tuple[tuple[str, bool], ...]  # segments, True = a matched term (bold)
    title: str
    story: str
    outlet: str
    url: str


def html_visible_length(html_text: str) -> int:
    """Length Telegram counts: UTF-16 code units of the text once tags and entities are parsed."""
    return _utf16_len(html.unescape(_TAG.sub("", html_text)))


def render_alert(view: AlertView, *, limit: int = 4096) -> str:
    """The alert as Telegram HTML, at most ``limit`` visible characters."""
    return _fit(_fields(view), lambda f: _alert_html(view, f), html_visible_length, limit)


def render_plain(view: AlertView, *, limit: int = 4096) -> str:
    """The alert without markup, for a resend after an entity error (send with no parse_mode)."""
    return _fit(_fields(view), lambda f: _alert_plain(view, f), _utf16_len, limit)


def render_digest(views: Sequence[AlertView], *, limit: int = 4096) -> str:
    """One message listing many alerts as linked titles; the tail becomes "… and N more"."""
    count = len(views)
    head = f"🗞 <b>{count} new {'report' if count == 1 else 'reports'}</b>"
    return _listing(head, [_digest_line(view) for view in views], "", limit)


def render_also_reported(views: Sequence[AlertView], *, story: str | None = None,
                         limit: int = 4096) -> str:
    """Follow-ups of one story in one message: "also reported by" the outlets, each linked.

    Sent as a reply to the story's first alert; `story` (its title) is named only when there
    is no such message to reply to.
    """
    outlets = list(dict.fromkeys(_clean(v.outlet) for v in views if _clean(v.outlet)))
    named = _cut_words(", ".join(outlets), 200) if outlets else f"{len(views)} more reports"
    head = f"↪️ <b>Also reported by</b> {html.escape(named)}"
    title = _cut_words(_clean(story), _DIGEST_TITLE_MAX) if story else ""
    tail = f"on «{_isolate(html.escape(title), title)}»" if title else ""
    return _listing(head, [_digest_line(view) for view in views], tail, limit)


def _listing(head: str, lines: Sequence[str], tail: str, limit: int) -> str:
    """Head, as many numbered lines as fit ("… and N more" for the rest), then tail."""
    low, high = 0, len(lines)
    while low < high:  # the most items that fit
        middle = (low + high + 1) // 2
        if html_visible_length(_digest(head, lines, middle, tail)) <= limit:
            low = middle
        else:
            high = middle - 1
    text = _digest(head, lines, low, tail)
    if html_visible_length(text) > limit:
        raise ValueError(f"limit {limit} is too small for a digest")
    return text


# -- building ---------------------------------------------------------------------------------
def _alert_html(view: AlertView, fields: _Fields) -> str:
    esc = html.escape
    title = _isolate(esc(fields.title or _ELLIPSIS), fields.title)
    url = _safe_url(fields.url)
    head = f'<a href="{esc(url)}">{title}</a>' if url else title
    lines = [f"<b>{head}</b>", esc(_meta_line(view, fields.outlet))]
    lines += [esc(tags)] if (tags := _hashtags(view.topics)) else []
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
    lines += [tags] if (tags := _hashtags(view.topics)) else []
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
    url = _safe_url(view.url)
    linked = f'<a href="{html.escape(url)}">{label}</a>' if url else label
    outlet = _clean(view.outlet)
    return f"{linked} — {html.escape(outlet)}" if outlet else linked


def _digest(head: str, lines: Sequence[str], shown: int, tail: str) -> str:
    out = [head]
    out += [f"{index}. {line}" for index, line in enumerate(lines[:shown], start=1)]
    if shown < len(lines):
        out.append(f"… and {len(lines) - shown} more")
    return "\n".join(out + ([tail] if tail else []))


# -- fitting ----------------------------------------------------------------------------------
def _fit(fields: _Fields, build: Callable[[_Fields], str], measure: Callable[[str], int],
         limit: int) -> str:
    text = build(fields)
    if measure(text) <= limit:
        return text
    original = fields.sentence
    for name in ("sentence", "title", "story", "outlet", "url"):
        fields = _shrink(fields, name, getattr(fields, name), build, measure, limit)
        if name == "sentence" and _has_term(original) and not _has_term(fields.sentence):
            # the plain prefix lost the matched terms: start the excerpt before them, giving
            # about half of the room left to the context that leads up to them
            spare = limit - measure(build(replace(fields, sentence=())))
            windowed = _window(original, max(spare // 2, 40))
            fields = _shrink(fields, name, windowed, build, measure, limit)
        text = build(fields)
        if measure(text) <= limit:
            return text
    raise ValueError(f"limit {limit} is too small for an alert")


def _shrink(fields: _Fields, name: str, full: object, build: Callable[[_Fields], str],
            measure: Callable[[str], int], limit: int) -> _Fields:
    """The longest cut of one field (a binary search over kept characters) that fits."""
    size = len(_joined(full)) if name == "sentence" else len(full)  # type: ignore[arg-type]
    best = replace(fields, **{name: _cut(name, full, 0)})
    low, high = 1, size
    while low <= high:
        middle = (low + high) // 2
        candidate = replace(fields, **{name: _cut(name, full, middle)})
        if measure(build(candidate)) <= limit:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def _cut(name: str, value: object, keep: int) -> object:
    if name == "url":
        return ""  # a cut URL is a broken link: drop it whole
    if name == "sentence":
        return _cut_segments(value, keep)  # type: ignore[arg-type]
    return _cut_words(str(value), keep)


def _cut_words(text: str, keep: int) -> str:
    """At most ``keep`` characters plus "…", cut on a word boundary when one is near."""
    if len(text) <= keep:
        return text
    if keep <= 0:
        return ""
    head = text[:keep]
    space = head.rfind(" ")
    if space >= keep // 2:
        head = head[:space]
    return head.rstrip(" ,;:-–—") + _ELLIPSIS


def _cut_segments(segments: tuple[tuple[str, bool], ...], keep: int
                  ) -> tuple[tuple[str, bool], ...]:
    whole = _joined(segments)
    cut = _cut_words(whole, keep)
    if cut == whole:
        return segments
    remaining = len(cut) - 1 if cut else 0  # characters kept before the "…"
    out: list[tuple[str, bool]] = []
    for text, bold in segments:
        if remaining <= 0:
            break
        out.append((text[:remaining], bold))
        remaining -= len(text)
    return (*out, (_ELLIPSIS, False)) if out else ()


def _window(segments: tuple[tuple[str, bool], ...], context: int
            ) -> tuple[tuple[str, bool], ...]:
    """Start a long sentence shortly before its first matched term, so the term stays in view."""
    lead = 0
    for text, bold in segments:
        if bold:
            break
        lead += len(text)
    else:
        return segments
    whole = _joined(segments)
    start = whole.rfind(" ", 0, max(lead - context, 0))
    if start <= 0:
        return segments
    out: list[tuple[str, bool]] = [(_ELLIPSIS, False)]
    skip = start + 1
    for text, bold in segments:
        if skip < len(text):
            out.append((text[skip:], bold))
        skip = max(skip - len(text), 0)
    return tuple(out)


# -- cleaning ---------------------------------------------------------------------------------
def _fields(view: AlertView) -> _Fields:
    return _Fields(
        sentence=_segments(view.sentence or "", view.terms),
        title=_cut_words(_clean(view.title), _TITLE_MAX),
        story=_cut_words(_clean(view.story_line or ""), _DIGEST_TITLE_MAX),
        outlet=_cut_words(_clean(view.outlet), _OUTLET_MAX),
        url=_safe_url(view.url),
    )


def _segments(sentence: str, terms: tuple[tuple[int, int], ...]
              ) -> tuple[tuple[str, bool], ...]:
    """Split the sentence at the (merged, clipped) term offsets, then clean each piece."""
    spans: list[list[int]] = []
    for start, end in sorted(terms):
        start, end = max(start, 0), min(end, len(sentence))
        if start >= end:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in spans:
        pieces += [(sentence[position:start], False), (sentence[start:end], True)]
        position = end
    pieces.append((sentence[position:], False))
    cleaned = [(_clean(text, strip=False), bold) for text, bold in pieces]
    if cleaned:
        cleaned[0] = (cleaned[0][0].lstrip(), cleaned[0][1])
        cleaned[-1] = (cleaned[-1][0].rstrip(), cleaned[-1][1])
    return tuple(piece for piece in cleaned if piece[0])


def _clean(text: str | None, *, strip: bool = True) -> str:
    """One line of printable text: no control, surrogate or stray bidi characters."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text or ""
        if ch.isspace() or (unicodedata.category(ch) not in ("Cc", "Cs")
                            and ch not in _BIDI_CONTROLS)
    )
    kept = _WS.sub(" ", kept)
    return kept.strip() if strip else kept


def _isolate(rendered: str, plain: str) -> str:
    return f"{_RLI}{rendered}{_PDI}" if _is_rtl(plain) else rendered


def _is_rtl(text: str) -> bool:
    """Mostly right-to-left letters (an Arabic sentence may open with a Latin acronym)."""
    balance = 0
    for ch in text:
        direction = unicodedata.bidirectional(ch)
        balance += (direction in ("R", "AL")) - (direction == "L")
    return balance > 0


def _has_term(segments: tuple[tuple[str, bool], ...]) -> bool:
    return any(bold for _, bold in segments)


def _joined(segments: tuple[tuple[str, bool], ...]) -> str:
    return "".join(text for text, _ in segments)


def _hashtags(topics: tuple[str, ...]) -> str:
    tags = []
    for topic in topics:
        tag = TOPIC_HASHTAGS.get(topic) or "#" + "".join(
            part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", topic))
        if len(tag) > 1 and tag not in tags:
            tags.append(tag)
    return " ".join(tags)


def _safe_url(url: str | None) -> str:
    url = (url or "").strip()
    return url if re.match(r"(?i)^(https?|tg)://\S+$", url) else ""


def _score_text(score: float) -> str:
    return f"score {score:.2f}"


def _utc(moment: datetime) -> datetime:
    # naive datetimes are taken as UTC rather than failing an alert over metadata
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
