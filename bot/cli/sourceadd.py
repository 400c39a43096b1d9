"""`tanfwatch sources add URL`: find out what a URL is and append a `[[sources]]` entry."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.settings import ConfigError, Settings, load_settings
from watchers.discover import discover
from watchers.fetch import Fetcher

__all__ = ["AddedSource", "add_source", "source_block"]

_NOT_NAME = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class AddedSource:
    name: str
    url: str
    kind: str
    config: Path


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def source_block(name: str, url: str, kind: str) -> str:
    """The `[[sources]]` table appended to a config file."""
    return f"\n[[sources]]\nname = {_toml(name)}\nurl = {_toml(url)}\nkind = {_toml(kind)}\n"


def _default_name(url: str, kind: str, taken: set[str]) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "source").removeprefix("www.")
    slug = _NOT_NAME.sub("-", f"{host} {parts.path}".lower()).strip("-") or kind
    name, n = slug[:60], 2
    while name in taken:
        name, n = f"{slug[:57]}-{n}", n + 1
    return name


def _existing(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {s.name for s in load_settings(path, env={}).sources}


async def add_source(url: str, settings: Settings, *, config: Path | None = None,
                     name: str | None = None) -> AddedSource:
    """Discover ``url``'s kind and append it to ``config`` (default: the config in use).

    Raises ConfigError when no config file is in use (the packaged default is read-only),
    when the name is taken, or when the result would not load; WatchError when the URL
    cannot be fetched.
    """
    path = config or settings.config_path
    if path is None:
        raise ConfigError("the built-in default config is in use and cannot be changed; "
                          "give --config PATH (or set TANFWATCH_CONFIG) to a config file")
    taken = _existing(path)
    if name in taken:
        raise ConfigError(f"sources: duplicate name {name!r} in {path}")
    async with Fetcher(timeout=settings.timeout, max_bytes=settings.max_bytes) as fetcher:
        kind, found = await discover(url, fetcher)
    name = name or _default_name(found, kind, taken)
    before = path.read_text("utf-8") if path.exists() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(before + source_block(name, found, kind), "utf-8")
    try:
        load_settings(path, env={})
    except ConfigError:
        path.write_text(before, "utf-8")  # never leave a config that no longer loads
        raise
    return AddedSource(name, found, kind, path)
