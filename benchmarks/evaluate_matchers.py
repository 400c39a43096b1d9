"""Evaluate the relevance matcher on the labelled corpus.

Usage: python benchmarks/evaluate_matchers.py [PATH] [--holdout]
       (default PATH: /work/shared/corpus/dev.jsonl)

Prints precision/recall/F1 overall and without borderline records, per language, per topic,
the number of TANF-welfare false positives, and every false positive and false negative with its
matched terms and score. Each record is matched with its `language_detail` as the language (what
a page's lang attribute or the language detector gives).

--holdout: only the records whose language is not en/ar/ru, with every alias and context term
written for another language switched off (those marked `languages = [...]` in topics.toml), and
the same once more without the names found by their skeleton and the zone rule: what the
general mechanisms find in languages nobody wrote patterns for.

--holdout-scripts arabic,cyrillic: the records in those scripts' languages (ar, ru, ...), with
every literal of those scripts removed from the topic file, so no Arabic or Cyrillic alias,
context or look-alike term can fire: only the skeleton names and the lexicon are left.

Texts are read at run time and never stored in the repository.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matchers.relevance
from matchers.registry import builtin_registry
from matchers.relevance import Matcher, MatchResult, load_matcher
from matchers.topicdefs import _scripts

DEFAULT_PATH = Path("/work/shared/corpus/dev.jsonl")
WRITTEN_FOR = frozenset({"en", "ar", "ru"})  # the languages the topics were first written for


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _counts(pairs: Iterable[tuple[bool, bool]]) -> tuple[int, int, int, int]:
    tp = fp = fn = tn = 0
    for gold, pred in pairs:
        tp += gold and pred
        fp += pred and not gold
        fn += gold and not pred
        tn += not gold and not pred
    return tp, fp, fn, tn


def _line(name: str, pairs: list[tuple[bool, bool]]) -> str:
    tp, fp, fn, tn = _counts(pairs)
    p, r, f = _prf(tp, fp, fn)
    return (f"{name:<24} n={len(pairs):<4} P={p:.3f} R={r:.3f} F1={f:.3f} "
            f"(tp={tp} fp={fp} fn={fn} tn={tn})")


def _describe(rec: dict[str, Any], res: MatchResult) -> str:
    terms = "; ".join(f"{h.term}={h.found!r}@{h.field}:{h.start}" for h in res.hits) or "-"
    parts = " ".join(f"{k}{v:+.2f}" for k, v in res.parts)
    kind = rec.get("hard_negative_kind") or ",".join(rec.get("topics") or [])
    flag = " [borderline]" if rec.get("borderline") else ""
    return (f"  {rec['id']} ({rec.get('language_detail')}, {kind}){flag} score={res.score:.2f}\n"
            f"      title: {rec.get('title', '')[:90]}\n      terms: {terms}\n"
            f"      parts: {parts}\n      reasons: {' | '.join(res.reasons)[:300]}")


def _topic_lines(rows: list[tuple[dict[str, Any], MatchResult]]) -> list[str]:
    out = []
    for topic in builtin_registry().ids:
        tp = fp = fn = 0
        for rec, res in rows:
            gold = topic in (rec.get("topics") or [])
            pred = res.relevant and topic in res.topics
            tp += gold and pred
            fp += pred and not gold
            fn += gold and not pred
        p, r, f = _prf(tp, fp, fn)
        out.append(f"{topic:<24} P={p:.3f} R={r:.3f} F1={f:.3f} (tp={tp} fp={fp} fn={fn})")
    return out


def _language(rec: dict[str, Any]) -> str | None:
    return rec.get("language_detail") or rec.get("language")


def _run(matcher: Matcher, records: list[dict[str, Any]]) -> list[tuple[dict, MatchResult]]:
    return [(r, matcher.match(r["text"], r.get("title", ""), _language(r))) for r in records]


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


SCRIPT_LANGUAGES = {"arabic": {"ar", "fa", "ur", "ps"}, "cyrillic": {"ru", "uk", "bg", "sr", "be"}}


def _config() -> dict[str, Any]:
    config_path = Path(matchers.relevance.__file__).with_name("topics.toml")
    return tomllib.loads(config_path.read_text(encoding="utf-8"))


def _without_scripts(config: dict[str, Any], scripts: set[str]) -> dict[str, Any]:
    """The topic file with every literal of `scripts` removed: patterns run only around
    literals, so nothing written in those scripts can match any more."""
    def keep(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for d in entries:
            lits = [lit for lit in d.get("literals", ()) if not _scripts(lit) & scripts]
            if lits or d.get("literals_original"):
                out.append(dict(d, literals=lits))
        return out
    context = dict(config["context"], terms=keep(config["context"]["terms"]))
    lookalikes = [dict(la, terms=keep(la["terms"])) for la in config.get("lookalike", ())]
    return dict(config, alias=keep(config["alias"]), context=context, lookalike=lookalikes)


def holdout(path: Path, scripts: set[str] | None = None) -> None:
    """Held-out languages: their own aliases off; with and without skeleton names."""
    config = _config()
    if scripts:
        wanted = set().union(*(SCRIPT_LANGUAGES[s] for s in scripts))
        records = [r for r in _load(path) if _language(r) in wanted]
        config, off = _without_scripts(config, scripts), frozenset()
        what = f"every {'/'.join(sorted(scripts))} literal removed"
    else:
        records = [r for r in _load(path) if _language(r) not in WRITTEN_FOR]
        marked = {lang for d in (*config["alias"], *config["context"]["terms"])
                  for lang in d.get("languages", ())}
        off = frozenset(marked - WRITTEN_FOR)
        what = f"aliases and terms for {sorted(off)} switched off"
    print(f"held out: {len(records)} records in {sorted({_language(r) for r in records})}; "
          f"{what}")
    variants = [("names+zones on", config), ("names+zones off", dict(config, name=[], zone=[]))]
    for name, cfg in variants:
        rows = _run(Matcher(cfg, disabled_languages=off), records)
        print(_line(name, [(bool(r["relevant"]), res.relevant) for r, res in rows]))
        print(_line(name + " (clean)", [(bool(r["relevant"]), res.relevant) for r, res in rows
                                         if not r.get("borderline")]))
        for line in _topic_lines(rows):
            print("   ", line)
        for r, res in rows:
            if bool(r["relevant"]) != res.relevant:
                print(_describe(r, res))


def evaluate(path: Path) -> None:
    matcher = load_matcher()
    rows = _run(matcher, _load(path))
    pairs = [(bool(r["relevant"]), res.relevant) for r, res in rows]
    clean = [(bool(r["relevant"]), res.relevant) for r, res in rows if not r.get("borderline")]
    print(f"corpus: {path}  records={len(rows)}  threshold={matcher.threshold}")
    print(_line("overall", pairs))
    print(_line("non-borderline", clean))
    by_lang: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    by_lang_clean: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for r, res in rows:
        lang = r.get("language_detail") or r.get("language") or "?"
        by_lang[lang].append((bool(r["relevant"]), res.relevant))
        if not r.get("borderline"):
            by_lang_clean[lang].append((bool(r["relevant"]), res.relevant))
    print("\nper language (all / non-borderline):")
    for lang in sorted(by_lang, key=lambda k: -len(by_lang[k])):
        print(" ", _line(lang, by_lang[lang]))
        print(" ", _line(lang + " (clean)", by_lang_clean[lang]))
    print("\nper topic (topic tagging on all records):")
    for line in _topic_lines(rows):
        print(" ", line)
    welfare_fp = sum(1 for r, res in rows
                     if r.get("hard_negative_kind") == "TANF-welfare" and res.relevant)
    print(f"\nTANF-welfare false positives: {welfare_fp}")
    fps = [(r, res) for r, res in rows if res.relevant and not r["relevant"]]
    fns = [(r, res) for r, res in rows if r["relevant"] and not res.relevant]
    print(f"\nfalse positives ({len(fps)}):")
    for r, res in fps:
        print(_describe(r, res))
    print(f"\nfalse negatives ({len(fns)}):")
    for r, res in fns:
        print(_describe(r, res))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--holdout", action="store_true",
                        help="languages other than en/ar/ru, their own aliases switched off")
    parser.add_argument("--holdout-scripts", type=lambda v: set(v.split(",")),
                        help="e.g. arabic,cyrillic: those languages, their literals removed")
    args = parser.parse_args(argv)
    if args.holdout or args.holdout_scripts:
        holdout(args.path, args.holdout_scripts)
    else:
        evaluate(args.path)


if __name__ == "__main__":
    main()
