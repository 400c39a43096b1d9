"""The config's topic names and patterns as matcher definitions (alias and name tables).

A plain name becomes what topics.toml would hold for it, so a user never writes a regex:
- an alias over the folded text (case, accents, Arabic letter variants and dashes folded):
  the name's words with any dash, apostrophe or space between them, Arabic attached
  particles and article before it, Russian endings after it. A one-word name of a topic with
  `context` counts only with one of those words near it (`near`);
- a name found by its consonant skeleton (matchers/names.py), for spellings in other scripts,
  when its first word has three consonants or more ("Rukban" -> "rkbn": "Ρουκμπάν", "רוקבאן").
`patterns` (for experts) run over the whole folded text. Pure: topics in, dicts out.
"""

from __future__ import annotations

import re
from typing import Any

from anyascii import anyascii

from matchers.normalize import Folder
from matchers.registry import Topic, TopicRegistry
from matchers.skeleton import skeleton

__all__ = ["config_definitions"]

_ARABIC = re.compile("[\u0600-\u06ff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_ARTICLES = frozenset({"al", "el", "ul", "as", "at", "ash", "ad", "ar", "an", "az", "l"})
_SEP = r"[\s\-']*"  # "al-Hurra", "al Hurra", "alHurra"


def config_definitions(registry: TopicRegistry, folder: Folder,
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(alias tables, name tables) for every name and pattern the config gave."""
    aliases: list[dict[str, Any]] = []
    names: list[dict[str, Any]] = []
    for topic in registry:
        for name in topic.names:
            aliases.append(_alias(topic, name, folder))
        names += _skeleton_names(topic)
        if topic.patterns:
            aliases.append({"topic": topic.id, "label": topic.label,
                            "patterns": list(topic.patterns)})
    return aliases, names


def _alias(topic: Topic, name: str, folder: Folder) -> dict[str, Any]:
    folded = folder.fold(name).text
    tokens = re.findall(r"\w+", folded)
    prefix = suffix = ""
    if _ARABIC.search(folded):  # "والركبان", "بمخيم": attached particles and the article
        prefix = "[وفبلك]{0,2}" + ("" if tokens[0].startswith("ال") else "(?:ال)?")
    elif _CYRILLIC.search(folded):
        suffix = "[а-яё]{0,3}"  # "Рукбане", "Рукбана"
    body = _SEP.join(re.escape(t) for t in tokens)
    latin = not _ARABIC.search(folded) and not _CYRILLIC.search(folded)
    near = [folder.fold(w).text for w in topic.context] if len(tokens) == 1 else []
    return {
        "topic": topic.id, "label": name, "weight": 1.0,
        "literals": [max(tokens, key=len)],
        "reach": [len(folded) + 8, len(folded) + 8],
        "forms": ["folded", "romanised"] if latin else ["folded"],
        "patterns": [f"(?<!\\w){prefix}{body}{suffix}(?!\\w)"],
        "near": near,
    }


def _skeleton_names(topic: Topic) -> list[dict[str, Any]]:
    """One name table per distinct skeleton of the topic's names (scripts agree on it)."""
    out: dict[tuple[tuple[str, ...], ...], dict[str, Any]] = {}
    for name in topic.names:
        words = [w for w in re.findall(r"\w+", anyascii(name).lower()) if w not in _ARTICLES]
        skeletons = [skeleton(w) for w in words]
        if not skeletons or len(skeletons[0]) < 3 or not all(skeletons):
            continue  # too short to find safely by its consonants alone
        if skeletons[0][0] == "l" and _ARABIC.search(name):
            skeletons[0] = skeletons[0][1:]  # "الركبان" -> "rkbn" (the article)
        key = tuple((s,) for s in skeletons)
        out.setdefault(key, {"topic": topic.id, "label": topic.label, "weight": 0.9,
                             "words": [list(k) for k in key],
                             "tolerance": 1 if sum(map(len, skeletons)) >= 6 else 0})
    return list(out.values())
