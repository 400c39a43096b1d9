"""Relevance matcher: finds al-Tanf, Maghawir al-Thawra and the 55-km zone and scores the text.

Pure: text in, `MatchResult` out. Topic definitions (aliases, context words, look-alikes, weights,
threshold) are data in ``topics.toml``; `load_matcher` compiles them once.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from matchers.context import GATE, MILITARY, load_lexicon
from matchers.hits import Hit, MatchResult, Raw, Span, dedupe, with_sentences
from matchers.literals import LiteralIndex, Spots
from matchers.names import NameFinder
from matchers.normalize import Folder, Normalized
from matchers.registry import TopicRegistry, registry_of
from matchers.scan import SCRIPTS, Scan, needed_script, scan_of
from matchers.scoring import gate, score_parts
from matchers.sentences import sentence_ends
from matchers.topicdefs import (
    Alias,
    compile_alias,
    compile_terms,
    enabled,
    name_alias,
)
from matchers.usertopics import config_definitions
from matchers.zones import ZoneFinder

__all__ = ["Hit", "MatchResult", "Matcher", "load_matcher"]

_DEFAULT_PATH = Path(__file__).with_name("topics.toml")
_SCRIPT_LETTERS = {name: re.compile(f"[{chr(lo)}-{chr(hi)}]") for name, (lo, hi) in SCRIPTS.items()}
_NEAR_CHARS = 150  # context words in any language this close unlock a "needs context" hit
# (and a config topic's context words must be this close to a one-word name)


def fields_of(pieces: list[tuple[str, str, Normalized]], field: str) -> str:
    """The original text of one field."""
    return next(norm.original for f, _, norm in pieces if f == field)


class Matcher:
    """Compiled topic definitions; `match` is pure and cheap."""

    def __init__(self, config: dict[str, Any], threshold: float | None = None,
                 disabled_languages: frozenset[str] = frozenset(),
                 registry: TopicRegistry | None = None) -> None:
        """`disabled_languages`: aliases and terms written for only these languages are left
        out (to measure what the general mechanisms find without them). `registry`: the
        topics in force (default: the config's built-in ones); the names and patterns the
        user's config gave them are matched too."""
        self.scoring: dict[str, float] = {k: float(v) for k, v in config["scoring"].items()}
        self.threshold = float(threshold if threshold is not None else self.scoring["threshold"])
        self.registry = registry if registry is not None else registry_of(config)
        self._folder = Folder()
        extra_aliases, extra_names = config_definitions(self.registry, self._folder)
        off, ids = disabled_languages, frozenset(self.registry.ids)
        self._aliases = tuple(compile_alias(a, ids) for a in [*config["alias"], *extra_aliases]
                              if enabled(a, off))
        context = dict(config["context"], terms=[t for t in config["context"]["terms"]
                                                 if enabled(t, off)])
        self._context = compile_terms("context", context)
        self._lookalikes = tuple(compile_terms(d["name"], d) for d in config.get("lookalike", ()))
        self._lexicon = load_lexicon(self._folder)
        self._names = NameFinder([*config.get("name", []), *extra_names], self._lexicon)
        self._name_aliases = {n: name_alias(n) for n in self._names.names}
        self._zones = ZoneFinder(config.get("zone", []), self._lexicon)
        self._zone_aliases = {z: name_alias(z, needs="context") for z in self._zones.zones}
        self._name_topics = frozenset(n.topic for n in (*self._names.names, *self._zones.zones))
        # per alias: its literals, and each group's, as sets (one C call tells none is present)
        scans: dict[re.Pattern[str], Scan | re.Pattern[str]] = {}  # (each pattern's scan made once)
        # and the script each pattern surely needs a letter of, if any (see matchers.scan)
        self._alias_sets = tuple(
            (frozenset(a.literals),
             tuple((frozenset(lits), lits, _scans(pats, scans),
                    tuple(needed_script(p) for p in pats)) for lits, pats in a.groups),
             _scans(a.patterns, scans))
            for a in self._aliases)
        # per literal, the aliases that can match where it occurs (in their order), and the
        # aliases that run on every text (a config topic's expert patterns)
        by_literal: dict[str, set[int]] = {}
        for i, a in enumerate(self._aliases):
            for lit in (*a.literals, *(low.lower() for low in a.literals_original)):
                by_literal.setdefault(lit, set()).add(i)
        self._by_literal = by_literal
        self._always = frozenset(i for i, a in enumerate(self._aliases)
                                 if not a.literals and not a.literals_original)
        literals = [lit for a in self._aliases for lit in a.literals]
        literals += [lit.lower() for a in self._aliases for lit in a.literals_original]
        self._alias_literals = frozenset(literals)
        literals += [lit for ts in (self._context, *self._lookalikes) for t in ts.terms
                     for lit in t.literals]
        literals += sorted(self._names.literals | self._zones.literals)
        bad = [lit for lit in literals if not lit or "\n" in lit]
        if bad:  # pieces are joined with newlines for one search; a literal must not span two
            raise ValueError(f"topics.toml: literal {bad[0]!r} is empty or holds a newline")
        self._literals = LiteralIndex(literals)

    def _find(self, norm: Normalized, field: str, form: str, spots: Spots,
              offset: int) -> list[Raw]:
        """Alias hits in one piece; `spots` indexes the joined text the piece starts at `offset`."""
        out: list[Raw] = []
        text = norm.text
        end = offset + len(text)
        present = spots.present(self._alias_literals, offset, end)
        cache: dict[tuple[tuple[str, ...], tuple[int, int]], list[tuple[int, int]]] = {}
        scripts: dict[str, bool] = {}  # whether the piece holds a letter of each, when asked
        for i in self._candidates(present):
            alias, (alias_set, groups, every) = self._aliases[i], self._alias_sets[i]
            if form not in alias.forms:
                continue
            if alias.literals_original:
                # the folded text holds the lower-cased literal wherever the original holds it
                lowered = tuple(lit.lower() for lit in alias.literals_original)
                if any(low in present and lit in norm.original
                       for low, lit in zip(lowered, alias.literals_original, strict=True)):
                    windows = spots.windows(lowered, offset, end)
                    out += self._find_in(alias, norm, field, windows, every)
                continue
            if not alias.literals:  # a config topic's expert patterns: the whole text
                out += self._find_in(alias, norm, field, [(0, len(text))], every)
                continue
            if present.isdisjoint(alias_set):
                continue
            for literal_set, literals, patterns, needs in groups:
                if present.isdisjoint(literal_set):
                    continue
                if any(needs) and not (patterns := _runnable(patterns, needs, text, scripts)):
                    continue
                key = (literals, alias.reach)
                windows = cache.get(key) or cache.setdefault(
                    key, spots.windows(literals, offset, end, alias.reach))
                out += self._find_in(alias, norm, field, windows, patterns)
        return out

    def _candidates(self, present: set[str]) -> list[int]:
        """The aliases (their indexes, in order: ties in `dedupe` keep it) that can match in a
        piece where the `present` literals occur; the others are skipped unlooked at."""
        if not present:
            return sorted(self._always)
        candidates = set(self._always)
        for lit in present:
            candidates |= self._by_literal[lit]
        return sorted(candidates)

    def _find_in(self, alias: Alias, norm: Normalized, field: str,
                 windows: list[tuple[int, int]], patterns: tuple[Scan | re.Pattern[str], ...],
                 ) -> list[Raw]:
        out: list[Raw] = []
        text, size, same = norm.text, len(norm.text), norm.identity
        spans = [(m, hi) for lo, hi in windows for pat in patterns
                 for m in pat.finditer(text, lo, hi)]
        for m, hi in spans:
            if m.end() == hi < size:
                continue  # cut by the window edge; its literal's own window holds it whole
            start, end = m.span() if same else norm.span(m.start(), m.end())
            found = norm.original[start:end]
            if alias.case and not alias.case.fullmatch(found):
                continue
            if alias.not_case and alias.not_case.search(found):
                continue
            if alias.near and not _near_any(text, m.start(), m.end(), alias.near):
                continue
            out.append(Raw(alias, Span(alias.topic, alias.label, found, field, start, end)))
        return out

    def _collect(self, fields: dict[str, str],
                 ) -> tuple[list[Raw], Spots, list[tuple[str, str, Normalized]]]:
        """Alias hits in every field and form, the index of the joined folded forms, and the
        forms (pieces) in the order they were joined."""
        pieces: list[tuple[str, str, Normalized]] = []
        for field, s in fields.items():
            if not s:
                continue
            pieces.append((field, "folded", self._folder.fold(s)))
            if self._folder.needs_romanised(s):
                pieces.append((field, "romanised", self._folder.romanise(s)))
        # One index over all forms: each literal is searched once (none contains a newline).
        spots = self._literals.spots("\n".join(norm.text for _, _, norm in pieces))
        raws: list[Raw] = []
        offset = 0
        for field, form, norm in pieces:
            raws += self._find(norm, field, form, spots, offset)
            offset += len(norm.text) + 1
        return dedupe(raws), spots, pieces

    def _name_hits(self, raws: list[Raw], spots: Spots,
                   pieces: list[tuple[str, str, Normalized]], topics: frozenset[str],
                   language: str | None) -> tuple[list[Raw], set[str]]:
        """Names of `topics` found by their skeleton where no alias matched, and the context
        words beside them."""
        covered: dict[str, list[tuple[int, int]]] = {}  # names are not looked for again there
        for r in raws:
            if r.alias.needs is None:
                covered.setdefault(r.hit.field, []).append((r.hit.start, r.hit.end))
        found: list[Raw] = []
        beside: set[str] = set()
        for field, hit in self._names.find(pieces, spots, covered, language, topics):
            alias = self._name_aliases[hit.name]
            found.append(Raw(alias, Span(alias.topic, alias.label, hit.found, field,
                                           hit.start, hit.end)))
            beside |= hit.context
        # a zone alias hit (gated or not) says all a zone hit could: no need to look
        zone_topics = topics - {r.alias.topic for r in raws}
        for field, zone, start, end in self._zones.find(pieces, spots, covered, language,
                                                        zone_topics):
            alias = self._zone_aliases[zone]
            text = fields_of(pieces, field)
            found.append(Raw(alias, Span(alias.topic, alias.label, text[start:end], field,
                                         start, end)))
        return found, beside

    def _near(self, fields: dict[str, str], h: Span, language: str | None) -> set[str]:
        """Context words of any language (lexicon, CLDR) around one hit."""
        s = fields[h.field]
        window = s[max(0, h.start - _NEAR_CHARS):h.end + _NEAR_CHARS]
        return self._lexicon.labels(window, language) & GATE

    def _named(self, hits: list[Raw], fields: dict[str, str], language: str | None) -> bool:
        """A hit in the title or the first sentence with a military word beside it: a clear
        report ("jets flew over Tanf base in Syria"), not a passing mention."""
        lead = int(self.scoring["lead_chars"])
        ends = sentence_ends(fields["text"][:lead])
        first_end = ends[0] if ends else lead  # (a first sentence longer than the lead: the lead)
        reach = int(self.scoring["named_chars"])
        leading = [r.hit for r in hits if r.hit.field == "title" or r.hit.start < first_end]
        for h in leading[:3]:
            s = fields[h.field]
            window = s[max(0, h.start - reach):h.end + reach]
            if self._lexicon.labels(window, language) & MILITARY:
                return True
        return False

    def _decide(self, raws: list[Raw], spots: Spots, fields: dict[str, str],
                language: str | None, beside: set[str]) -> MatchResult:
        reasons: list[str] = []
        context = self._context.found(spots)
        suppressing = []
        for la in self._lookalikes:
            terms = la.found(spots)
            if len(terms) >= la.min_terms:
                suppressing.append(la)
                reasons.append(f"{la.name} context: {', '.join(terms)}")
        accepted = gate(raws, context, suppressing, reasons,
                        lambda h: self._near(fields, h, language), self.scoring)
        dropped_any = len(accepted) < len(raws) and suppressing
        penalty = min((la.penalty for la in suppressing), default=0.0) if dropped_any else 0.0
        context += sorted(beside - set(context))
        text_len = len(fields["text"])
        parts = score_parts(accepted, context, text_len, penalty, False, self.scoring)
        score = round(max(0.0, min(1.0, sum(v for _, v in parts))), 3)
        # the "named" bonus only lifts clear mentions over the threshold: looked for (it costs
        # a lexicon pass) only when it decides
        if accepted and self.threshold - self.scoring["named"] <= score < self.threshold \
                and self._named(accepted, fields, language):
            parts = score_parts(accepted, context, text_len, penalty, True, self.scoring)
            score = round(max(0.0, min(1.0, sum(v for _, v in parts))), 3)
        topics = self.registry.order([r.alias.topic for r in accepted])
        hits = with_sentences([r.hit for r in accepted], fields)
        if context:
            reasons.append("context: " + ", ".join(context))
        relevant = bool(hits) and score >= self.threshold
        return MatchResult(relevant, score, topics, hits, tuple(parts), tuple(reasons))

    def match(self, text: str, title: str = "", language: str | None = None) -> MatchResult:
        """Score one article. Aliases cover all scripts; `language` (ISO 639-1, if known)
        picks the language whose context words confirm names found by their skeleton."""
        fields = {"title": title or "", "text": text or ""}
        raws, spots, pieces = self._collect(fields)
        # Names by skeleton only add what sure alias hits (ungated, unambiguous) have not
        # found: most relevant articles name the base the usual way
        sure = {r.alias.topic for r in raws if r.alias.needs is None and not r.alias.ambiguous}
        beside: set[str] = set()
        if topics := self._name_topics - sure:
            extra, beside = self._name_hits(raws, spots, pieces, topics, language)
            raws = dedupe(raws + extra) if extra else raws
        if not raws:
            return MatchResult(False, 0.0, (), (), (), ("no topic term found",))
        return self._decide(raws, spots, fields, language, beside)


def _scans(patterns: tuple[re.Pattern[str], ...],
           made: dict[re.Pattern[str], Scan | re.Pattern[str]],
           ) -> tuple[Scan | re.Pattern[str], ...]:
    return tuple(made.get(p) or made.setdefault(p, scan_of(p)) for p in patterns)


def _runnable(patterns: tuple[Scan | re.Pattern[str], ...], needs: tuple[str | None, ...],
              text: str, scripts: dict[str, bool]) -> tuple[Scan | re.Pattern[str], ...]:
    """The patterns that can match in `text`: those needing a script it holds no letter of
    cannot ("55" pairs Arabic and Cyrillic patterns with a Latin text)."""
    for need in needs:
        if need is not None and need not in scripts:
            scripts[need] = _SCRIPT_LETTERS[need].search(text) is not None
    return tuple(p for p, need in zip(patterns, needs, strict=True)
                 if need is None or scripts[need])


def _near_any(text: str, start: int, end: int, words: tuple[str, ...]) -> bool:
    window = text[max(0, start - _NEAR_CHARS):end + _NEAR_CHARS]
    return any(w in window for w in words)


def load_matcher(path: str | Path | None = None, *, threshold: float | None = None,
                 disabled_languages: frozenset[str] = frozenset(),
                 registry: TopicRegistry | None = None) -> Matcher:
    """Load and compile topic definitions (default: the package's topics.toml), with the
    topics of `registry` (the config's, see `Settings.topics`) if given."""
    with open(path or _DEFAULT_PATH, "rb") as fh:
        config = tomllib.load(fh)
    return Matcher(config, threshold, disabled_languages, registry)
