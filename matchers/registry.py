"""The one list of topics: ids, labels, hashtags and the words `/subscribe` accepts.

The built-in topics are the ``[[topic]]`` tables of ``topics.toml``; the config may add topics
and extend built-in ones with ``[[topics]]`` (plain `names` in any script, optional `context`
words, `patterns` for experts). Every other place (subscriptions, hashtags, /help, Datasette,
the matcher) reads ids and labels from a `TopicRegistry` it is given. Pure data; no state.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

__all__ = ["BUILT_IN", "CONFIG", "Topic", "TopicError", "TopicRegistry", "builtin_registry"]

BUILT_IN, CONFIG = "built-in", "config"
_DEFAULT_PATH = Path(__file__).with_name("topics.toml")
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")
_HASHTAG = re.compile(r"\w{1,64}")  # Telegram hashtags: letters, digits, underscores
_KEYS = ("id", "label", "hashtag", "names", "context", "patterns", "words")
_MIN_NAME = 3  # letters in a plain name: shorter ones would match everywhere


class TopicError(ValueError):
    """A topic entry cannot be used; the message names the key (`topics[1].names`)."""


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    hashtag: str  # without "#"
    words: tuple[str, ...] = ()  # what /subscribe accepts besides the id (lower case)
    origin: str = BUILT_IN  # BUILT_IN or CONFIG: where the topic was defined
    names: tuple[str, ...] = ()  # from the config: plain names, any script
    context: tuple[str, ...] = ()  # from the config: one must be near a one-word name
    patterns: tuple[str, ...] = ()  # from the config: regexes on the folded text

    @property
    def extended(self) -> bool:
        """Whether the config added names or patterns to it."""
        return bool(self.names or self.patterns)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "hashtag": "#" + self.hashtag,
                "words": list(self.words), "origin": self.origin,
                "extended": self.origin == BUILT_IN and self.extended,
                "names": list(self.names), "context": list(self.context),
                "patterns": list(self.patterns)}


@dataclass(frozen=True)
class TopicRegistry:
    """The topics in force, in order (built-in first, then the config's new ones)."""

    topics: tuple[Topic, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topics)

    def __iter__(self) -> Iterator[Topic]:
        return iter(self.topics)

    def __len__(self) -> int:
        return len(self.topics)

    def __contains__(self, topic_id: object) -> bool:
        return topic_id in self.ids

    def get(self, topic_id: str) -> Topic:
        """The topic with this id (KeyError if none)."""
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise KeyError(topic_id)

    def resolve(self, word: str) -> str | None:
        """The id a /subscribe word means ("tanf", "#alTanf", "rukban-camp"), else None."""
        w = word.strip().lower().lstrip("#")
        for t in self.topics:
            if w in (t.id, t.hashtag.lower(), *t.words):
                return t.id
        return None

    def order(self, ids: Sequence[str]) -> tuple[str, ...]:
        """`ids` that are known, in the registry's order, each once."""
        wanted = set(ids)
        return tuple(i for i in self.ids if i in wanted)

    def hashtags(self) -> dict[str, str]:
        return {t.id: "#" + t.hashtag for t in self.topics}

    def labels(self) -> dict[str, str]:
        return {t.id: t.label for t in self.topics}

    def with_config(self, entries: Any) -> TopicRegistry:
        """This registry with the config's ``[[topics]]`` added (raises `TopicError`)."""
        if not isinstance(entries, list):
            raise TopicError("topics: expected an array of tables ([[topics]])")
        topics = list(self.topics)
        seen: set[str] = set()
        for i, raw in enumerate(entries):
            topic = _parse(raw, f"topics[{i}].", topics)
            if topic.id in seen:
                raise TopicError(f"topics[{i}].id: {topic.id!r} is given twice")
            seen.add(topic.id)
            at = next((k for k, t in enumerate(topics) if t.id == topic.id), None)
            if at is None:
                topics.append(topic)
            else:
                topics[at] = topic
        out = TopicRegistry(tuple(topics))
        _check_words(out)
        return out


def builtin_registry(path: str | Path | None = None) -> TopicRegistry:
    """The built-in topics: the ``[[topic]]`` tables of topics.toml."""
    with open(path or _DEFAULT_PATH, "rb") as fh:
        data = tomllib.load(fh)
    return registry_of(data)


def registry_of(definitions: Mapping[str, Any]) -> TopicRegistry:
    """The registry of loaded topics.toml data."""
    return TopicRegistry(tuple(
        Topic(d["id"], d["label"], d["hashtag"], tuple(w.lower() for w in d.get("words", ())))
        for d in definitions["topic"]))


def _strings(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TopicError(f"{where}{key}: expected a list of non-empty strings, got {value!r}")
    return tuple(v.strip() for v in value)


def _text(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise TopicError(f"{where}{key}: expected a non-empty string, got {value!r}")
    return value.strip() if value else None


def _parse(raw: Any, where: str, known: list[Topic]) -> Topic:
    if not isinstance(raw, dict):
        raise TopicError(f"{where[:-1]}: expected a table")
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise TopicError(f"{where}{unknown[0]}: unknown key (known: {', '.join(_KEYS)})")
    topic_id = _text(raw, "id", where)
    if topic_id is None:
        raise TopicError(f"{where}id: missing")
    if not _ID.fullmatch(topic_id):
        raise TopicError(f"{where}id: {topic_id!r} must be lower-case letters, digits and '-'")
    base = next((t for t in known if t.id == topic_id), None)
    names, context = _strings(raw, "names", where), _strings(raw, "context", where)
    patterns = _patterns(raw, where)
    for n in names:
        if sum(c.isalnum() for c in n) < _MIN_NAME:
            raise TopicError(f"{where}names: {n!r} is too short (at least {_MIN_NAME} letters)")
    if not names and not patterns:
        raise TopicError(f"{where}names: a topic entry needs names or patterns")
    label = _text(raw, "label", where) or (base.label if base else topic_id)
    hashtag = (_text(raw, "hashtag", where) or "").lstrip("#") or (
        base.hashtag if base else "".join(p[:1].upper() + p[1:] for p in topic_id.split("-")))
    if not _HASHTAG.fullmatch(hashtag):
        raise TopicError(f"{where}hashtag: {hashtag!r} must be letters, digits or '_'")
    words = tuple(w.lower() for w in _strings(raw, "words", where))
    if base is not None:
        return replace(base, label=label, hashtag=hashtag, words=base.words + words,
                       names=base.names + names, context=base.context + context,
                       patterns=base.patterns + patterns)
    return Topic(topic_id, label, hashtag, words, CONFIG, names, context, patterns)


def _patterns(raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
    patterns = _strings(raw, "patterns", where)
    for k, p in enumerate(patterns):
        try:
            re.compile(p)
        except re.error as exc:
            raise TopicError(f"{where}patterns[{k}]: not a valid regex: {exc}") from None
    return patterns


def _check_words(registry: TopicRegistry) -> None:
    """Every /subscribe word must mean one topic."""
    owner: dict[str, str] = {}
    for t in registry:
        for w in {t.id, t.hashtag.lower(), *t.words}:
            if owner.setdefault(w, t.id) != t.id:
                raise TopicError(f"topics: {w!r} would name both {owner[w]!r} and {t.id!r}")
