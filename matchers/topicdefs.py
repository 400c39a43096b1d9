"""Compiled topic definitions (aliases, context and look-alike terms) from ``topics.toml``.

Every alias and term names *literals*: substrings that each of its matches contains. Patterns run
only in windows around the literals' occurrences (see `matchers.literals`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from matchers.literals import WINDOW_AHEAD, WINDOW_BACK, Spots
from matchers.names import NameDef
from matchers.scan import Scan, scan_of
from matchers.zones import ZoneDef

__all__ = ["Alias", "Term", "TermSet", "compile_alias", "compile_terms", "enabled",
           "name_alias"]

_ESCAPE = re.compile(r"\\.")
_SCRIPTS = {"latin": re.compile(r"[a-z]"), "cyrillic": re.compile(r"[\u0400-\u04ff]"),
            "arabic": re.compile(r"[\u0600-\u06ff]")}


def _scripts(text: str) -> frozenset[str]:
    """Scripts whose letters `text` spells out (escapes such as \\w or \\s do not count)."""
    bare = _ESCAPE.sub("", text)
    return frozenset(name for name, letters in _SCRIPTS.items() if letters.search(bare))


def _groups(literals: tuple[str, ...], patterns: tuple[re.Pattern[str], ...],
            ) -> tuple[tuple[tuple[str, ...], tuple[re.Pattern[str], ...]], ...]:
    """Pair each pattern with the literals it can hold: a pattern that spells out no Arabic
    letter cannot match an Arabic literal, so it need not run around one (it still runs around
    literals without letters, like "55")."""
    by_literals: dict[tuple[str, ...], list[re.Pattern[str]]] = {}
    for pat in patterns:
        spelled = _scripts(pat.pattern)
        mine = tuple(lit for lit in literals if _scripts(lit) <= spelled)
        by_literals.setdefault(mine, []).append(pat)
    return tuple((lits, tuple(pats)) for lits, pats in by_literals.items() if lits)


@dataclass(frozen=True)
class Alias:
    topic: str
    label: str
    weight: float
    literals: tuple[str, ...]
    literals_original: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    forms: frozenset[str]
    case: re.Pattern[str] | None
    not_case: re.Pattern[str] | None
    needs: str | None
    ambiguous: bool
    reach: tuple[int, int] = (WINDOW_BACK, WINDOW_AHEAD)
    # (literals, patterns): each pattern runs only around literals of scripts it spells out
    groups: tuple[tuple[tuple[str, ...], tuple[re.Pattern[str], ...]], ...] = ()
    near: tuple[str, ...] = ()  # folded words one of which must be near a match (config names)


@dataclass(frozen=True)
class Term:
    label: str
    literals: tuple[str, ...]
    pattern: re.Pattern[str]
    reach: tuple[int, int] | None = None  # None: the term set's
    # the pattern's scan (see matchers.scan)
    scan: Scan | re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.scan is None:
            object.__setattr__(self, "scan", scan_of(self.pattern))


@dataclass(frozen=True)
class TermSet:
    name: str
    terms: tuple[Term, ...]
    min_terms: int = 1
    penalty: float = 0.0
    reach: tuple[int, int] = (WINDOW_BACK, WINDOW_AHEAD)

    def found(self, spots: Spots) -> list[str]:
        """Labels of the terms present, in the terms' order (the literal check first: it is
        much cheaper; a label found once is not looked for again)."""
        text = spots.text
        occurring = spots.found if spots.complete else None
        labels: dict[str, None] = {}  # a label may have several terms (one per language)
        for t in self.terms:
            if t.label in labels or occurring is not None and not any(
                    lit in occurring for lit in t.literals):
                continue
            windows = spots.iter_windows(t.literals, reach=t.reach or self.reach)
            if any(t.scan.search(text, lo, hi) for lo, hi in windows):  # type: ignore[union-attr]
                labels[t.label] = None
        return list(labels)


def compile_alias(d: dict[str, Any], topics: Collection[str]) -> Alias:
    """One alias table; its topic must be one of `topics` (the registry's ids)."""
    if d["topic"] not in topics:
        raise ValueError(f"topics.toml: unknown topic {d['topic']!r}")
    case, not_case = d.get("case"), d.get("not_case")
    back, ahead = d.get("reach", (WINDOW_BACK, WINDOW_AHEAD))
    literals = tuple(d.get("literals", ()))
    patterns = tuple(re.compile(p) for p in d["patterns"])
    return Alias(
        topic=d["topic"],
        label=d["label"],
        weight=float(d.get("weight", 1.0)),
        literals=literals,
        literals_original=tuple(d.get("literals_original", ())),
        patterns=patterns,
        forms=frozenset(d.get("forms", ("folded",))),
        case=re.compile(case) if case else None,
        not_case=re.compile(not_case) if not_case else None,
        needs=d.get("needs"),
        ambiguous=bool(d.get("ambiguous", False)),
        reach=(int(back), int(ahead)),
        groups=_groups(literals, patterns),
        near=tuple(d.get("near", ())),
    )


def enabled(d: dict[str, Any], disabled_languages: frozenset[str]) -> bool:
    """False for an alias or term written only for languages that are switched off."""
    languages = d.get("languages")
    return not languages or not set(languages) <= disabled_languages


def name_alias(name: NameDef | ZoneDef, needs: str | None = None) -> Alias:
    """The alias a name found by its skeleton (its context was checked) or a zone is scored
    as."""
    return Alias(topic=name.topic, label=name.label, weight=name.weight, literals=(),
                 literals_original=(), patterns=(), forms=frozenset(), case=None,
                 not_case=None, needs=needs, ambiguous=getattr(name, "ambiguous", False))


def compile_terms(name: str, d: dict[str, Any]) -> TermSet:
    terms = tuple(Term(t["label"], tuple(t["literals"]), re.compile(t["pattern"]),
                       (int(t["reach"][0]), int(t["reach"][1])) if "reach" in t else None)
                  for t in d["terms"])
    back, ahead = d.get("reach", (WINDOW_BACK, WINDOW_AHEAD))
    return TermSet(name, terms, int(d.get("min_terms", 1)), float(d.get("penalty", 0.0)),
                   (int(back), int(ahead)))
