"""Settings: the TOML config and the environment, read once into a frozen object.

Only this module reads the environment. A bad config fails fast with a
`ConfigError` whose message names the key.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from matchers.registry import TopicError, TopicRegistry, builtin_registry
from storage.chats import FOLLOW_UP_MODES

__all__ = [
    "FOLLOW_UP_MODES",
    "ConfigError",
    "Secret",
    "Settings",
    "Source",
    "SOURCE_KINDS",
    "load_settings",
]

SOURCE_KINDS = ("feed", "page", "sitemap", "search", "telegram")
DEFAULT_API_BASE = "https://api.telegram.org/bot"
DEFAULT_DB = "./data/tanfwatch.db"
MIN_INTERVAL = 10
MAX_INTERVAL = 30 * 86400  # a source's polling interval: 10 s to 30 days


class ConfigError(Exception):
    """The configuration cannot be used; the message names the offending key."""


class Secret:
    """A string that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    kind: str = "feed"
    interval: int = 600
    enabled: bool = True
    trusted: bool = True
    query: str | None = None
    engine: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Settings:
    sources: tuple[Source, ...]
    db_path: Path
    token: Secret | None = None
    chat_id: str | None = None
    api_base: str = DEFAULT_API_BASE
    admin_chat_id: str | None = None
    admin_ids: tuple[int, ...] = ()
    backfill_hours: float = 72.0
    threshold: float | None = None
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    concurrency: int = 16
    per_host: int = 2
    # extraction processes; None (the default): one per available core, a pool from two; 1: none
    workers: int | None = None
    db_timeout: float = 30.0  # seconds to wait for another writer's lock on the archive
    keep_irrelevant_days: int = 180  # retention of non-relevant articles; 0: for ever
    follow_ups: str = "thread"
    digest_after: int = 10
    link_preview: bool = False
    archive_url: str | None = None  # e.g. a Datasette row page: https://host/tanfwatch/articles/{id}
    config_path: Path | None = None
    topics: TopicRegistry = field(default_factory=builtin_registry)  # built-in + [[topics]]
    extra: Mapping[str, Any] = field(default_factory=dict)


def _default_config_text() -> str:
    return resources.files("bot").joinpath("default_config.toml").read_text("utf-8")


def _read_toml(path: Path | None) -> tuple[dict[str, Any], Path | None]:
    if path is None:
        return tomllib.loads(_default_config_text()), None
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"config {path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config {path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
                          f"at offset {exc.start})") from None
    try:
        return tomllib.loads(text), path
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path}: invalid TOML: {exc}") from exc


def _want(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ConfigError(f"{where}{key}: expected {name}, got {value!r}")
    return value


def _http_url(url: str, key: str) -> str:
    """An http(s) URL with a host; the scheme is matched and stored in lower case."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # e.g. a bad IPv6 literal or port
        raise ConfigError(f"{key}: {url!r} is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ConfigError(f"{key}: {url!r} is not an http(s) URL")
    if not host:
        raise ConfigError(f"{key}: {url!r} has no host")
    return parts.scheme.lower() + url[len(parts.scheme):]


def _parse_source(raw: Any, index: int) -> Source:
    where = f"sources[{index}]."
    if not isinstance(raw, dict):
        raise ConfigError(f"sources[{index}]: expected a table")
    known = {f for f in Source.__dataclass_fields__ if f != "trusted"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}{unknown[0]}: unknown key")
    kind = _want(raw, "kind", str, where) if "kind" in raw else "feed"
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{where}kind: {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    if "url" not in raw and not (kind == "search" and "query" in raw):
        raise ConfigError(f"{where}url: missing")
    url = _http_url(_want(raw, "url", str, where), f"{where}url") if "url" in raw else ""
    name = _want(raw, "name", str, where) if "name" in raw else url or str(raw.get("query"))
    if not name.strip():
        raise ConfigError(f"{where}name: must not be empty")
    interval = _want(raw, "interval", int, where) if "interval" in raw else 600
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise ConfigError(f"{where}interval: {interval} s is out of range "
                          f"({MIN_INTERVAL} s to {MAX_INTERVAL} s, 30 days)")
    opt = {k: _want(raw, k, str, where) for k in ("query", "engine", "language") if k in raw}
    enabled = _want(raw, "enabled", bool, where) if "enabled" in raw else True
    return Source(name=name, url=url, kind=kind, interval=interval, enabled=enabled, **opt)


def _parse_sources(data: Mapping[str, Any]) -> tuple[Source, ...]:
    raw = data.get("sources", [])
    if not isinstance(raw, list):
        raise ConfigError("sources: expected an array of tables ([[sources]])")
    sources = tuple(_parse_source(item, i) for i, item in enumerate(raw))
    seen: set[str] = set()
    for s in sources:
        if s.name in seen:
            raise ConfigError(f"sources: duplicate name {s.name!r}")
        seen.add(s.name)
    return sources


def _token(env: Mapping[str, str]) -> Secret | None:
    if env.get("TELEGRAM_BOT_TOKEN"):
        return Secret(env["TELEGRAM_BOT_TOKEN"].strip())
    token_file = env.get("TELEGRAM_BOT_TOKEN_FILE")
    if token_file:
        try:
            token = Path(token_file).read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise ConfigError(f"TELEGRAM_BOT_TOKEN_FILE: cannot read {token_file}") from None
        if not token:
            raise ConfigError(f"TELEGRAM_BOT_TOKEN_FILE: {token_file} is empty")
        return Secret(token)
    return None


# key: (type, lowest, highest, lowest allowed too?). Zero workers or a zero timeout would hang
# or fail every fetch; bounds above keep timedelta and the scheduler from overflowing.
_NUMBERS: dict[str, tuple[type, float, float, bool]] = {
    "backfill_hours": (float, 0, 10 * 365 * 24, True),
    "threshold": (float, 0, 1, True),
    "timeout": (float, 0, 3600, False),
    "max_bytes": (int, 1024, 2**31, True),
    "concurrency": (int, 1, 1024, True),
    "per_host": (int, 1, 64, True),
    "workers": (int, 1, 256, True),
    "digest_after": (int, 0, 10_000, True),
    "db_timeout": (float, 0, 3600, True),
    "keep_irrelevant_days": (int, 0, 100 * 365, True),
}
_OPTION_KEYS = {*_NUMBERS, "backfill", "follow_ups", "archive_url", "link_preview", "admin_ids",
                "admin_chat_id"}
_TABLES = {"tanfwatch", "sources", "topics"}  # top-level tables besides the options


def _topics(data: Mapping[str, Any]) -> TopicRegistry:
    """The built-in topics with the config's [[topics]] added or extended."""
    registry = builtin_registry()
    if "topics" not in data:
        return registry
    try:
        return registry.with_config(data["topics"])
    except TopicError as exc:
        raise ConfigError(str(exc)) from None


def _options(data: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level scalar options ([tanfwatch] table or top level)."""
    table = data.get("tanfwatch", data)
    if not isinstance(table, dict):
        raise ConfigError("tanfwatch: expected a table")
    where = "tanfwatch." if table is not data else ""
    allowed = _OPTION_KEYS | (_TABLES if table is data else set())
    unknown = sorted(set(table) - allowed)
    if unknown:  # a typo must not silently fall back to a default
        raise ConfigError(f"{where}{unknown[0]}: unknown key")
    if table is not data and set(data) - _TABLES:
        raise ConfigError(f"{sorted(set(data) - _TABLES)[0]}: unknown key "
                          "(options belong in [tanfwatch])")
    return {**_number_options(table), **_other_options(table)}


def _number(table: Mapping[str, Any], key: str, name: str) -> Any:
    kind, low, high, low_ok = _NUMBERS[name]
    value = _want(table, key, kind, "")
    if value > high or value < low or (value == low and not low_ok) or math.isnan(value):
        bound = f"{low} or more" if low_ok else f"more than {low}"
        raise ConfigError(f"{key}: {value!r} is out of range (must be {bound}, at most {high})")
    return value


def _number_options(table: Mapping[str, Any]) -> dict[str, Any]:
    out = {key: _number(table, key, key) for key in _NUMBERS if key in table}
    if "backfill" in table:  # alias: `backfill` (hours)
        out["backfill_hours"] = _number(table, "backfill", "backfill_hours")
    return out


def _other_options(table: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "follow_ups" in table:
        mode = _want(table, "follow_ups", str, "")
        if mode not in FOLLOW_UP_MODES:
            raise ConfigError(f"follow_ups: {mode!r} is not one of {', '.join(FOLLOW_UP_MODES)}")
        out["follow_ups"] = mode
    if "archive_url" in table:
        template = _want(table, "archive_url", str, "")
        if "{id}" not in template:
            raise ConfigError("archive_url: expected an http(s) URL template containing {id}")
        out["archive_url"] = _http_url(template, "archive_url")
    if "link_preview" in table:
        out["link_preview"] = _want(table, "link_preview", bool, "")
    if "admin_ids" in table:
        ids = _want(table, "admin_ids", list, "")
        if not all(isinstance(i, int) for i in ids):
            raise ConfigError("admin_ids: expected a list of integer user ids")
        out["admin_ids"] = tuple(ids)
    if "admin_chat_id" in table:
        out["admin_chat_id"] = str(_want(table, "admin_chat_id", (str, int), ""))
    return out


def load_settings(
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    db_path: str | Path | None = None,
) -> Settings:
    """Read the config (explicit path, else TANFWATCH_CONFIG, else the packaged default)."""
    env = os.environ if env is None else env
    path = config_path or env.get("TANFWATCH_CONFIG") or None
    data, used = _read_toml(Path(path) if path else None)
    options = _options(data)
    chat = env.get("TELEGRAM_CHAT_ID") or None
    return Settings(
        sources=_parse_sources(data),
        db_path=Path(db_path or env.get("TANFWATCH_DB") or DEFAULT_DB),
        token=_token(env),
        chat_id=chat,
        api_base=_http_url(env.get("TELEGRAM_API_BASE") or DEFAULT_API_BASE,
                           "TELEGRAM_API_BASE"),
        config_path=used,
        topics=_topics(data),
        **{"admin_chat_id": env.get("TANFWATCH_ADMIN_CHAT_ID") or chat, **options},
    )
