"""Evaluate the relevance matcher on the labelled corpus.

Usage: python benchmarks/evaluate_matchers.py [PATH]   (default: /work/shared/corpus/dev.jsonl)

Prints precision/recall/F1 overall and without borderline records, per language, per topic,
the number of TANF-welfare false positives, and every false positive and false negative with its
matched terms and score. Texts are read at run time and never stored in the repository.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from matchers.relevance import TOPICS, MatchResult, load_matcher

DEFAULT_PATH = Path("/work/shared/corpus/dev.jsonl")


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
    for topic in TOPICS:
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


def evaluate(path: Path) -> None:
    matcher = load_matcher()
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    rows = [(r, matcher.match(r["text"], r.get("title", ""), r.get("language"))) for r in records]
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
    evaluate(parser.parse_args(argv).path)


if __name__ == "__main__":
    main()
