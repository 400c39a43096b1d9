"""Public Telegram channels through their web preview, ``https://t.me/s/<channel>``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import lxml.html
from lxml import etree

from watchers.feedmodel import tidy
from watchers.feeds import FeedEntry, html_to_text

__all__ = ["channel_preview_url", "parse_channel_preview"]

logger = logging.getLogger(__name__)

TITLE_CHARS = 120
_HAS_CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
_POSTS = f"//div[@data-post and {_HAS_CLASS.format('tgme_widget_message')}]"
_TEXT = f".//div[{_HAS_CLASS.format('js-message_text')}]"
_REPLY = _HAS_CLASS.format("tgme_widget_message_reply")
_DATE = f".//a[{_HAS_CLASS.format('tgme_widget_message_date')}]//time[@datetime]"
_OWNER = f".//*[{_HAS_CLASS.format('tgme_widget_message_owner_name')}]"


def channel_preview_url(channel: str) -> str:
    return f"https://t.me/s/{channel.lstrip('@').strip('/')}"


def _title(text: str) -> str:
    first = text.split("\n", 1)[0].strip()
    if len(first) <= TITLE_CHARS:
        return first
    return first[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def _published(post: etree._Element) -> datetime | None:
    stamps = post.xpath(_DATE)
    if not stamps:
        return None
    try:
        when = datetime.fromisoformat(stamps[0].get("datetime"))
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _post_text(post: etree._Element) -> str:
    for node in post.xpath(_TEXT):
        if not node.xpath(f"ancestor::*[{_REPLY}]"):  # skip the quoted message of a reply
            return html_to_text(etree.tostring(node, encoding="unicode", method="html"))
    return ""


def _entry(post: etree._Element, channel: str) -> FeedEntry | None:
    name, _, number = (post.get("data-post") or "").partition("/")
    if not number.isdigit() or name.lower() != channel.lower():
        return None
    url = f"https://t.me/{name}/{number}"
    text = _post_text(post)
    owners = post.xpath(_OWNER)
    author = tidy(owners[0].text_content()) if owners else None  # tidy: controls dropped too
    return FeedEntry(url, url, _title(text), text, text, _published(post), author or None)


def parse_channel_preview(html: str | bytes, *, channel: str) -> list[FeedEntry]:
    """The posts of a channel's preview page (oldest first, as the page lists them)."""
    channel = channel.lstrip("@").strip("/")
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")  # t.me always serves UTF-8
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    entries = [_entry(post, channel) for post in tree.xpath(_POSTS)]
    skipped = sum(e is None for e in entries)
    if skipped:
        logger.info(
            "telegram %s: skipped %d posts of other channels or without ids", channel, skipped
        )
    return [e for e in entries if e is not None]
